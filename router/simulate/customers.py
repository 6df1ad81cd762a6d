"""The people: customers who text when anxious, and the support desk that answers escalations.

A customer's urge to write is a rate per daytime hour that rises past the expected day, after
a visible carrier problem and during long tracking silences, and falls after we told them
something — most after an honest notice that names a new day. They write when the accumulated
rate crosses a threshold drawn from their own seeded stream (a non-homogeneous Poisson process
by inversion), so one customer's randomness never shifts another's, and the same customer
faces the same thresholds with and without notices. Nobody writes at night.

Customers read what we actually sent: a day is taken from the text ("Expected Thu 5 Mar"), not
from the simulator's knowledge, so a vague or wrong message calms nobody.
"""

from __future__ import annotations

import bisect
import math
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from router.events import ShipmentStatus as S
from router.resolve.reasoning import business_days_between
from router.simulate.shop import COUNTRY, Scan, SimOrder, is_business_day, local_at, zone

TROUBLE = frozenset({S.EXCEPTION, S.ATTEMPT_FAILED, S.RETURN_TO_SENDER})
MOVING = frozenset({S.PRE_TRANSIT, S.IN_TRANSIT})


@dataclass(frozen=True)
class Behaviour:
    """The customer model's parameters (rates are per daytime hour; see docs/simulation.md)."""

    day_start_hour: int = 8  # nobody writes before this, local time …
    day_end_hour: int = 21  # … or from this hour on
    curiosity: float = 0.0009  # all on schedule: "just checking"
    due_evening: float = 0.02  # the expected day, from 17:00, nothing out for delivery today
    overdue: float = 0.025  # the expected day has passed
    overdue_growth: float = 0.5  # the overdue rate grows by this share per further day
    trouble: float = 0.02  # an exception, failed attempt or return is visible …
    trouble_hours: float = 72.0  # … for this long after the scan
    silence: float = 0.006  # per business day without a scan beyond `silence_after`
    silence_after: int = 2
    told_with_day: float = 0.12  # factor after we named a new day, until it has passed
    told_without_day: float = 0.35  # factor after a notice naming no day, for `told_hours`
    told_hours: float = 72.0
    answered: float = 0.3  # factor after we answered them naming no day, for …
    answered_hours: float = 48.0
    broken_promise: float = 1.5  # factor once a day we named has passed without the parcel
    notice_reply: float = 0.03  # texts back right after a notice (a notice is not free)
    include_number: float = 0.85  # the message carries the order number
    angry: float = 0.25  # chance an overdue (≥ angry_after_days) or third message is angry
    angry_after_days: int = 3
    max_contacts: int = 4  # after this many, they give up texting (chargeback, review…)
    followup_minutes: float = 3.0  # answering our question takes this long


@dataclass(frozen=True)
class Told:
    at: datetime
    day: date | None  # the day we named for the parcel, if any
    source: str  # notice | answer


CURIOUS = (
    "Hi, where is my order #{n}?",
    "Any update on order {n}?",
    "When will order #{n} arrive?",
    "Has my order #{n} shipped yet?",
    "Hi! Can you check on order #{n} for me please?",
)
LATE = (
    "Order #{n} was due {weekday} and it's still not here",
    "I still haven't received order {n}, it was supposed to arrive by now",
    "Where is my order #{n}? It's late",
    "Hi, my order #{n} should have arrived {weekday}. When will it come?",
)
TROUBLE_TEXTS = (
    "The tracking for order #{n} says there's a problem. What's going on?",
    "My parcel says exception, what does that mean? Order {n}",
    "The carrier couldn't deliver order #{n}. What happens now?",
)
SILENT = (
    "Tracking hasn't moved in days, order {n}",
    "Is order #{n} still coming? The tracking hasn't updated",
)
NO_NUMBER = (
    "Where is my package?",
    "Hey, where's my stuff",
    "Any news on my delivery?",
    "When is my order arriving?",
)
ANGRY = (
    "This is ridiculous, order #{n} is {days} days late",
    "Still no order #{n}. This is unacceptable",
)
NOTICE_REPLY = (
    "Thanks for letting me know. So when will order #{n} arrive?",
    "Ok. Is order #{n} still coming?",
)
FOLLOW_UP = ("It's #{n}", "Order number is {n}", "#{n}")

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.? " + _MONTH, re.IGNORECASE)
_MONTH_DAY = re.compile(r"\b" + _MONTH + r" (\d{1,2})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_TODAY = re.compile(r"\b(?:expected|arriv\w*|deliver\w*|due)\b[^.!?]{0,24}\btoday\b", re.I)
_TOMORROW = re.compile(r"\btomorrow\b", re.IGNORECASE)


def days_named(text: str, today: date) -> list[date]:
    """Every calendar day the text names ("Thu 5 Mar", "March 5", "today", "tomorrow"), each
    in the year that puts it nearest to `today`."""
    found: list[date] = []
    pairs = [(int(m[1]), m[2]) for m in _DAY_MONTH.finditer(text)]
    pairs += [(int(m[2]), m[1]) for m in _MONTH_DAY.finditer(text)]
    for day_of_month, month_name in pairs:
        month = MONTHS.index(month_name[:3].lower()) + 1
        candidates = []
        for year in (today.year - 1, today.year, today.year + 1):
            try:
                candidates.append(date(year, month, day_of_month))
            except ValueError:
                continue
        if candidates:
            found.append(min(candidates, key=lambda d: abs((d - today).days)))
    if _TODAY.search(text):
        found.append(today)
    if _TOMORROW.search(text):
        found.append(today + timedelta(days=1))
    return found


def new_day(text: str, today: date) -> date | None:
    """The day a message gives for the parcel: the latest day it names that is not past."""
    coming = [d for d in days_named(text, today) if d >= today]
    return max(coming) if coming else None


@dataclass
class Customer:
    """One order's customer. Mutable: what they were told, how anxious they are."""

    order: SimOrder
    seed: int
    behaviour: Behaviour = field(default_factory=Behaviour)
    told: list[Told] = field(default_factory=list)
    contacts: list[datetime] = field(default_factory=list)
    resolved: bool = False
    pressure: float = 0.0
    replying: bool = False  # texts back about the notice just received

    def __post_init__(self) -> None:
        # Separate streams: the k-th threshold is the same in both runs, whatever they said
        # or how many notices they got in between (common random numbers).
        name = f"wismo-sim:{self.seed}:customer:{self.order.number}"
        self.patience = random.Random(f"{name}:patience")
        self.words = random.Random(f"{name}:words")
        self.reactions = random.Random(f"{name}:reactions")
        self.threshold = self.patience.expovariate(1.0)
        self._scan_times = [s.at for s in self.order.parcel.scans]
        self._tz = zone(self.order.customer.city.tz)

    # -- what they know ---------------------------------------------------------------------

    def visible(self, now: datetime) -> tuple[Scan, ...]:
        """Scans the carrier has shown by `now` (its tracking page, its e-mails)."""
        return self.order.parcel.scans[: bisect.bisect_right(self._scan_times, now)]

    def told_day(self) -> date | None:
        days = [t.day for t in self.told if t.day is not None]
        return days[-1] if days else None

    def expected(self) -> date:
        """The day they wait for: the promise, or a later day we named."""
        named = self.told_day()
        return max(self.order.promised_by, named) if named else self.order.promised_by

    def done(self, now: datetime) -> bool:
        """Nothing more to write about: the parcel is here, or they were offered a remedy, or
        they gave up."""
        arrived = self.order.parcel.arrived_at
        return (
            self.resolved
            or len(self.contacts) >= self.behaviour.max_contacts
            or (arrived is not None and now >= arrived)
        )

    # -- the urge to write ------------------------------------------------------------------

    def rate(self, now: datetime) -> float:
        """The urge to write per hour at `now` (0 at night, before ordering, once done)."""
        b = self.behaviour
        if now < self.order.placed_at or self.done(now):
            return 0.0
        local = now.astimezone(self._tz)
        if not b.day_start_hour <= local.hour < b.day_end_hour:
            return 0.0
        today = local.date()
        expected = self.expected()
        named = self.told_day()
        seen = self.visible(now)
        rate = b.curiosity
        if today > expected:
            over = (today - expected).days
            urge = b.overdue * (1 + b.overdue_growth * (over - 1))
            if named is not None and named >= expected:
                urge *= b.broken_promise
            rate += urge
        elif today == expected and local.hour >= 17:
            out_today = any(
                s.status == S.OUT_FOR_DELIVERY and s.at.astimezone(self._tz).date() == today
                for s in seen
            )
            if not out_today:
                rate += b.due_evening
        last = seen[-1] if seen else None
        recent = last is not None and now - last.at <= timedelta(hours=b.trouble_hours)
        if last is not None and last.status in TROUBLE and recent:
            rate += b.trouble
        if last is not None and last.status in MOVING:
            quiet = business_days_between(last.at.astimezone(self._tz).date(), today, COUNTRY)
            if quiet > b.silence_after:
                rate += b.silence * (quiet - b.silence_after)
        return rate * self.calm(now, today)

    def calm(self, now: datetime, today: date) -> float:
        """How much what we told them lowers the urge (1: not at all)."""
        b = self.behaviour
        named = self.told_day()
        if named is not None and today <= named:
            return b.told_with_day
        if self.told:
            latest = self.told[-1]
            if latest.day is None:
                hours = (now - latest.at).total_seconds() / 3600
                if latest.source == "notice" and hours <= b.told_hours:
                    return b.told_without_day
                if latest.source == "answer" and hours <= b.answered_hours:
                    return b.answered
        return 1.0

    def wants_to_write(self, now: datetime, hours: float) -> bool:
        """Accumulate the urge over the last `hours`; True when it crosses the threshold (or
        they are answering a notice)."""
        if self.replying:
            self.replying = False
            if not self.done(now):
                return True
        self.pressure += self.rate(now) * hours
        if self.pressure < self.threshold:
            return False
        self.pressure = 0.0
        self.threshold = self.patience.expovariate(1.0)
        return True

    # -- what they say ----------------------------------------------------------------------

    def compose(self, now: datetime) -> str:
        b = self.behaviour
        today = now.astimezone(self._tz).date()
        expected = self.expected()
        over = (today - expected).days
        seen = self.visible(now)
        last = seen[-1] if seen else None
        quiet = (
            business_days_between(last.at.astimezone(self._tz).date(), today, COUNTRY)
            if last is not None and last.status in MOVING
            else 0
        )
        may_be_angry = over >= b.angry_after_days or len(self.contacts) >= 2
        answering = bool(self.told) and self.told[-1].source == "notice" and self.told[-1].at == now
        if may_be_angry and self.words.random() < b.angry:
            templates: tuple[str, ...] = ANGRY
        elif answering:
            templates = NOTICE_REPLY
        elif self.words.random() >= b.include_number:
            templates = NO_NUMBER
        elif last is not None and last.status in TROUBLE:
            templates = TROUBLE_TEXTS
        elif over > 0:
            templates = LATE
        elif quiet > b.silence_after:
            templates = SILENT
        else:
            templates = CURIOUS
        text = self.words.choice(templates)
        return text.format(n=self.order.number, weekday=expected.strftime("%A"), days=over)

    def follow_up(self) -> str:
        """Their answer when we asked which order (always with the number)."""
        return self.words.choice(FOLLOW_UP).format(n=self.order.number)

    def hear(self, at: datetime, text: str, source: str) -> None:
        today = at.astimezone(self._tz).date()
        self.told.append(Told(at, new_day(text, today), source))
        if source == "notice" and self.reactions.random() < self.behaviour.notice_reply:
            self.replying = True


@dataclass(frozen=True)
class Desk:
    """The human desk that answers escalations: weekdays in the shop's office hours, after a
    pickup delay (log-normal). Nothing is sent through the service: it times FRT only."""

    tz: str = "America/New_York"
    open_hour: float = 9.0
    close_hour: float = 18.0
    median_minutes: float = 20.0
    sigma: float = 0.9

    def answers_at(self, asked: datetime, rng: random.Random) -> datetime:
        delay = timedelta(minutes=self.median_minutes * math.exp(rng.gauss(0.0, self.sigma)))
        day = asked.astimezone(zone(self.tz)).date()
        start = asked
        while True:
            opens = local_at(day, self.open_hour, self.tz)
            closes = local_at(day, self.close_hour, self.tz)
            if is_business_day(day) and start < closes:
                begin = max(start, opens)
                return begin + delay
            day += timedelta(days=1)

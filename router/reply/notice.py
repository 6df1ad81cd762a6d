"""Notices the service sends on its own initiative, not in answer to a message: that an
approved remedy (reship, refund) was carried out (`render_remedy`), and what the notify role
found about a parcel before the customer asked (`render_notice`). `followup_sentence` is what
a later answer says about such a notice.

They go through the same catalog and the same envelopes as answers (formats.render), so the
customer's language and the brand's tone apply, an SMS stays within two GSM-7 segments and an
e-mail gets its subject, greeting, sign-off and HTML body.

A parcel notice is a few short sentences, each from its own catalog key, so a fact we do not
have drops its sentence instead of printing "None":

    notice.<kind>       what happened, with the order number                       always
    notice.reason       the carrier's words, or its reason code in our words       (1)
    notice.eta          the one date the kind states, as that kind means it        (2)
      / .estimate / .last_scan
    notice.place        the pickup location                                        (3)
    notice.act_on       the day a silent parcel will be treated as lost             (4)
    notice.tracking     carrier and tracking number (or .tracking_number, .carrier) when known
    notice.next.*       what the customer can do (often: nothing)                   always
    notice.reply        "If you have any questions, just reply here."              always

(1) exception, attempt_failed, return_to_sender, edd_past_promise. A code from
    router.tracking.status.REASONS is said as `reason.<code>`; any other text as the carrier
    wrote it; an unknown code (snake_case) is left out rather than shown as a code.
(2) What `day` is, per kind. A date outside its window is dropped, never said:
    exception, attempt_failed, edd_past_promise: the carrier's current estimated delivery day,
        "The new expected delivery date is …" (today .. a year ahead);
    predicted_late: our own (lane model's) estimate of the arrival day, said as an estimate,
        "By our estimate, it should arrive around …" (today .. a year ahead);
    stale, lost: the day of the carrier's last scan, "The last update from the carrier was on
        …" (a year back .. today);
    return_to_sender, available_for_pickup: not used. Carrier feeds carry no collection
        deadline, and a wrong "pick it up by" is worse than "pick it up soon".
(3) available_for_pickup only: elsewhere the place of a scan adds nothing the customer can use.
(4) stale only, `act_on`, in place of notice.next.*: the day the shop's own rule
    (policy.lost_after_business_days) will treat a parcel that still has not moved as lost,
    "If it still hasn't moved by …, we'll get in touch about a replacement or a refund" (today
    .. a year ahead). The `lost` notice that follows on that day asks the customer to reply
    for the remedy.

In an SMS the brand name comes first ("Acme & Co: …"): a text nobody asked for must say who
"we" are. When two segments are not enough the link goes first, then "reply here" (an SMS is
answered anyway), then the tracking line, then the carrier's reason; the headline, the date,
the pickup place and the next step stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from router.events import Link, ShipmentStatus
from router.reply.catalog import day as format_day
from router.reply.catalog import locale_for, text, voice
from router.reply.compose import Content, Followup, followup_line
from router.reply.formats import Format, Reply
from router.reply.formats import render as fit
from router.settings import NOTICE_KINDS, OFFERS, BrandSettings
from router.tracking.numbers import validate
from router.tracking.status import REASONS

__all__ = ["followup_sentence", "render_notice", "render_remedy"]

YEAR = timedelta(days=366)
WITH_REASON = frozenset({"exception", "attempt_failed", "return_to_sender", "edd_past_promise"})
CODE = re.compile(r"[a-z]+(?:_[a-z]+)+")


def render_remedy(
    remedy: str,
    order_number: str,
    *,
    language: str | None,
    fmt: Format,
    brand: BrandSettings,
    now: datetime,
    name: str | None = None,
) -> Reply:
    """The customer's notice that `remedy` ("reship" or "refund") was done for the order.

    `now` is taken for symmetry with render(): these sentences carry no date today.
    """
    if remedy not in OFFERS:
        raise ValueError(f"unknown remedy {remedy!r}; expected one of {OFFERS}")
    number = order_number.strip().lstrip("#").strip()
    lang = voice(locale_for(language), brand.tone)
    content = Content(subject=text(lang, "email.subject.order", number=number))
    content.add(_sentence(remedy, lang, number))
    return fit(content, fmt, lang, brand, name=name)


def _sentence(remedy: str, lang: str, number: str) -> str:
    # Literal keys, so tests/reply/test_catalog.py finds them in every locale.
    if remedy == "reship":
        return text(lang, "remedy.reship", number=number)
    return text(lang, "remedy.refund", number=number)


# --- parcel notices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    number: str
    carrier: str | None
    tracking: str | None
    day: date | None
    place: str | None
    reason: str | None
    url: str | None
    act_on: date | None = None


def render_notice(
    kind: str,
    *,
    number: str,
    carrier: str | None,
    tracking: str | None,
    day: date | None,
    place: str | None,
    reason: str | None,
    language: str | None,
    fmt: Format,
    brand: BrandSettings,
    now: datetime,
    name: str | None = None,
    url: str | None = None,
    act_on: date | None = None,
) -> Reply:
    """The proactive notice of one `kind` (settings.NOTICE_KINDS) about a parcel of an order.

    Every fact but `number` may be None (or blank): its sentence is then left out. What `day`
    means depends on the kind (see the module docstring); `now` decides whether it is still
    worth saying. `url`: the carrier's tracking page, a link like an answer's.
    """
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}; expected one of {NOTICE_KINDS}")
    order_number = number.strip().lstrip("#").strip()
    if not order_number:
        raise ValueError("a notice needs the order number")
    tracking_ = _clean(tracking)
    facts = _Facts(
        number=order_number,
        carrier=_clean(carrier) or _implied_carrier(tracking_),
        tracking=tracking_,
        day=day.date() if isinstance(day, datetime) else day,
        place=_clean(place),
        reason=_clean(reason),
        url=_clean(url),
        act_on=act_on,
    )
    lang = voice(locale_for(language), brand.tone)
    sender = _clean(brand.name) if fmt == "sms" else None
    content = _notice(kind, facts, lang, now.date(), sender)
    return fit(content, fmt, lang, brand, name=name)


def _notice(kind: str, f: _Facts, lang: str, today: date, sender: str | None) -> Content:
    content = Content(subject=text(lang, "notice.subject", number=f.number))
    if sender:
        content.add(text(lang, "notice.sms_from", brand=sender))
    content.add(text(lang, f"notice.{kind}", number=f.number))
    reason = _reason(f.reason, lang) if kind in WITH_REASON else None
    if reason:
        content.add(text(lang, "notice.reason", reason=reason), optional=True)
    when = _when(kind, f.day, today, lang)
    if when:
        content.add(when)
    place = (f.place or "").rstrip(" .")  # the sentence brings its own full stop
    if kind == "available_for_pickup" and place:
        content.add(text(lang, "notice.place", place=place))
    tracking = _tracking(f.carrier, f.tracking, lang)
    if tracking:
        content.add(tracking, optional=True)
    if f.url:
        carrier = f.carrier or text(lang, "frag.carrier_unknown")
        content.links.append(Link(label=text(lang, "link.track", carrier=carrier), url=f.url))
    if kind == "stale" and f.act_on is not None and today <= f.act_on <= today + YEAR:
        # what we will do, and when: the next step, in place of "nothing to do"
        content.add(text(lang, "notice.act_on", day=format_day(f.act_on, lang)))
    else:
        content.add(_next(kind, lang))
    content.add(text(lang, "notice.reply"), optional=True)
    return content


def _when(kind: str, value: date | None, today: date, lang: str) -> str | None:
    if value is None:
        return None
    ahead = today <= value <= today + YEAR
    if kind in ("exception", "attempt_failed", "edd_past_promise") and ahead:
        return text(lang, "notice.eta", day=format_day(value, lang))
    if kind == "predicted_late" and ahead:
        return text(lang, "notice.estimate", day=format_day(value, lang))
    if kind in ("stale", "lost") and today - YEAR <= value <= today:
        return text(lang, "notice.last_scan", day=format_day(value, lang))
    return None


def _next(kind: str, lang: str) -> str:
    if kind == "exception":
        return text(lang, "notice.next.check")
    if kind == "attempt_failed":
        return text(lang, "notice.next.redeliver")
    if kind == "available_for_pickup":
        return text(lang, "notice.next.pickup")
    if kind == "lost":
        return text(lang, "notice.next.claim")
    return text(lang, "notice.next.wait")


def _tracking(carrier: str | None, tracking: str | None, lang: str) -> str | None:
    if carrier and tracking:
        return text(lang, "notice.tracking", carrier=carrier, tracking=tracking)
    if tracking:
        return text(lang, "notice.tracking_number", tracking=tracking)
    if carrier:
        return text(lang, "notice.carrier", carrier=carrier)
    return None


def _reason(reason: str | None, lang: str) -> str | None:
    """A known code in the customer's words; the carrier's own text as it is (without its
    closing punctuation: the sentence adds its own); an unknown code not at all."""
    if reason is None:
        return None
    if reason in REASONS:
        return text(lang, f"reason.{reason}")
    if CODE.fullmatch(reason):
        return None
    return reason.rstrip(" .;:,!") or None


def _implied_carrier(tracking: str | None) -> str | None:
    """The carrier a tracking number's check digits imply, as compose.carrier_name does."""
    found = validate(tracking) if tracking else []
    return found[0].carrier if found else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


# --- after a notice ---------------------------------------------------------------------------


def followup_sentence(
    told_on: date,
    changed: str | None,
    *,
    language: str | None,
    brand: BrandSettings,
) -> str:
    """What an answer says about a notice we sent on `told_on`: "We last wrote to you about
    this order on Mon 16 Nov. Nothing has changed since then." `changed` is the parcel's status
    now (a ShipmentStatus value) when it differs from the one we told about, else None;
    another value is a ValueError.

    For an answer, pass `render(…, followup=Followup(told_on, changed))` instead: the line then
    goes inside the envelope (after an e-mail's greeting, within an SMS's two segments). This
    returns the same words, for callers that only need the text.
    """
    status = None
    if changed is not None:
        if changed not in {s.value for s in ShipmentStatus}:
            raise ValueError(f"unknown status {changed!r}; expected a ShipmentStatus value")
        status = ShipmentStatus(changed)
    lang = voice(locale_for(language), brand.tone)
    return followup_line(Followup(told_on, status), lang)

"""The scenario suite: each file in tests/scenarios/data/ is one customer situation.

A scenario gives the shop's order records, the carrier's tracking records (or which systems
fail), the customer's message, the channel and the clock; it expects the decision (rule,
action, identity, offers) and the facts the reply must state — and must not state. Every
scenario runs through the real classifier, fact gathering, decision and rendering.

Beyond the listed expectations, every reply is checked for invented facts: each tracking
number, order number and date in it must come from the records the scenario supplied.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from router.classify import ModelClassifier
from router.classify.tone import angry
from router.events import Party
from router.facts import Gatherer
from router.orders.base import Order
from router.reply.catalog import day, locale_for
from router.reply.formats import sms_segments
from router.reply.render import render
from router.resolve.decide import (
    Context,
    History,
    Lookups,
    decide,
    merge,
    owner_check,
    plan,
)
from router.settings import BrandSettings, PolicySettings
from router.tracking.base import TrackingInfo
from router.tracking.numbers import find_in_text

DATA = Path(__file__).parent / "data"
FILES = sorted(DATA.glob("*.json"))
CLASSIFIER = ModelClassifier.load()


class Shop:
    """The shop as the scenario describes it (an OrderSource)."""

    def __init__(self, name: str, orders: list[Order], fails: bool) -> None:
        self.name = name
        self.orders = orders
        self.fails = fails
        self.calls = 0

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        self.calls += 1
        if self.fails:
            raise ConnectionError(f"{self.name} is down")
        return next((o for o in self.orders if o.number == number.lstrip("#")), None)

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        self.calls += 1
        if self.fails:
            raise ConnectionError(f"{self.name} is down")
        found = [
            o
            for o in self.orders
            if (email and o.email.casefold() == email.casefold()) or (phone and o.phone == phone)
        ]
        return sorted(found, key=lambda o: o.placed_at, reverse=True)[:limit]


class Carrier:
    """The carrier aggregator as the scenario describes it (a TrackingSource)."""

    name = "carrier"

    def __init__(self, records: dict[str, TrackingInfo], fails: bool) -> None:
        self.records = records
        self.fails = fails

    async def lookup(
        self, tracking_number: str, carrier: str | None, *, now: datetime
    ) -> TrackingInfo | None:
        if self.fails:
            raise TimeoutError("carrier API timed out")
        return self.records.get(tracking_number)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_there_are_at_least_forty_scenarios_covering_every_rule() -> None:
    assert len(FILES) >= 40
    rules = {_load(p)["expect"]["rule"] for p in FILES}
    every = {
        "limit.lookups",
        "greeting",
        "escalate.human_request",
        "ask.clarify",
        "escalate.non_wismo",
        "hold.source_unavailable",
        "ask.identity",
        "ask.not_found",
        "ask.order_number",
        "answer.several_orders",
        "answer.cancelled",
        "answer.not_shipped",
        "offer.lost",
        "offer.delivered_missing",
        "escalate.lost_needs_approval",
        "escalate.claim_needs_approval",
        "answer.delivered_wait",
        "escalate.high_value",
        "escalate.repeat_contact",
        "escalate.anger",
        "answer.action_required",
        "answer.status",
    }
    assert every - rules == set()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_scenario(path: Path) -> None:
    s = _load(path)
    now = datetime.fromisoformat(s["now"])
    orders = [Order.model_validate(o) for o in s.get("orders", [])]
    tracking = {k: TrackingInfo.model_validate(v) for k, v in s.get("tracking", {}).items()}
    failing = set(s.get("failing", []))
    shop = Shop("shop", orders, "shop" in failing)
    carrier = Carrier(tracking, "carrier" in failing)
    gatherer = Gatherer([shop], carrier, budget_s=1.0, attempts=1)
    sender = Party.model_validate(s.get("sender", {"id": "customer"}))
    context = Context.model_validate(s.get("context", {}))
    policy = PolicySettings.model_validate(s.get("policy", {}))
    history = History(**s.get("history", {}))
    fmt = s.get("channel", "chat")

    raw = CLASSIFIER.classify(s["message"], expect_order="order_number" in context.asked_for)
    result = merge(raw, context)
    wanted = plan(result, sender)
    lookups = Lookups()
    if not (history.limited or wanted.empty):
        lookups = await gatherer.gather(wanted, now, owned=owner_check(result, sender))
    resolution = decide(
        result,
        sender,
        lookups,
        now=now,
        threshold=s.get("threshold", 0.6),
        policy=policy,
        history=history,
        angry=angry(s["message"]),
    )
    reply = render(resolution, now, fmt=fmt, brand=BrandSettings())
    expect = s["expect"]
    everything = "\n".join([reply.text, *(link.url for link in reply.links), *reply.quick_replies])

    assert resolution.rule == expect["rule"], (resolution.rule, reply.text)
    assert resolution.action.value == expect["action"]
    if "verified" in expect:
        assert resolution.identity.verified is expect["verified"]
    if "identity" in expect:
        assert resolution.identity.method == expect["identity"]
    assert resolution.offers == expect.get("offers", [])
    for fact in expect.get("says", []):
        assert fact in everything, f"{fact!r} missing from: {reply.text}"
    for fact in expect.get("never_says", []):
        assert fact not in everything, f"{fact!r} leaked into: {reply.text}"
    if "systems" in expect:
        assert sorted({f.system for f in resolution.facts}) == sorted(expect["systems"])
    if "language" in expect:
        assert locale_for(resolution.language) == expect["language"]
    if fmt == "sms":
        assert sms_segments(reply.text) <= 2
        assert reply.links == []
    if fmt == "email":
        assert reply.subject
        assert reply.html
    if "shop_calls" in expect:
        assert shop.calls == expect["shop_calls"]
    _no_invented_facts(reply.text, orders, tracking, now, resolution.wait_until, s)


def _no_invented_facts(
    text: str,
    orders: list[Order],
    tracking: dict[str, TrackingInfo],
    now: datetime,
    wait_until: date | None,
    scenario: dict[str, Any],
) -> None:
    """Every tracking number, order number and date in the reply comes from the records."""
    known_tracking = {s.tracking_number for o in orders for s in o.shipments}
    for match in find_in_text(text):
        assert match.number in known_tracking, f"invented tracking number {match.number}"
    known_orders = {o.number for o in orders} | {
        n.lstrip("#") for n in re.findall(r"#\d+", scenario["message"])
    }
    example = {"1001"}  # the catalog's "for example #1001" when asking for a number
    for number in re.findall(r"#(\d{3,})", text):
        assert number in known_orders | example, f"invented order number #{number}"
    lang = locale_for(scenario.get("expect", {}).get("language", "en"))
    dates: set[date] = {now.date()}
    if wait_until:
        dates.add(wait_until)
    for o in orders:
        dates |= {d for d in (o.promised_by, o.expected_ship_by) if d}
        for s in o.shipments:
            dates |= {x.occurred_at.date() for x in s.scans}
            dates |= {d for d in (s.estimated_delivery,) if d}
            dates |= {d.date() for d in (s.delivered_at, s.shipped_at) if d}
    for info in tracking.values():
        dates |= {e.occurred_at.date() for e in info.events}
        dates |= {d for d in (info.estimated_delivery,) if d}
        if info.delivered_at:
            dates.add(info.delivered_at.date())
    allowed = {day(d, lang) for d in dates}
    horizon = [now.date() + timedelta(days=i) for i in range(-400, 400)]
    for candidate in {day(d, lang) for d in horizon}:
        if candidate in text:
            assert candidate in allowed, f"invented date {candidate!r} in: {text}"


def test_the_invented_facts_check_catches_inventions() -> None:
    scenario = _load(FILES[0])
    now = datetime.fromisoformat(scenario["now"])
    orders = [Order.model_validate(o) for o in scenario["orders"]]
    _no_invented_facts("Order #7301 is on its way.", orders, {}, now, None, scenario)
    with pytest.raises(AssertionError, match="invented tracking number"):
        _no_invented_facts("Tracking 1Z54ESF50309139095.", orders, {}, now, None, scenario)
    with pytest.raises(AssertionError, match="invented order number"):
        _no_invented_facts("Order #8888 is on its way.", orders, {}, now, None, scenario)
    with pytest.raises(AssertionError, match="invented date"):
        _no_invented_facts("Expected Sat 14 Mar.", orders, {}, now, None, scenario)

"""router/facts.py: the Gatherer against fake shops and carriers (the I/O boundary).

Time is injected (`monotonic`) wherever the breaker or the cache reads it; the one real wait is
the 0.05 s budget of the slow-source test.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import pytest

from router.classify.base import Result
from router.events import Entities, FactSource, Party, ShipmentStatus
from router.facts import Breaker, Cache, Gatherer
from router.orders.base import Order, Scan, Shipment
from router.orders.errors import SourceError
from router.resolve.decide import Lookups, Plan, decide, owner_check
from router.tracking.base import TrackingError, TrackingEvent, TrackingInfo
from tests.orders_factory import NOW, UPS, USPS, at, make_order

S = ShipmentStatus
ALICE = "alice@example.com"


def everyone(order: Order) -> bool:
    """Ownership is decide's business; these tests look at gathering alone."""
    return True


class Clock:
    """An injectable monotonic clock."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class FakeShop:
    """An OrderSource: answers from a dict, optionally failing or slow, and records calls."""

    def __init__(
        self,
        name: str,
        *orders: Order,
        failures: int = 0,
        delay: float = 0.0,
        error: Exception | None = None,
    ) -> None:
        self.name = name
        self.error = error or ConnectionError(f"{name} is down")
        self.orders = {o.number: o for o in orders}
        self.failures = failures  # how many calls fail from now on (-1: all of them)
        self.delay = delay
        self.calls: list[tuple[str, ...]] = []

    async def _io(self) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise self.error

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        self.calls.append(("number", number))
        await self._io()
        return self.orders.get(number)

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        self.calls.append(("contact", email or "", phone or ""))
        await self._io()
        mine = [o for o in self.orders.values() if o.email == email or (phone and o.phone == phone)]
        return sorted(mine, key=lambda o: o.placed_at, reverse=True)[:limit]


class FakeCarrier:
    """A TrackingSource: answers from a dict, optionally failing after a suspension point."""

    def __init__(self, *infos: TrackingInfo, fail: bool = False, name: str = "easypost") -> None:
        self.name = name
        self.infos = {i.tracking_number: i for i in infos}
        self.fail = fail
        self.calls: list[str] = []

    async def lookup(
        self, tracking_number: str, carrier: str | None, *, now: datetime
    ) -> TrackingInfo | None:
        self.calls.append(tracking_number)
        await asyncio.sleep(0)  # network I/O: other look-ups run meanwhile
        if self.fail:
            raise ConnectionError("carrier API down")
        return self.infos.get(tracking_number)


def moving(number: str = UPS, carrier: str = "UPS", scan_day: int = 17, **changes: Any) -> Shipment:
    fields: dict[str, Any] = {
        "carrier": carrier,
        "tracking_number": number,
        "status": S.IN_TRANSIT,
        "estimated_delivery": date(2026, 11, 20),
        "scans": [
            Scan(
                occurred_at=at(scan_day),
                status=S.IN_TRANSIT,
                description="Departed facility",
                location="Reno, NV",
            )
        ],
    }
    fields.update(changes)
    return Shipment(**fields)


def delivered(number: str = USPS) -> Shipment:
    return moving(number, "USPS", status=S.DELIVERED, delivered_at=at(17, 14))


def info(number: str = UPS, status: S = S.OUT_FOR_DELIVERY, day: int = 18) -> TrackingInfo:
    return TrackingInfo(
        tracking_number=number,
        carrier="UPS",
        status=status,
        source="easypost",
        status_detail="Out for delivery",
        estimated_delivery=date(2026, 11, 18),
        events=[
            TrackingEvent(
                occurred_at=at(day, 8),
                status=status,
                description="Out for delivery",
                location="San Francisco, CA",
            )
        ],
        record_id=f"trk_{number}",
        fetched_at=NOW,
    )


def by_number(*numbers: str) -> Plan:
    return Plan(order_numbers=numbers)


ALICE_1001 = make_order(moving())
BEN_1002 = make_order(
    moving(),
    number="1002",
    customer_name="Ben Carter",
    email="ben.carter@example.com",
    source=FactSource(system="shop", record_id="order:1002", fetched_at=NOW),
)


# --- orders by number ------------------------------------------------------------------------


async def test_nothing_to_look_up_looks_nothing_up() -> None:
    shop = FakeShop("shop", ALICE_1001)
    assert await Gatherer([shop]).gather(Plan(), NOW, owned=everyone) == Lookups()
    assert shop.calls == []


async def test_the_first_source_that_knows_the_order_wins() -> None:
    other = make_order(number="1001", total=1.0)
    empty, first, second = (
        FakeShop("empty"),
        FakeShop("first", ALICE_1001),
        FakeShop("second", other),
    )
    lookups = await Gatherer([empty, first, second]).gather(by_number("1001"), NOW, owned=everyone)
    assert lookups == Lookups(by_number={"1001": ALICE_1001})
    assert empty.calls == first.calls == [("number", "1001")]
    assert second.calls == []


async def test_an_unknown_order_is_none_and_not_a_failure() -> None:
    shop = FakeShop("shop", ALICE_1001)
    lookups = await Gatherer([shop]).gather(by_number("9999", "1001"), NOW, owned=everyone)
    assert lookups == Lookups(by_number={"9999": None, "1001": ALICE_1001})


async def test_a_failing_source_is_retried_then_reported() -> None:
    broken = FakeShop("broken", ALICE_1001, failures=-1)
    lookups = await Gatherer([broken], attempts=3).gather(by_number("1001"), NOW, owned=everyone)
    assert lookups == Lookups(by_number={"1001": None}, failed=("broken",))
    assert broken.calls == [("number", "1001")] * 3


async def test_a_failing_source_does_not_hide_the_next_one() -> None:
    broken, good = FakeShop("broken", failures=-1), FakeShop("good", ALICE_1001)
    lookups = await Gatherer([broken, good], attempts=2).gather(
        by_number("1001"), NOW, owned=everyone
    )
    assert lookups == Lookups(by_number={"1001": ALICE_1001}, failed=("broken",))
    assert len(broken.calls) == 2


async def test_a_transient_failure_is_retried_away() -> None:
    flaky = FakeShop("flaky", ALICE_1001, failures=1)
    lookups = await Gatherer([flaky], attempts=3).gather(by_number("1001"), NOW, owned=everyone)
    assert lookups == Lookups(by_number={"1001": ALICE_1001})
    assert len(flaky.calls) == 2


@pytest.mark.parametrize(
    ("error", "calls"),
    [
        (SourceError("shopify: HTTP 503", retry=True), 3),
        (TrackingError("EasyPost rate limit (HTTP 429)"), 3),
        (SourceError("shopify: HTTP 401", retry=False), 1),
        (TrackingError("EasyPost sent a malformed Tracker", retry=False), 1),
    ],
)
async def test_only_what_may_pass_is_retried(error: Exception, calls: int) -> None:
    """A rejected key or a payload the API never sends will not change in 50 ms."""
    broken = FakeShop("broken", ALICE_1001, failures=-1, error=error)
    lookups = await Gatherer([broken], attempts=3).gather(by_number("1001"), NOW, owned=everyone)
    assert lookups.failed == ("broken",)
    assert len(broken.calls) == calls


async def test_a_source_failing_for_several_numbers_is_listed_once() -> None:
    broken = FakeShop("broken", failures=-1)
    lookups = await Gatherer([broken], attempts=1).gather(
        by_number("1", "2", "3"), NOW, owned=everyone
    )
    assert lookups.failed == ("broken",)
    assert len(broken.calls) == 3


async def test_a_source_slower_than_the_budget_has_failed() -> None:
    slow, good = FakeShop("slow", ALICE_1001, delay=30.0), FakeShop("good", ALICE_1001)
    gatherer = Gatherer([slow, good], budget_s=0.05)
    lookups = await gatherer.gather(by_number("1001"), NOW, owned=everyone)
    assert lookups == Lookups(by_number={"1001": ALICE_1001}, failed=("slow",))
    assert slow.calls[0] == ("number", "1001")
    assert gatherer.breakers["slow"].failures == 1


# --- circuit breaker ---------------------------------------------------------------------------


async def test_the_breaker_opens_after_five_failures_and_skips_the_source() -> None:
    clock = Clock()
    broken = FakeShop("broken", ALICE_1001, failures=-1)
    gatherer = Gatherer([broken], attempts=1, monotonic=clock)
    for n in range(5):
        assert (await gatherer.gather(by_number(f"{n}"), NOW, owned=everyone)).failed == ("broken",)
    assert len(broken.calls) == 5

    lookups = await gatherer.gather(by_number("1001"), NOW, owned=everyone)
    assert lookups == Lookups(by_number={"1001": None}, failed=("broken",))
    assert len(broken.calls) == 5  # skipped: no call at all

    clock.t += 29.9
    assert (await gatherer.gather(by_number("1001"), NOW, owned=everyone)).failed == ("broken",)
    assert len(broken.calls) == 5


async def test_the_breaker_half_opens_after_the_cool_down() -> None:
    clock = Clock()
    broken = FakeShop("broken", ALICE_1001, failures=-1)
    gatherer = Gatherer([broken], attempts=1, monotonic=clock)
    for n in range(5):
        await gatherer.gather(by_number(f"{n}"), NOW, owned=everyone)

    # Half open: one trial call; it fails, so the breaker opens again at once.
    clock.t += 30
    assert (await gatherer.gather(by_number("1001"), NOW, owned=everyone)).failed == ("broken",)
    assert len(broken.calls) == 6
    assert (await gatherer.gather(by_number("1001"), NOW, owned=everyone)).failed == ("broken",)
    assert len(broken.calls) == 6

    # The next trial succeeds: closed again, every call goes through.
    clock.t += 30
    broken.failures = 0
    assert await gatherer.gather(by_number("1001"), NOW, owned=everyone) == Lookups(
        by_number={"1001": ALICE_1001}
    )
    assert await gatherer.gather(by_number("1002"), NOW, owned=everyone) == Lookups(
        by_number={"1002": None}
    )
    assert len(broken.calls) == 8
    assert gatherer.breakers["broken"] == Breaker(failures=0, opened_at=None)


def test_the_breaker_counts_consecutive_failures_only() -> None:
    breaker = Breaker()
    for _ in range(4):
        breaker.record(False, 0.0)
    breaker.record(True, 0.0)
    for _ in range(4):
        breaker.record(False, 0.0)
    assert breaker.allow(0.0)
    breaker.record(False, 10.0)
    assert not breaker.allow(10.0)
    assert not breaker.allow(39.9)
    assert breaker.allow(40.0)


async def test_one_sources_breaker_does_not_stop_another() -> None:
    clock = Clock()
    broken, good = FakeShop("broken", failures=-1), FakeShop("good", ALICE_1001)
    gatherer = Gatherer([broken, good], attempts=1, monotonic=clock, cache_ttl_s=0.5)
    for _ in range(6):
        clock.t += 1  # past the cache's ttl, well inside the breaker's cool-down
        lookups = await gatherer.gather(by_number("1001"), NOW, owned=everyone)
        assert lookups == Lookups(by_number={"1001": ALICE_1001}, failed=("broken",))
    assert (len(broken.calls), len(good.calls)) == (5, 6)


async def test_a_half_open_breaker_lets_one_trial_call_through() -> None:
    clock = Clock()
    carrier = FakeCarrier(fail=True)
    order = make_order(moving(UPS), moving(USPS, "USPS"))
    gatherer = Gatherer([FakeShop("shop", order)], carrier, attempts=1, monotonic=clock)
    gatherer.breakers["easypost"] = Breaker(failures=5, opened_at=clock.t)
    clock.t += 30
    lookups = await gatherer.gather(by_number("1001"), NOW, owned=everyone)
    assert lookups.failed == ("easypost",)
    assert len(carrier.calls) == 1


# --- cache -------------------------------------------------------------------------------------


async def test_a_cached_answer_is_not_asked_again_within_the_ttl() -> None:
    clock = Clock()
    shop = FakeShop("shop", ALICE_1001)
    gatherer = Gatherer([shop], cache_ttl_s=60, monotonic=clock)
    first = await gatherer.gather(by_number("1001"), NOW, owned=everyone)
    clock.t += 59
    assert await gatherer.gather(by_number("1001"), NOW, owned=everyone) == first
    assert shop.calls == [("number", "1001")]

    clock.t += 2  # 61 s after the first call: expired
    assert await gatherer.gather(by_number("1001"), NOW, owned=everyone) == first
    assert shop.calls == [("number", "1001")] * 2


async def test_not_found_is_cached_too_but_a_failure_is_not() -> None:
    clock = Clock()
    shop = FakeShop("shop", failures=1)
    gatherer = Gatherer([shop], attempts=1, monotonic=clock)
    assert (await gatherer.gather(by_number("9999"), NOW, owned=everyone)).failed == ("shop",)
    assert await gatherer.gather(by_number("9999"), NOW, owned=everyone) == Lookups(
        by_number={"9999": None}
    )
    assert await gatherer.gather(by_number("9999"), NOW, owned=everyone) == Lookups(
        by_number={"9999": None}
    )
    assert len(shop.calls) == 2


def test_the_cache_forgets_the_least_recently_written() -> None:
    cache = Cache(ttl_s=10, size=2)
    cache.put(("a",), 1, 0.0)
    cache.put(("b",), 2, 0.0)
    cache.put(("c",), 3, 0.0)
    assert cache.get(("a",), 1.0) == (False, None)
    assert cache.get(("c",), 1.0) == (True, 3)
    assert cache.get(("c",), 10.5) == (False, None)


# --- orders by contact -------------------------------------------------------------------------


async def test_by_contact_merges_every_source_newest_first() -> None:
    old = make_order(number="1001", placed_at=at(2))
    newest = make_order(number="1026", placed_at=at(16))
    middle = make_order(number="W-77", placed_at=at(9))
    ben = make_order(number="1002", email="ben.carter@example.com", placed_at=at(17))
    shop, woo = FakeShop("shop", old, newest, ben), FakeShop("woo", middle)
    lookups = await Gatherer([shop, woo]).gather(Plan(email=ALICE), NOW, owned=everyone)
    assert [o.number for o in lookups.by_contact] == ["1026", "W-77", "1001"]
    assert lookups.failed == ()
    assert shop.calls == woo.calls == [("contact", ALICE, "")]


async def test_by_contact_keeps_the_answers_of_the_sources_that_worked() -> None:
    with_phone = make_order(phone="+14155550134")
    broken, shop = FakeShop("broken", failures=-1), FakeShop("shop", with_phone, BEN_1002)
    lookups = await Gatherer([broken, shop], attempts=1).gather(
        Plan(phone="+14155550134"), NOW, owned=everyone
    )
    assert lookups == Lookups(by_contact=(with_phone,), failed=("broken",))


# --- tracking ----------------------------------------------------------------------------------


async def test_tracking_is_looked_up_only_for_parcels_still_on_their_way() -> None:
    order = make_order(moving(UPS), delivered(USPS))
    carrier = FakeCarrier(info(UPS))
    lookups = await Gatherer([FakeShop("shop", order)], carrier).gather(
        by_number("1001"), NOW, owned=everyone
    )
    assert carrier.calls == [UPS]
    found = lookups.by_number["1001"]
    assert found is not None
    ups, usps = found.shipments
    assert (ups.status, ups.status_detail, ups.estimated_delivery) == (
        S.OUT_FOR_DELIVERY,
        "Out for delivery",
        date(2026, 11, 18),
    )
    assert ups.sources == [FactSource(system="easypost", record_id=f"trk_{UPS}", fetched_at=NOW)]
    assert usps == order.shipments[1]
    assert lookups.failed == ()


@pytest.mark.parametrize(
    "status",
    [S.DELIVERED, S.AVAILABLE_FOR_PICKUP, S.RETURN_TO_SENDER, S.FAILURE, S.CANCELLED, S.EXPIRED],
)
async def test_final_statuses_are_not_tracked(status: S) -> None:
    carrier = FakeCarrier(info(UPS))
    order = make_order(moving(UPS, status=status))
    await Gatherer([FakeShop("shop", order)], carrier).gather(
        by_number("1001"), NOW, owned=everyone
    )
    assert carrier.calls == []


async def test_orders_found_by_contact_are_tracked_and_merged() -> None:
    carrier = FakeCarrier(info(UPS))
    shop = FakeShop("shop", ALICE_1001)
    lookups = await Gatherer([shop], carrier).gather(Plan(email=ALICE), NOW, owned=everyone)
    [order] = lookups.by_contact
    assert order.shipments[0].status == S.OUT_FOR_DELIVERY
    assert order.shipments[0].sources[-1].system == "easypost"


async def test_an_unknown_parcel_leaves_the_shop_facts() -> None:
    carrier = FakeCarrier()
    lookups = await Gatherer([FakeShop("shop", ALICE_1001)], carrier).gather(
        by_number("1001"), NOW, owned=everyone
    )
    assert lookups == Lookups(by_number={"1001": ALICE_1001})
    assert carrier.calls == [UPS]


async def test_a_tracking_failure_is_reported_and_the_shop_facts_kept() -> None:
    carrier = FakeCarrier(fail=True)
    lookups = await Gatherer([FakeShop("shop", ALICE_1001)], carrier, attempts=2).gather(
        by_number("1001"), NOW, owned=everyone
    )
    assert lookups == Lookups(by_number={"1001": ALICE_1001}, failed=("easypost",))
    assert carrier.calls == [UPS, UPS]


async def test_tracking_answers_are_cached() -> None:
    clock = Clock()
    carrier = FakeCarrier(info(UPS))
    gatherer = Gatherer([FakeShop("shop", ALICE_1001)], carrier, monotonic=clock)
    await gatherer.gather(by_number("1001"), NOW, owned=everyone)
    await gatherer.gather(Plan(email=ALICE), NOW, owned=everyone)
    assert carrier.calls == [UPS]


async def test_the_decision_names_the_carrier_as_a_source() -> None:
    carrier = FakeCarrier(info(UPS))
    lookups = await Gatherer([FakeShop("shop", ALICE_1001)], carrier).gather(
        by_number("1001"), NOW, owned=everyone
    )
    result = Result(
        "wismo.status", True, 0.9, "en", Entities(order_numbers=["1001"], emails=[ALICE])
    )
    resolution = decide(result, Party(id="s1"), lookups, now=NOW, threshold=0.6)
    assert resolution.rule == "answer.status"
    assert [f.system for f in resolution.facts] == ["sql", "easypost"]


async def test_a_carrier_outage_does_not_reveal_that_an_order_exists() -> None:
    shop = FakeShop("shop", BEN_1002)
    gatherer = Gatherer([shop], FakeCarrier(fail=True), attempts=1)
    replies = []
    for number in ("1002", "9999"):
        result = Result(
            "wismo.status", True, 0.9, "en", Entities(order_numbers=[number], emails=[ALICE])
        )
        owned = owner_check(result, Party(id="s1"))
        lookups = await gatherer.gather(by_number(number), NOW, owned=owned)
        resolution = decide(result, Party(id="s1"), lookups, now=NOW, threshold=0.6)
        replies.append((resolution.rule, resolution.action))
    assert replies[0] == replies[1]


async def test_carriers_are_asked_only_about_orders_the_sender_owns() -> None:
    carrier = FakeCarrier(info(UPS))
    lookups = await Gatherer([FakeShop("shop", ALICE_1001)], carrier).gather(
        by_number("1001"), NOW, owned=lambda order: False
    )
    assert carrier.calls == []
    assert lookups == Lookups(by_number={"1001": ALICE_1001})

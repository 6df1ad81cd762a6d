"""Gathering facts from shops and carriers: the only I/O between classify and decide.

Every external call has a time budget (default 2 s, retries included), is retried with
jittered backoff, and goes through a circuit breaker per source, so a dead shop API costs one
fast failure instead of a queue of slow ones. Answers are cached for a short time. A source
that fails is reported, never papered over: the decision then holds and escalates instead of
guessing.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import structlog
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from router.errors import Unavailable
from router.orders.base import Order, OrderSource
from router.resolve.decide import Lookups, Plan
from router.resolve.reasoning import DONE, with_tracking
from router.tracking.base import TrackingInfo, TrackingSource

log = structlog.get_logger(__name__)

T = TypeVar("T")
FINAL = frozenset({*DONE, "cancelled", "return_to_sender", "failure", "expired"})


class SourceDown(Exception):
    """The breaker is open: the source failed repeatedly and is being given a rest."""


@dataclass
class Breaker:
    """Opens after `threshold` consecutive failures; lets one trial call through after `cool_s`."""

    threshold: int = 5
    cool_s: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    trial: bool = False  # a half-open trial call is in flight

    def allow(self, now: float) -> bool:
        if self.opened_at is None:
            return True
        if now - self.opened_at < self.cool_s or self.trial:
            return False
        self.trial = True
        return True

    def record(self, ok: bool, now: float) -> None:
        self.trial = False
        if ok:
            self.failures, self.opened_at = 0, None
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now


@dataclass
class Cache:
    ttl_s: float = 60.0
    size: int = 10_000
    entries: OrderedDict[tuple[str, ...], tuple[float, Any]] = field(default_factory=OrderedDict)

    def get(self, key: tuple[str, ...], now: float) -> tuple[bool, Any]:
        found = self.entries.get(key)
        if found is None or found[0] < now:
            return False, None
        return True, found[1]

    def put(self, key: tuple[str, ...], value: Any, now: float) -> None:
        self.entries[key] = (now + self.ttl_s, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


def _retryable(exc: BaseException) -> bool:
    """Not what the source told us is permanent (a rejected key, a payload it never sends)."""
    return isinstance(exc, Exception) and (not isinstance(exc, Unavailable) or exc.retry)


class Gatherer:
    def __init__(
        self,
        orders: Sequence[OrderSource],
        tracking: TrackingSource | None = None,
        *,
        budget_s: float = 2.0,
        cache_ttl_s: float = 60.0,
        attempts: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.orders = list(orders)
        self.tracking = tracking
        self.budget_s = budget_s
        self.attempts = attempts
        self.cache = Cache(ttl_s=cache_ttl_s)
        self.breakers: dict[str, Breaker] = {}
        self.monotonic = monotonic

    async def _call(self, source: str, key: tuple[str, ...], call: Callable[[], Awaitable[T]]) -> T:
        """One look-up: cached, budgeted, retried, behind the source's breaker."""
        now = self.monotonic()
        hit, cached = self.cache.get((source, *key), now)
        if hit:
            result: T = cached
            return result
        breaker = self.breakers.setdefault(source, Breaker())
        if not breaker.allow(now):
            raise SourceDown(source)
        try:
            async with asyncio.timeout(self.budget_s):
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.attempts),
                    wait=wait_random_exponential(multiplier=0.05, max=0.5),
                    retry=retry_if_exception(_retryable),
                    reraise=True,
                ):
                    with attempt:
                        value: T = await call()
        except Exception as exc:
            breaker.record(False, self.monotonic())
            log.warning("source_failed", source=source, error=f"{type(exc).__name__}: {exc}")
            raise
        breaker.record(True, self.monotonic())
        self.cache.put((source, *key), value, self.monotonic())
        return value

    async def gather(self, plan: Plan, now: datetime, *, owned: Callable[[Order], bool]) -> Lookups:
        """Orders for the plan; carrier facts only for orders `owned` says the sender owns, so
        a carrier outage can never reveal that somebody else's order exists."""
        failed: list[str] = []
        by_number: dict[str, Order | None] = {}
        for number in plan.order_numbers:
            by_number[number] = await self._order_by_number(number, now, failed)
        by_contact: list[Order] = []
        if plan.email or plan.phone:
            by_contact = await self._orders_by_contact(plan, now, failed)
        found = [o for o in (*by_number.values(), *by_contact) if o is not None and owned(o)]
        tracking = await self._track(found, now, failed)
        return Lookups(
            by_number={n: o and with_tracking(o, tracking) for n, o in by_number.items()},
            by_contact=tuple(with_tracking(o, tracking) for o in by_contact),
            failed=tuple(dict.fromkeys(failed)),
        )

    async def _order_by_number(self, number: str, now: datetime, failed: list[str]) -> Order | None:
        for source in self.orders:

            async def call(source: OrderSource = source) -> Order | None:
                return await source.by_number(number, now=now)

            try:
                order = await self._call(source.name, ("number", number), call)
            except Exception:
                failed.append(source.name)
                continue
            if order is not None:
                return order
        return None

    async def _orders_by_contact(self, plan: Plan, now: datetime, failed: list[str]) -> list[Order]:
        found: dict[tuple[str, str], Order] = {}
        for source in self.orders:

            async def call(source: OrderSource = source) -> list[Order]:
                return await source.by_contact(email=plan.email, phone=plan.phone, now=now)

            key = ("contact", plan.email or "", plan.phone or "")
            try:
                orders = await self._call(source.name, key, call)
            except Exception:
                failed.append(source.name)
                continue
            for order in orders:
                found.setdefault((source.name, order.number), order)
        return sorted(found.values(), key=lambda o: o.placed_at, reverse=True)

    async def _track(
        self, orders: list[Order], now: datetime, failed: list[str]
    ) -> dict[str, TrackingInfo]:
        """Carrier facts for shipments still on their way (a delivered parcel stays so)."""
        tracker = self.tracking
        if tracker is None:
            return {}
        wanted = {
            s.tracking_number: s.carrier
            for o in orders
            for s in o.shipments
            if s.tracking_number and s.status.value not in FINAL
        }

        async def one(number: str, carrier: str | None) -> tuple[str, TrackingInfo | None]:
            async def call() -> TrackingInfo | None:
                return await tracker.lookup(number, carrier, now=now)

            return number, await self._call(tracker.name, ("track", number), call)

        results = await asyncio.gather(
            *(one(n, c) for n, c in wanted.items()), return_exceptions=True
        )
        found: dict[str, TrackingInfo] = {}
        for result in results:
            if isinstance(result, BaseException):
                failed.append(tracker.name)
                continue
            number, info = result
            if info is not None:
                found[number] = info
        return found

"""The ingest role's one job: put a verified inbound message on the bus, or say it could not.

Channels call `accept` and answer their provider 2xx only after it returned; BusUnavailable
means answer 503 so the provider retries. A message whose event id is already on the bus (a
provider retrying a webhook it thinks failed) is acknowledged without a second event. The
receipt is written after the publish, so a crash in between can only repeat an event, which
the pipeline's ledger then skips: a message is never lost to deduplication.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from router.bus import BusUnavailable, EventBus
from router.bus import topics as t
from router.bus.codec import publish_event
from router.events import Event, InboundMessage
from router.metrics import Metrics
from router.store import channel_state
from router.store.db import Database


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ingest:
    bus: EventBus
    metrics: Metrics
    db: Database
    clock: Callable[[], datetime] = _utc_now
    _locks: dict[str, tuple[asyncio.Lock, int]] = field(default_factory=dict, repr=False)

    async def accept(self, message: InboundMessage) -> bool:
        """True when the message is new and now on the bus; False for a duplicate."""
        new = await self.accept_event(message, t.INBOUND, message.channel)
        if new:
            # When they last wrote: the 24-hour windows of WhatsApp, Messenger, Instagram.
            await channel_state.touch_contact(
                self.db,
                message.channel,
                message.sender.id,
                message.received_at,
                conversation_key=message.conversation_key,
                route=message.route,
            )
            self.metrics.inbound.labels(channel=message.channel).inc()
        return new

    async def accept_event(self, event: Event, topic: str, channel: str) -> bool:
        """Any verified event from outside (a desk's human action too), deduplicated by its
        event id like a customer message: True when new and now on the bus."""
        # Two deliveries of one event racing in this process: the second waits for the first.
        key = event.event_id
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                if await channel_state.is_received(self.db, key):
                    self.metrics.duplicates.labels(channel=channel).inc()
                    return False
                try:
                    await publish_event(self.bus, topic, event)
                except BusUnavailable:
                    self.reject(channel, "bus_unavailable")
                    raise
                await channel_state.record_received(self.db, key, channel, self.clock())
                return True
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def accept_all(self, messages: Iterable[InboundMessage]) -> int:
        """Every message of one webhook (Meta batches many), in order; how many were new."""
        return sum([await self.accept(m) for m in messages])

    def reject(self, channel: str, reason: str) -> None:
        """A request refused: bad input, bad signature, bus unavailable."""
        self.metrics.rejected.labels(channel=channel, reason=reason).inc()

    def ignore(self, channel: str, reason: str) -> None:
        """A valid request deliberately not answered (an auto-reply, a bounce), acknowledged."""
        self.metrics.ignored.labels(channel=channel, reason=reason).inc()

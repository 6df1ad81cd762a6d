"""The dispatch role: send each outbound message through its channel, once, and record it.

The ledger row is written with the delivery, so a redelivered reply (same `reply:<inbound id>`)
is skipped. A channel that fails is retried by the bus and then dead-lettered with the error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog

from router.bus import PermanentError, Record
from router.bus.codec import decode_as
from router.events import OutboundMessage
from router.live import ConversationFeed
from router.metrics import Metrics
from router.store import repo
from router.store.db import Database

log = structlog.get_logger(__name__)

CONSUMER = "dispatch"


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_message_id: str | None = None
    # "suppressed": deliberately not sent (the customer opted out); not an error.
    status: Literal["sent", "suppressed"] = "sent"


class SendFailed(Exception):
    """The channel gave up: the provider refused (4xx), a rule forbids sending (outside a
    messaging window with no template), or its own retries are spent. Recorded as a failed
    delivery and dead-lettered with this reason; the bus does not retry it again."""


Sender = Callable[[OutboundMessage], Awaitable[SendResult]]


@dataclass
class Dispatcher:
    senders: Mapping[str, Sender]
    db: Database
    feed: ConversationFeed
    metrics: Metrics
    clock: Callable[[], datetime]

    async def handle(self, record: Record) -> None:
        outbound = decode_as(OutboundMessage, record)
        if await repo.is_processed(self.db, CONSUMER, outbound.event_id):
            log.info("duplicate_skipped", event_id=outbound.event_id)
            return
        send = self.senders.get(outbound.channel)
        if send is None:
            raise PermanentError(f"no channel named {outbound.channel!r} is registered")
        try:
            result = await send(outbound)
        except SendFailed as exc:
            self.metrics.errors.labels(role="dispatch", kind=type(exc).__name__).inc()
            self.metrics.delivery_status.labels(channel=outbound.channel, status="failed").inc()
            await repo.record_failed_delivery(self.db, outbound, str(exc), self.clock())
            log.warning("send_failed", event_id=outbound.event_id, error=str(exc))
            raise PermanentError(f"{outbound.channel}: {exc}") from exc
        except Exception as exc:
            self.metrics.errors.labels(role="dispatch", kind=type(exc).__name__).inc()
            raise
        now = self.clock()
        await repo.record_delivery(
            self.db,
            CONSUMER,
            outbound,
            provider_message_id=result.provider_message_id,
            now=now,
            status=result.status,
        )
        self.metrics.delivery_status.labels(channel=outbound.channel, status=result.status).inc()
        if result.status == "suppressed":
            log.info("suppressed", event_id=outbound.event_id, channel=outbound.channel)
            return
        self.feed.notify(outbound.conversation_key)
        self.metrics.outbound.labels(channel=outbound.channel).inc()
        if outbound.received_at is not None:
            elapsed = max(0.0, (now - outbound.received_at).total_seconds())
            self.metrics.latency.labels(channel=outbound.channel).observe(elapsed)
        log.info("delivered", event_id=outbound.event_id, channel=outbound.channel)

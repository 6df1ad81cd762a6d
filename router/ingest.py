"""The ingest role's one job: put a verified inbound message on the bus, or say it could not.

Channels call `accept` and answer their provider 2xx only after it returned; BusUnavailable
means answer 503 so the provider retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from router.bus import BusUnavailable, EventBus
from router.bus import topics as t
from router.bus.codec import publish_event
from router.events import InboundMessage
from router.metrics import Metrics


@dataclass
class Ingest:
    bus: EventBus
    metrics: Metrics

    async def accept(self, message: InboundMessage) -> None:
        try:
            await publish_event(self.bus, t.INBOUND, message)
        except BusUnavailable:
            self.reject(message.channel, "bus_unavailable")
            raise
        self.metrics.inbound.labels(channel=message.channel).inc()

    def reject(self, channel: str, reason: str) -> None:
        self.metrics.rejected.labels(channel=channel, reason=reason).inc()

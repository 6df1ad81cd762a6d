"""One event stream: the EventBus protocol, its in-memory and Kafka implementations."""

from __future__ import annotations

from router.bus.base import (
    BusStats,
    BusUnavailable,
    Consumer,
    EventBus,
    Handler,
    PermanentError,
    Record,
    RetryPolicy,
)
from router.settings import BusSettings

__all__ = [
    "BusStats",
    "BusUnavailable",
    "Consumer",
    "EventBus",
    "Handler",
    "PermanentError",
    "Record",
    "RetryPolicy",
    "make_bus",
]


def make_bus(cfg: BusSettings) -> EventBus:
    retry = RetryPolicy(max_attempts=cfg.max_attempts)
    if cfg.backend == "kafka":
        from router.bus.kafka import KafkaBus

        return KafkaBus(cfg.kafka, topic_prefix=cfg.topic_prefix, retry=retry)
    from router.bus.memory import MemoryBus

    return MemoryBus(partitions=cfg.memory_partitions, retention=cfg.memory_retention, retry=retry)

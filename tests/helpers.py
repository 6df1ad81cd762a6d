"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

from router.bus import RetryPolicy
from router.settings import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05)


def kafka_settings(bootstrap: str) -> KafkaSettings:
    """Short timeouts so rebalances in tests take a second, not ten."""
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        partitions=3,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        fetch_max_wait_ms=10,
        linger_ms=0,
        publish_timeout_s=5.0,
    )


def unique_prefix() -> str:
    return f"test{uuid.uuid4().hex[:10]}."

"""What the channel fuzz tests share: the service running in a thread of its own (so
hypothesis can drive it with plain blocking HTTP calls), JSON trees, and the one rule every
refusal follows (a short JSON body)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from channels.base import ChannelFactory
from channels.registry import CHANNELS
from router.app import Service
from router.settings import Settings

json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_trees = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def nested(depth: int) -> bytes:
    """JSON nested deeper than any parser's recursion limit."""
    return b'{"a":' * depth + b"1" + b"}" * depth


@dataclass
class Running:
    service: Service
    port: int

    def published(self) -> int:
        return self.service.bus.stats.published

    def request(
        self, method: str, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes, str]:
        """Status, body and Content-Type of one blocking HTTP call."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(method, path, body=body, headers=dict(headers))
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Type") or ""
        finally:
            connection.close()


@contextlib.contextmanager
def running_service(
    tmp: Path,
    channels: Mapping[str, Mapping[str, Any]],
    *,
    factories: Mapping[str, ChannelFactory] = CHANNELS,
    roles: list[str] | None = None,
    **extra: Any,
) -> Iterator[Running]:
    """The service with these channel settings (and other `extra` settings), on a loop in its
    own thread."""
    settings = Settings(
        host="127.0.0.1",
        port=0,
        roles=roles or ["ingest", "pipeline", "dispatch"],
        database={"url": f"sqlite+aiosqlite:///{tmp}/fuzz.db"},
        channels={name: dict(config) for name, config in channels.items()},
        **extra,
    )
    loop = asyncio.new_event_loop()
    service = Service(settings, channels=factories)
    started = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        await service.start()
        started.set()
        await stop.wait()
        await service.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(30), "the service did not start"
    assert service.port is not None
    try:
        yield Running(service, service.port)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


def check_answer(status: int, body: bytes, content_type: str) -> None:
    """Never a 5xx; a refusal is a short JSON `{"error", "message"}`."""
    assert status < 500, body[:300]
    if status >= 400:
        assert content_type.startswith("application/json"), content_type
        assert set(json.loads(body)) == {"error", "message"}
        assert len(body) < 1000

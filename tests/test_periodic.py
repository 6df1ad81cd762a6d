"""Repeated background work: runs again after a failure, waits first when asked, stops."""

from __future__ import annotations

import asyncio

from router.periodic import Periodic


async def test_runs_repeatedly_and_survives_a_failing_pass() -> None:
    calls: list[int] = []

    async def work() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("one bad pass")

    periodic = Periodic("test", work, lambda: 0.001)
    periodic.start()
    periodic.start()  # a second start is a no-op
    async with asyncio.timeout(5):
        while len(calls) < 5:
            await asyncio.sleep(0.001)
    await periodic.stop()
    assert not periodic.running
    seen = len(calls)
    await asyncio.sleep(0.02)
    assert len(calls) == seen  # stopped means stopped
    await periodic.stop()  # and stopping twice is fine


async def test_wait_first_delays_the_first_pass() -> None:
    calls: list[None] = []

    async def work() -> None:
        calls.append(None)

    periodic = Periodic("test", work, lambda: 3600, wait_first=True)
    periodic.start()
    await asyncio.sleep(0.02)
    assert calls == []
    await periodic.stop()

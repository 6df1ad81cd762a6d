"""Background work a role repeats (reminders, time-based checks): one task, started with the
role and cancelled at shutdown; one failed pass is logged and the next one still runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[None]],
        interval: Callable[[], float],
        *,
        wait_first: bool = False,
    ) -> None:
        """`interval` is read before every wait, so a test (or a setting) may change it;
        `wait_first`: the first pass comes one interval after the start, not at once."""
        self.name = name
        self.work = work
        self.interval = interval
        self.wait_first = wait_first
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._forever(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None

    async def _forever(self) -> None:
        if self.wait_first:
            await asyncio.sleep(self.interval())
        while True:
            try:
                await self.work()
            except Exception:  # one bad pass must not end the work
                log.exception("periodic_work_failed", name=self.name)
            await asyncio.sleep(self.interval())

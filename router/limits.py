"""Look-up limits per sender and per order: nobody can walk order numbers to find real ones.

In memory, per pipeline process (a sender's messages stay on one partition, so on one
process); a sliding window of timestamps per key, the least recently used keys forgotten.
"""

from __future__ import annotations

from collections import OrderedDict, deque


class SlidingLimit:
    def __init__(self, limit: int, window_s: float, *, keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.keys = keys
        self.events: OrderedDict[str, deque[float]] = OrderedDict()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self.events.get(key)
        if events is None:
            events = self.events[key] = deque()
            while len(self.events) > self.keys:
                self.events.popitem(last=False)
        self.events.move_to_end(key)
        while events and now - events[0] > self.window_s:
            events.popleft()
        return events

    def exceeded(self, key: str, now: float) -> bool:
        return len(self._trim(key, now)) >= self.limit

    def record(self, key: str, now: float) -> None:
        self._trim(key, now).append(now)

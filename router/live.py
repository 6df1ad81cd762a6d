"""In-process "this conversation has new messages" signals.

Dispatch notifies after the message is committed; a chat socket in the same process wakes up
and reads the mailbox at once. Sockets in other processes poll the mailbox instead, so the
signal is only a latency shortcut, never the delivery mechanism.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class ConversationFeed:
    def __init__(self) -> None:
        self._listeners: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, conversation_key: str) -> None:
        for event in self._listeners.get(conversation_key, ()):
            event.set()

    @contextmanager
    def listen(self, conversation_key: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._listeners[conversation_key].add(event)
        try:
            yield event
        finally:
            listeners = self._listeners[conversation_key]
            listeners.discard(event)
            if not listeners:
                del self._listeners[conversation_key]

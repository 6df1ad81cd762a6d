"""The Channel protocol: every provider folder implements it, the registry lists it once.

Inbound: a channel mounts its webhook routes (only in processes that run the ingest role),
verifies and parses each request into InboundMessage(s), and calls `ctx.ingest.accept`; it
answers 2xx only after that returned (channels/webhook.py has the shared pieces). Outbound:
`send` delivers one OutboundMessage and returns the provider's message id. SendFailed means
"given up" (dead-lettered with the reason); any other exception means "retry me".

A channel whose settings lack what it needs to verify requests (a secret, a token) raises
ChannelDisabled from its constructor: it is then not mounted at all, so an unverified
webhook can never be reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from router.bus import EventBus, Record
from router.dispatch import SendResult
from router.events import OutboundMessage
from router.ingest import Ingest
from router.live import ConversationFeed
from router.metrics import Metrics
from router.orders.actions import OrderActions
from router.reply.formats import Format
from router.settings import Settings
from router.store.db import Database


class ChannelDisabled(Exception):
    """The channel is not configured (no credentials): it is left out, with this reason."""


@dataclass(frozen=True)
class ChannelContext:
    """What the composition root hands every channel."""

    settings: Settings
    config: Mapping[str, Any]  # this channel's own section: settings.channels[<name>]
    ingest: Ingest
    db: Database
    feed: ConversationFeed
    clock: Callable[[], datetime]
    http: aiohttp.ClientSession  # shared, for calling the provider's API


class Channel(Protocol):
    name: str
    reply_format: Format  # how replies are shaped for it: chat, sms, email, messaging

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        """Webhook and page routes, mounted by the ingest role."""

    async def send(self, message: OutboundMessage) -> SendResult: ...

    async def close(self) -> None:
        """Release connections; called at shutdown before the HTTP server stops."""


ChannelFactory = Callable[[ChannelContext], Channel]


@dataclass(frozen=True)
class DeskContext:
    """What the composition root hands a human desk (Slack): more than a channel gets, since
    a desk also carries out what humans decide (answers, approvals)."""

    settings: Settings
    config: Mapping[str, Any]  # this desk's own section: settings.channels[<name>]
    ingest: Ingest
    db: Database
    bus: EventBus  # the desk role publishes human answers to the outbound topic
    metrics: Metrics
    clock: Callable[[], datetime]
    http: aiohttp.ClientSession
    formats: Mapping[str, Format]  # customer channel → reply format, for approval notices
    order_actions: OrderActions | None  # carries out approved remedies; None: not configured


class Desk(Protocol):
    """Where humans take escalations: its routes are mounted by the ingest role; the desk role
    consumes the escalations and desk topics with `handle` and runs `start`'s background work
    (reminders, idle hand-backs) until `close`."""

    name: str

    def routes(self) -> Iterable[web.AbstractRouteDef]: ...

    async def handle(self, record: Record) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


DeskFactory = Callable[[DeskContext], Desk]

"""The Slack desk under test: the real SlackDesk (its routes on a local server) against the
local fake Slack Web API, on the memory bus and a SQLite store seeded with the demo shop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from channels.base import DeskContext
from channels.slack import SlackDesk
from router.bus import Record
from router.bus import topics as t
from router.bus.codec import decode, encode
from router.bus.memory import MemoryBus
from router.events import Escalation, Event, Party
from router.ingest import Ingest
from router.metrics import Metrics
from router.orders import demo
from router.orders.actions import OrderActions, SqlOrderActions
from router.settings import Settings
from router.store.db import Database
from tests.channels.slack.fake_slack import FakeSlack, running
from tests.channels.slack.support import SlackPerson, slack_config
from tests.helpers import Clock, local_server

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ALICE = Party(id="+14155550134", name="Alice Ng", phone="+14155550134")


def escalation(
    n: int = 1,
    *,
    conversation: str = "sms:+14155550134",
    needs_approval: list[str] | None = None,
    suggested: str | None = "A colleague will get back to you here.",
    **changes: Any,
) -> Escalation:
    return Escalation.model_validate(
        {
            "event_id": f"escalation:twilio:SM{n}",
            "occurred_at": NOW,
            "inbound_id": f"twilio:SM{n}",
            "decision_id": f"decision:twilio:SM{n}",
            "conversation_key": conversation,
            "channel": "sms",
            "provider": "twilio",
            "reason": "asked for a person",
            "rule": "escalate.human_request",
            "intent": "human",
            "language": "en",
            "customer_text": "I want to talk to a person",
            "suggested_reply": suggested,
            "recipient": ALICE,
            "route": {"to": "+14155552671"},
            "needs_approval": needs_approval or [],
            "order": {"number": "1001"},
            **changes,
        }
    )


def as_record(event: Event, topic: str = t.ESCALATIONS, offset: int = 0) -> Record:
    key, value, headers = encode(event)
    return Record(topic, 0, offset, key, value, headers, NOW)


class Recorder:
    """Every event the desk published (human answers, remedy notices), by topic."""

    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = {}

    async def __call__(self, record: Record) -> None:
        self.events.setdefault(record.topic, []).append(decode(record))

    def on(self, topic: str) -> list[Event]:
        return self.events.get(topic, [])

    async def wait_for(self, topic: str, count: int) -> list[Event]:
        async with asyncio.timeout(5):
            while len(self.on(topic)) < count:
                await asyncio.sleep(0.01)
        return self.on(topic)


@dataclass
class Desk:
    desk: SlackDesk
    fake: FakeSlack
    db: Database
    bus: MemoryBus
    clock: Clock
    metrics: Metrics
    published: Recorder
    person: SlackPerson
    actions: OrderActions

    async def handle(self, event: Event, topic: str = t.ESCALATIONS) -> None:
        await self.desk.handle(as_record(event, topic))

    async def run_desk_actions(self, expected: int) -> None:
        """Run the desk role on the next `expected` actions the routes put on wismo.desk.v1."""
        events = await self.published.wait_for(t.DESK, self._delivered + expected)
        for event in events[self._delivered : self._delivered + expected]:
            await self.handle(event, t.DESK)
        self._delivered += expected

    _delivered: int = 0


MakeDesk = Callable[..., Awaitable[Desk]]


@pytest.fixture
async def make_desk(db: Database) -> AsyncIterator[MakeDesk]:
    """Build desks (and their HTTP routes) on one database; closed at the end."""
    await demo.seed(db, NOW)
    cleanups: list[Any] = []

    async def make(*, usergroups: dict[str, list[str]] | None = None, **config: Any) -> Desk:
        fake_cm = running(usergroups=usergroups, start=int(NOW.timestamp()))
        fake = await fake_cm.__aenter__()
        cleanups.append(fake_cm)
        http = aiohttp.ClientSession()
        cleanups.append(http)
        clock = Clock(NOW)
        metrics = Metrics()
        bus = MemoryBus(partitions=1)
        await bus.start()
        published = Recorder()
        consumer = bus.consumer([t.OUTBOUND, t.DESK], "test-recorder", published)
        await consumer.start()
        cleanups.append(bus)
        cleanups.append(consumer)
        actions = SqlOrderActions(db, clock)
        settings = Settings(channels={"slack": slack_config(fake.api_url, **config)})
        desk = SlackDesk(
            DeskContext(
                settings=settings,
                config=settings.channels["slack"],
                ingest=Ingest(bus, metrics, db, clock),
                db=db,
                bus=bus,
                metrics=metrics,
                clock=clock,
                http=http,
                formats={"sms": "sms"},
                order_actions=actions,
            )
        )
        cleanups.append(desk)
        server_cm = local_server(*desk.routes())
        server: TestServer = await server_cm.__aenter__()
        cleanups.append(server_cm)
        base = str(server.make_url("")).rstrip("/")
        person = SlackPerson(http, base, now=lambda: clock().timestamp())
        return Desk(desk, fake, db, bus, clock, metrics, published, person, actions)

    yield make
    for item in reversed(cleanups):
        if isinstance(item, aiohttp.ClientSession | SlackDesk):
            await item.close()
        elif isinstance(item, MemoryBus):
            await item.stop()
        elif hasattr(item, "__aexit__"):
            await item.__aexit__(None, None, None)
        else:
            await item.stop()


@pytest.fixture
async def desk(make_desk: MakeDesk) -> Desk:
    return await make_desk()

"""The whole service on the real PostgreSQL server: memory bus and real Kafka.

Each test's service gets an empty database of its own: the service migrates it and seeds the
demo shop at start, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, insert, select, text

from channels.webchat.channel import WebChatChannel
from router.app import Service
from router.events import InboundMessage, OutboundMessage, Party
from router.settings import DatabaseSettings
from router.store import repo
from router.store.db import Database
from router.store.models import (
    Base,
    Conversation,
    DecisionRow,
    Delivery,
    InboundReceipt,
    Message,
    ProcessedEvent,
    ShopOrder,
)
from tests.e2e.chat_client import WAIT, Chat
from tests.e2e.conftest import ServiceFactory, service_settings

pytestmark = pytest.mark.postgres

QUESTION = "Where is my order #1001? My email is alice@example.com"


@pytest.fixture
async def pg_service(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, postgres_empty_url: str
) -> AsyncIterator[ServiceFactory]:
    """Like make_service, with the service's database on PostgreSQL."""
    started: list[Service] = []
    bootstrap = request.getfixturevalue("kafka_bootstrap") if backend == "kafka" else None

    async def make(**extra: Any) -> Service:
        settings = service_settings(backend, tmp_path, bootstrap, **extra)
        database = DatabaseSettings(url=postgres_empty_url)
        service = Service(settings.model_copy(update={"database": database}))
        await service.start()
        started.append(service)
        return service

    yield make
    for service in reversed(started):
        await service.stop()


async def count(db: Database, model: type[Base]) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_where_is_my_order_is_answered_from_postgresql(pg_service: ServiceFactory) -> None:
    service = await pg_service()
    assert service.db.dialect == "postgresql"
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        reply = await chat.ask(QUESTION)
        await chat.close()
    messages = [f for f in chat.frames if f["type"] == "message"]
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert messages[0]["seq"] < messages[1]["seq"]
    text_ = reply["text"]
    for expected in ("#1001", "UPS", "1ZXK3DEG0359083017", "on its way", "Oakland, CA"):
        assert expected in text_
    assert reply["links"] == [
        {
            "label": "Track with UPS",
            "url": "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1ZXK3DEG0359083017",
        }
    ]
    # Everything the turn wrote is in PostgreSQL.
    async with service.db.engine.connect() as conn:
        server = (await conn.execute(text("SELECT version()"))).scalar_one()
    assert server.startswith("PostgreSQL")
    assert await count(service.db, ShopOrder) > 1
    assert await count(service.db, Conversation) == 1
    assert await count(service.db, Message) == 2
    assert await count(service.db, DecisionRow) == 1
    assert await count(service.db, Delivery) == 1
    assert await count(service.db, InboundReceipt) == 1
    # The pipeline's and dispatch's ledger rows.
    assert await count(service.db, ProcessedEvent) == 2


async def test_a_restart_on_the_same_database_keeps_the_conversation(
    pg_service: ServiceFactory,
) -> None:
    """Start twice on one database (migrations and the demo seed run again), resume the chat."""
    first = await pg_service()
    assert first.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, first.port)
        await chat.ask(QUESTION)
        await chat.close()
        await first.stop()
        second = await pg_service()
        assert second.port is not None
        resumed = await Chat.open(http, second.port, session=chat.session)
        history = [await resumed.next_frame(), await resumed.next_frame()]
        # A new client id: this client's counter starts again at m1, a message id already seen.
        sent = await resumed.send("Where is my order #1002? ben.carter@example.com", "again")
        async with asyncio.timeout(WAIT):
            answer = await resumed.next_frame()
            while not (answer["type"] == "message" and answer["id"].endswith(f":{sent}")):
                answer = await resumed.next_frame()
        await resumed.close()
    assert [m["id"] for m in history] == [m["id"] for m in chat.frames if m["type"] == "message"]
    assert "#1002" in answer["text"]
    assert answer["seq"] > history[-1]["seq"]


# --------------------------------------------------------------------------- the mailbox cursor


async def _until_a_session_waits_for_a_lock(db: Database) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(10):
        while True:
            async with db.engine.connect() as conn:
                if (await conn.execute(query)).scalar_one():
                    return
            await asyncio.sleep(0.01)


async def _collect(chat: Chat, wanted: set[str], into: list[dict[str, Any]]) -> None:
    """Message frames into `into`, until every id in `wanted` came."""
    while not wanted <= {f["id"] for f in into}:
        frame = await chat.next_frame()
        if frame["type"] == "message":
            into.append(frame)


@pytest.mark.parametrize("backend", ["memory"])
async def test_a_connected_socket_shows_a_reply_committed_after_a_later_message(
    pg_service: ServiceFactory,
) -> None:
    """The caveat of `seq` as the mailbox cursor on PostgreSQL, with a real socket: the reply
    to the customer's first message is inserted, then held up before its commit; the
    customer's next message is recorded meanwhile and the socket reads the mailbox. Both must
    reach the socket. Writes are stamped with the conversation's last update time (a clock
    that did not move), when no row change serialises the two writers by accident."""
    service = await pg_service(webchat={"poll_interval_s": 0.1})
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        first = await chat.ask(QUESTION)
        webchat = service.channels["webchat"]
        assert isinstance(webchat, WebChatChannel)
        sid = webchat.sessions.verify(chat.session)
        assert sid is not None
        key = f"webchat:{sid}"
        async with service.db.session() as session:
            conversation = await session.get(Conversation, key)
        assert conversation is not None
        now = conversation.updated_at
        late, meanwhile = _turn(key, sid, "late", now)
        async with service.db.engine.connect() as blocker:
            held = await blocker.begin()
            await blocker.execute(
                insert(Delivery).values(
                    outbound_id=late.event_id, channel="webchat", status="failed", delivered_at=now
                )
            )
            writing = asyncio.create_task(
                repo.record_delivery(
                    service.db, "dispatch", late, provider_message_id=None, now=now
                )
            )
            await _until_a_session_waits_for_a_lock(service.db)
            recording = asyncio.create_task(repo.record_inbound(service.db, meanwhile, now))
            await asyncio.wait([recording], timeout=0.5)
            service.feed.notify(key)
            await asyncio.sleep(0.3)  # the socket reads the mailbox (and polls) meanwhile
            await held.rollback()
        await writing
        await recording
        service.feed.notify(key)
        frames: list[dict[str, Any]] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await _collect(chat, {late.event_id, meanwhile.event_id}, frames)
        await chat.close()
    assert first["seq"] < min(f["seq"] for f in frames)
    assert {f["id"] for f in frames} == {late.event_id, meanwhile.event_id}


def _turn(key: str, sid: str, tag: str, now: datetime) -> tuple[OutboundMessage, InboundMessage]:
    """A reply for the conversation and a customer message, written by hand."""
    outbound = OutboundMessage(
        event_id=f"reply:{tag}",
        occurred_at=now,
        inbound_id=f"inbound:{tag}",
        conversation_key=key,
        channel="webchat",
        provider="webchat",
        recipient=Party(id=sid),
        text="A reply that commits late.",
    )
    inbound = InboundMessage(
        event_id=f"webchat:{tag}:next",
        occurred_at=now,
        channel="webchat",
        provider="webchat",
        provider_message_id=f"{sid}:{tag}",
        conversation_key=key,
        sender=Party(id=sid),
        text="And one more question.",
        received_at=now,
    )
    return outbound, inbound

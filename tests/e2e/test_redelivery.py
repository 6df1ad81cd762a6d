"""A pipeline consumer dies after publishing the reply but before committing: the message is
redelivered to another consumer, decided again, and the customer still gets ONE reply."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import aiohttp

from router.app import Service
from router.bus import Consumer, EventBus, Handler, Record, RetryPolicy
from router.bus import topics as t
from router.classify import ModelClassifier
from router.facts import Gatherer
from router.orders.sql import SqlOrderSource
from router.pipeline import CONSUMER, Pipeline
from router.store import repo
from tests.e2e.chat_client import WAIT, Chat
from tests.e2e.conftest import ServiceFactory


class DiesAfterReply:
    """The real bus, except that the process 'dies' right after the reply is published."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.stats = bus.stats
        self.reply_published = asyncio.Event()

    async def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> None:
        await self.bus.publish(topic, key, value, headers)
        if topic == t.OUTBOUND:
            self.reply_published.set()
            await asyncio.Event().wait()  # never returns: no ledger row, no commit

    async def start(self) -> None:
        await self.bus.start()

    async def stop(self) -> None:
        await self.bus.stop()

    async def ping(self) -> bool:
        return await self.bus.ping()

    def consumer(
        self,
        topics: Sequence[str],
        group: str,
        handler: Handler,
        *,
        retry: RetryPolicy | None = None,
    ) -> Consumer:
        return self.bus.consumer(topics, group, handler, retry=retry)


def pipeline(service: Service, bus: EventBus) -> Pipeline:
    return Pipeline(
        db=service.db,
        bus=bus,
        facts=Gatherer([SqlOrderSource(service.db)]),
        classifier=ModelClassifier.load(),
        settings=service.settings,
        metrics=service.metrics,
        clock=service.clock,
    )


async def test_killed_pipeline_consumer_is_redelivered_and_answered_once(
    make_service: ServiceFactory,
) -> None:
    service = await make_service(roles=["ingest", "dispatch"])
    assert service.port is not None
    group = service.group("pipeline")

    copies: list[Record] = []

    async def watch(record: Record) -> None:
        copies.append(record)

    watcher = service.bus.consumer([t.OUTBOUND], "test-outbound-watcher", watch)
    await watcher.start()

    dying_bus = DiesAfterReply(service.bus)
    dying = service.bus.consumer([t.INBOUND], group, pipeline(service, dying_bus).handle)
    await dying.start()

    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        first = await chat.send("Where is my order #1003? diego@example.com")
        async with asyncio.timeout(WAIT):
            await dying_bus.reply_published.wait()
        await dying.abort()  # dies holding the message: nothing recorded, nothing committed
        inbound_id = f"webchat:{chat.session.split('.')[0]}:{first}"
        assert not await repo.is_processed(service.db, CONSUMER, inbound_id)

        survivor = service.bus.consumer([t.INBOUND], group, pipeline(service, service.bus).handle)
        await survivor.start()
        async with asyncio.timeout(WAIT):
            # The ledger is in the database: there is no in-process event to wait on.
            while not await repo.is_processed(service.db, CONSUMER, inbound_id):
                await asyncio.sleep(0.05)

        # A later message on the same conversation is dispatched after the duplicate reply
        # (same partition), so once it arrives the duplicate has been seen and skipped.
        later = await chat.ask("thanks!")
        await chat.close()
        await survivor.stop()

    await watcher.stop()
    replies_to_first = [
        f
        for f in chat.frames
        if f["type"] == "message" and f["direction"] == "out" and f["id"].endswith(f":{first}")
    ]
    assert len(replies_to_first) == 1
    assert "388853933638" in replies_to_first[0]["text"]
    assert later["direction"] == "out"
    reply_id = f"reply:{inbound_id}"
    # The reply really was published twice (before and after the crash) ...
    assert [r.headers["event-id"] for r in copies].count(reply_id) == 2
    # ... and delivered once.
    rows = await repo.messages_after(service.db, f"webchat:{chat.session.split('.')[0]}", 0)
    assert [r.event_id for r in rows if r.direction == "out"].count(reply_id) == 1

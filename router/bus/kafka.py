"""The production bus: Apache Kafka through aiokafka.

Producer: acks=all and idempotence, so an acknowledged publish is on every in-sync replica and
a producer retry never writes a record twice. Consumers: manual commits, one record at a time
per partition (partitions run concurrently), commit after the handler or the dead-letter
publish; a revoked partition finishes its record in hand before the group moves on.
If the broker is unreachable the bus keeps reconnecting in the background; meanwhile
`publish` raises BusUnavailable and `ping` is False (ingest answers 503, /readyz fails).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from router.bus import topics
from router.bus.base import BusStats, BusUnavailable, Handler, Record, RetryPolicy
from router.bus.delivery import deliver
from router.settings import KafkaSettings

log = structlog.get_logger(__name__)

RECONNECT_MAX_S = 5.0
METADATA_MAX_AGE_MS = 10_000  # a topic created after subscribing is found within seconds


def _security(cfg: KafkaSettings) -> dict[str, Any]:
    options: dict[str, Any] = {"security_protocol": cfg.security_protocol}
    if cfg.security_protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context()
    if cfg.sasl_mechanism is not None:
        options["sasl_mechanism"] = cfg.sasl_mechanism
        options["sasl_plain_username"] = cfg.sasl_username
        if cfg.sasl_password is not None:
            options["sasl_plain_password"] = cfg.sasl_password.get_secret_value()
    return options


class KafkaBus:
    def __init__(
        self,
        cfg: KafkaSettings,
        *,
        topic_prefix: str = "",
        retry: RetryPolicy | None = None,
        create_topics: Sequence[str] = topics.ALL,
    ) -> None:
        self.cfg = cfg
        self.prefix = topic_prefix
        self.retry = retry or RetryPolicy()
        self.stats = BusStats()
        self._create_topics = tuple(create_topics)
        self._producer: Any = None
        self._admin: Any = None
        self._ready = asyncio.Event()
        self._connector: asyncio.Task[None] | None = None
        self._closing = False

    def wire(self, topic: str) -> str:
        return self.prefix + topic

    def logical(self, wire_topic: str) -> str:
        return wire_topic.removeprefix(self.prefix)

    def client_options(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.cfg.bootstrap_servers,
            "request_timeout_ms": self.cfg.request_timeout_ms,
            **_security(self.cfg),
        }

    async def start(self) -> None:
        """Connect now if the broker is there; otherwise keep trying in the background."""
        self._closing = False
        try:
            await self._connect()
        except (KafkaError, OSError) as exc:
            log.warning("kafka_unreachable", error=str(exc), bootstrap=self.cfg.bootstrap_servers)
            self._connector = asyncio.create_task(self._reconnect_forever(), name="kafka-connect")

    async def _reconnect_forever(self) -> None:
        delay = 0.2
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._connect()
                log.info("kafka_connected", bootstrap=self.cfg.bootstrap_servers)
                return
            except (KafkaError, OSError) as exc:
                log.warning("kafka_unreachable", error=str(exc))
                delay = min(delay * 2, RECONNECT_MAX_S)

    async def _connect(self) -> None:
        options = self.client_options()
        admin = AIOKafkaAdminClient(client_id=f"{self.cfg.client_id}-admin", **options)
        producer = AIOKafkaProducer(
            client_id=self.cfg.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=self.cfg.linger_ms,
            **options,
        )
        try:
            await admin.start()
            await self._ensure_topics(admin)
            await producer.start()
        except BaseException:
            await _quietly(producer.stop())
            await _quietly(admin.close())
            raise
        self._admin, self._producer = admin, producer
        self._ready.set()

    async def _ensure_topics(self, admin: Any) -> None:
        existing = set(await admin.list_topics())
        missing = [self.wire(t) for t in self._create_topics if self.wire(t) not in existing]
        if not missing:
            return
        new = [NewTopic(t, self.cfg.partitions, self.cfg.replication_factor) for t in missing]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
        # Creation is asynchronous in KRaft: wait until the topics are visible, or a consumer
        # that subscribes now would see no partitions until its next metadata refresh. The
        # broker has no event to wait on, so this polls.
        async with asyncio.timeout(self.cfg.request_timeout_ms / 1000):
            while not set(missing) <= set(await admin.list_topics()):  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self._closing = True
        self._ready.clear()
        if self._connector is not None:
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
        if self._producer is not None:
            await _quietly(self._producer.stop())
        if self._admin is not None:
            await _quietly(self._admin.close())
        self._producer = self._admin = None

    async def ping(self) -> bool:
        if not self._ready.is_set():
            return False
        try:
            async with asyncio.timeout(2.0):
                await self._admin.describe_cluster()
        except (KafkaError, OSError, TimeoutError):
            return False
        return True

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> None:
        producer = self._producer
        if producer is None or not self._ready.is_set():
            raise BusUnavailable("kafka is not connected")
        try:
            async with asyncio.timeout(self.cfg.publish_timeout_s):
                await producer.send_and_wait(
                    self.wire(topic),
                    value,
                    key=key.encode(),
                    headers=[(k, v.encode()) for k, v in headers.items()],
                )
        except (KafkaError, TimeoutError) as exc:
            raise BusUnavailable(f"kafka did not acknowledge: {type(exc).__name__}: {exc}") from exc
        self.stats.published += 1

    def consumer(
        self,
        topics: Sequence[str],
        group: str,
        handler: Handler,
        *,
        retry: RetryPolicy | None = None,
    ) -> KafkaConsumer:
        return KafkaConsumer(self, tuple(topics), group, handler, retry or self.retry)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions move, wait for the batch in hand (its records commit one by one)."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self.lock = lock

    async def on_partitions_revoked(self, revoked: object) -> None:
        async with self.lock:
            pass

    async def on_partitions_assigned(self, assigned: object) -> None:
        return None


class KafkaConsumer:
    def __init__(
        self,
        bus: KafkaBus,
        topics: tuple[str, ...],
        group: str,
        handler: Handler,
        retry: RetryPolicy,
    ) -> None:
        self.bus = bus
        self.topics = topics
        self._group = group
        self.handler = handler
        self.retry = retry
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._lock = asyncio.Lock()
        self.assigned = asyncio.Event()

    @property
    def group(self) -> str:
        return self._group

    async def start(self) -> None:
        self._stopping = False
        self._stop_requested.clear()
        self._task = asyncio.create_task(self._run(), name=f"kafka-consumer:{self._group}")

    async def stop(self) -> None:
        self._stopping = True
        self._stop_requested.set()
        if self._task is not None:
            await self._task

    async def abort(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _make(self) -> Any:
        cfg = self.bus.cfg
        return AIOKafkaConsumer(
            group_id=self._group,
            client_id=f"{cfg.client_id}-{self._group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=cfg.fetch_max_wait_ms,
            max_poll_records=cfg.max_poll_records,
            session_timeout_ms=cfg.session_timeout_ms,
            heartbeat_interval_ms=cfg.heartbeat_interval_ms,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            **self.bus.client_options(),
        )

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            consumer = self._make()
            try:
                await consumer.start()
                consumer.subscribe(
                    topics=[self.bus.wire(t) for t in self.topics], listener=_Listener(self._lock)
                )
                delay = 0.2
                await self._poll(consumer)
            except (KafkaError, OSError) as exc:
                log.warning("kafka_consumer_error", group=self._group, error=str(exc))
                with contextlib.suppress(TimeoutError):  # a stop ends the wait at once
                    async with asyncio.timeout(delay):
                        await self._stop_requested.wait()
                delay = min(delay * 2, RECONNECT_MAX_S)
            finally:
                # No commit here: what was not committed after its handler is redelivered.
                await _quietly(consumer.stop())

    async def _poll(self, consumer: Any) -> None:
        while not self._stopping:
            batches = await consumer.getmany(timeout_ms=200)
            if consumer.assignment():
                self.assigned.set()
            if not batches:
                continue
            async with self._lock:
                await asyncio.gather(
                    *(self._partition(consumer, tp, msgs) for tp, msgs in batches.items())
                )

    async def _partition(self, consumer: Any, tp: Any, messages: list[Any]) -> None:
        for msg in messages:
            record = Record(
                topic=self.bus.logical(msg.topic),
                partition=msg.partition,
                offset=msg.offset,
                key=(msg.key or b"").decode(errors="replace"),
                value=msg.value or b"",
                headers={k: v.decode(errors="replace") for k, v in (msg.headers or ())},
                timestamp=datetime.fromtimestamp(msg.timestamp / 1000, UTC),
            )
            try:
                await deliver(
                    record,
                    self.handler,
                    group=self._group,
                    retry=self.retry,
                    publish=self.bus.publish,
                    stats=self.bus.stats,
                )
            except Exception as exc:  # even the dead-letter publish failed: read it again later
                log.warning("redeliver_after_error", topic=record.topic, error=str(exc))
                consumer.seek(tp, msg.offset)
                await asyncio.sleep(self.retry.max_backoff)
                return
            await consumer.commit({TopicPartition(msg.topic, msg.partition): msg.offset + 1})


async def _quietly(awaitable: Any) -> None:
    with contextlib.suppress(Exception):
        await awaitable

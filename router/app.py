"""The composition root: settings → database, bus, channels, roles, HTTP server.

The only module in router/ that knows channels exist. `Service` runs any subset of the roles:
ingest (HTTP: webhooks, chat page), pipeline (consumer of wismo.inbound.v1) and dispatch
(consumer of wismo.outbound.v1); each consumer role is one consumer group, so roles scale
separately on Kafka. Shutdown drains in-flight work and commits before the bus closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import aiohttp
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from channels.base import (
    Channel,
    ChannelContext,
    ChannelDisabled,
    ChannelFactory,
    Desk,
    DeskContext,
    DeskFactory,
)
from channels.registry import CHANNELS, DESKS
from router.bus import Consumer, EventBus, make_bus
from router.bus import topics as t
from router.classify import load_classifier
from router.dispatch import Dispatcher
from router.facts import Gatherer
from router.ingest import Ingest
from router.live import ConversationFeed
from router.metrics import Metrics
from router.notify.engine import Notifier
from router.orders import demo
from router.pipeline import Pipeline
from router.settings import Settings
from router.sources import order_actions, order_sources, tracking_source
from router.store.db import Database
from router.tracking.webhooks import tracking_routes

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        bus: EventBus | None = None,
        channels: Mapping[str, ChannelFactory] = CHANNELS,
        desks: Mapping[str, DeskFactory] = DESKS,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics = Metrics()
        self.db = Database(settings.database.url, echo=settings.database.echo)
        self.bus = bus if bus is not None else make_bus(settings.bus)
        self.metrics.watch_bus(self.bus.stats)
        self.feed = ConversationFeed()
        self.ingest = Ingest(self.bus, self.metrics, self.db, clock)
        self.channel_factories = channels
        self.channels: dict[str, Channel] = {}
        self.desk_factories = desks
        self.desks: dict[str, Desk] = {}
        self.consumers: list[Consumer] = []
        self.runner: web.AppRunner | None = None
        self.port: int | None = None
        self.pipeline: Pipeline | None = None
        self.http: aiohttp.ClientSession | None = None
        self.dispatcher: Dispatcher | None = None
        self.notifier: Notifier | None = None

    def group(self, role: str) -> str:
        return f"{self.settings.bus.topic_prefix}wismo-{role}"

    async def start(self) -> None:
        self.http = aiohttp.ClientSession()
        await self.db.migrate()
        if self.settings.demo:
            count = await demo.seed(self.db, self.clock())
            log.info("demo_shop_seeded", orders=count)
        await self.bus.start()
        for name, factory in self.channel_factories.items():
            ctx = ChannelContext(
                settings=self.settings,
                config=self.settings.channels.get(name, {}),
                ingest=self.ingest,
                db=self.db,
                feed=self.feed,
                clock=self.clock,
                http=self.http,
            )
            try:
                self.channels[name] = factory(ctx)
            except ChannelDisabled as exc:
                log.info("channel_disabled", channel=name, reason=str(exc))
        formats = {name: ch.reply_format for name, ch in self.channels.items()}
        actions = order_actions(self.settings.sources, self.db, self.http, self.clock)
        for name, desk_factory in self.desk_factories.items():
            desk_ctx = DeskContext(
                settings=self.settings,
                config=self.settings.channels.get(name, {}),
                ingest=self.ingest,
                db=self.db,
                bus=self.bus,
                metrics=self.metrics,
                clock=self.clock,
                http=self.http,
                formats=formats,
                order_actions=actions,
            )
            try:
                self.desks[name] = desk_factory(desk_ctx)
            except ChannelDisabled as exc:
                log.info("desk_disabled", desk=name, reason=str(exc))
        roles = set(self.settings.roles)
        if "pipeline" in roles:
            self.pipeline = Pipeline(
                db=self.db,
                bus=self.bus,
                facts=Gatherer(
                    order_sources(self.settings.sources, self.db, self.http),
                    tracking_source(self.settings.sources, self.http),
                    budget_s=self.settings.sources.budget_s,
                    cache_ttl_s=self.settings.sources.cache_ttl_s,
                ),
                classifier=load_classifier(self.settings.classifier),
                settings=self.settings,
                metrics=self.metrics,
                clock=self.clock,
                formats=formats,
            )
            self.consumers.append(
                self.bus.consumer([t.INBOUND], self.group("pipeline"), self.pipeline.handle)
            )
        if "dispatch" in roles:
            self.dispatcher = Dispatcher(
                senders={name: ch.send for name, ch in self.channels.items()},
                db=self.db,
                feed=self.feed,
                metrics=self.metrics,
                clock=self.clock,
            )
            self.consumers.append(
                self.bus.consumer([t.OUTBOUND], self.group("dispatch"), self.dispatcher.handle)
            )
        if "notify" in roles:
            self.notifier = Notifier(
                db=self.db,
                bus=self.bus,
                settings=self.settings,
                metrics=self.metrics,
                clock=self.clock,
                formats=formats,
            )
            self.consumers.append(
                self.bus.consumer([t.TRACKING], self.group("notify"), self.notifier.handle)
            )
        if "desk" in roles:
            for name, desk in self.desks.items():
                self.consumers.append(
                    self.bus.consumer(
                        [t.ESCALATIONS, t.DESK], self.group(f"desk-{name}"), desk.handle
                    )
                )
        for consumer in self.consumers:
            await consumer.start()
        if "desk" in roles:
            for desk in self.desks.values():
                await desk.start()
        if self.notifier is not None:
            await self.notifier.start()
        self.runner = web.AppRunner(
            self.web_app(include_channels="ingest" in roles),
            handle_signals=False,
            shutdown_timeout=2.0,
            access_log=None,
        )
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.host, self.settings.port)
        await site.start()
        self.port = int(self.runner.addresses[0][1])
        log.info(
            "service_started",
            host=self.settings.host,
            port=self.port,
            roles=sorted(roles),
            bus=self.settings.bus.backend,
            demo=self.settings.demo,
        )

    def web_app(self, *, include_channels: bool) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[json_errors])
        app[SERVICE] = self
        app.add_routes(
            [
                web.get("/healthz", healthz),
                web.get("/readyz", readyz),
                web.get("/metrics", metrics),
            ]
        )
        if include_channels:
            for channel in self.channels.values():
                app.add_routes(channel.routes())
            for desk in self.desks.values():
                app.add_routes(desk.routes())
            app.add_routes(tracking_routes(self.settings.notify.webhooks, self.ingest, self.clock))
        return app

    async def stop(self) -> None:
        """Stop taking requests, let consumers finish and commit, then close the bus and DB."""
        if self.notifier is not None:
            await self.notifier.close()
        closing: list[Channel | Desk] = [*self.channels.values(), *self.desks.values()]
        for closable in closing:
            with contextlib.suppress(Exception):
                await closable.close()
        if self.runner is not None:
            await self.runner.cleanup()
        await asyncio.gather(*(consumer.stop() for consumer in self.consumers))
        await self.bus.stop()
        await self.db.close()
        if self.http is not None:
            await self.http.close()
        log.info("service_stopped")

    async def run_until_signalled(self) -> None:
        """`wismo serve`: run until SIGTERM/SIGINT, then drain within the configured time."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        await stop.wait()
        log.info("shutdown_requested", timeout_s=self.settings.shutdown_timeout_s)
        try:
            async with asyncio.timeout(self.settings.shutdown_timeout_s):
                await self.stop()
        except TimeoutError:
            log.error("shutdown_timed_out", timeout_s=self.settings.shutdown_timeout_s)
            for consumer in self.consumers:
                await consumer.abort()


SERVICE = web.AppKey("service", Service)
MAX_BODY_BYTES = 1024 * 1024  # a larger request body is answered 413


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error is a short JSON body, whichever layer raised it (no route, wrong method,
    body over the limit), and an unexpected exception is a logged 500, never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        code = exc.reason.lower().replace(" ", "_")
        return web.json_response(
            {"error": code, "message": exc.reason}, status=exc.status, headers=headers
        )
    except ConnectionResetError:
        raise  # the client went away: nobody to answer
    except Exception:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            raise  # the socket was already answered; a JSON body cannot follow
        log.exception("request_failed", path=request.path)
        return web.json_response({"error": "internal", "message": "Internal error."}, status=500)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    bus_ok, db_ok = await asyncio.gather(service.bus.ping(), service.db.ping())
    body = {"bus": bus_ok, "database": db_ok}
    return web.json_response(body, status=200 if bus_ok and db_ok else 503)


async def metrics(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    body = generate_latest(service.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

"""router/tracking/webhooks.py over real HTTP: a verified tracking webhook is on
wismo.tracking.v1 exactly once before the aggregator hears 200; forged, malformed and
unconfigured ones change nothing; a bus that cannot take it gets the aggregator to retry.

The signed bodies are the ones the parser tests use (their reference vectors, or bodies signed
the documented way), so these tests check the intake, not the parsing again.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from router.bus.memory import MemoryBus
from router.bus.topics import TRACKING
from router.events import TrackingUpdate
from router.ingest import Ingest
from router.metrics import Metrics
from router.settings import TrackingWebhookSettings
from router.store.db import Database
from router.tracking.aftership import AfterShipWebhook
from router.tracking.base import TrackingWebhook
from router.tracking.easypost import EasyPostWebhook
from router.tracking.shippo import ShippoWebhook
from router.tracking.webhooks import tracking_routes
from tests.helpers import Clock, local_server
from tests.tracking import test_aftership as aftership
from tests.tracking import test_easypost as easypost
from tests.tracking import test_shippo as shippo

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Provider:
    """One aggregator: its secret, a correctly signed body, and how bodies are signed."""

    name: str
    secret: str
    body: bytes
    sign: Callable[[bytes, str], dict[str, str]]
    parser: Callable[[str], TrackingWebhook]
    malformed: bytes  # signed correctly, but not what the aggregator sends

    def headers(self, body: bytes | None = None, secret: str | None = None) -> dict[str, str]:
        return self.sign(self.body if body is None else body, secret or self.secret)

    def expected(self) -> TrackingUpdate:
        [update] = self.parser(self.secret).parse(self.body, self.headers(), now=NOW)
        return update


PROVIDERS = [
    Provider(
        name="easypost",
        secret=easypost.OFFICIAL_SECRET,
        body=easypost.OFFICIAL_BODY,
        sign=lambda body, secret: {"X-Hmac-Signature": easypost.sign(body, secret)},
        parser=EasyPostWebhook,
        malformed=b'{"hello": "world"}',
    ),
    Provider(
        name="aftership",
        secret=aftership.VECTOR_SECRET,
        body=aftership.VECTOR_BODY,
        sign=lambda body, secret: {"aftership-hmac-sha256": aftership.sign(body, secret)},
        parser=AfterShipWebhook,
        malformed=b"[]",
    ),
    Provider(
        name="shippo",
        secret=shippo.SECRET,
        body=shippo.BODY,
        sign=lambda body, secret: {"Shippo-Auth-Signature": shippo.signature(body, secret)},
        parser=ShippoWebhook,
        malformed=json.dumps({"event": "track_updated", "test": False}).encode(),
    ),
]
BY_NAME = {p.name: p for p in PROVIDERS}


def settings(**secrets: str) -> TrackingWebhookSettings:
    return TrackingWebhookSettings(
        **{f"{name}_secret": SecretStr(value) for name, value in secrets.items()}
    )


ALL_SECRETS = settings(**{p.name: p.secret for p in PROVIDERS})


class TrackingBus(MemoryBus):
    """The embedded bus, keeping every tracking update it acknowledged."""

    def __init__(self) -> None:
        super().__init__(partitions=1)
        self.published: list[tuple[str, str, TrackingUpdate, dict[str, str]]] = []

    async def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> None:
        await super().publish(topic, key, value, headers)
        update = TrackingUpdate.model_validate_json(value)
        self.published.append((topic, key, update, dict(headers)))


@dataclass
class Intake:
    bus: TrackingBus
    metrics: Metrics
    http: aiohttp.ClientSession
    base_url: str

    async def post(
        self, provider: str, body: bytes | io.BytesIO, headers: Mapping[str, str]
    ) -> tuple[int, Any, Mapping[str, str]]:
        url = f"{self.base_url}/webhooks/tracking/{provider}"
        async with self.http.post(url, data=body, headers=dict(headers)) as resp:
            answer = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, answer, resp.headers

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


@contextlib.asynccontextmanager
async def running(db: Database, cfg: TrackingWebhookSettings) -> AsyncIterator[Intake]:
    bus = TrackingBus()
    await bus.start()
    metrics = Metrics()
    clock = Clock(NOW)
    ingest = Ingest(bus, metrics, db, clock)
    try:
        async with (
            local_server(*tracking_routes(cfg, ingest, clock)) as server,
            aiohttp.ClientSession() as http,
        ):
            yield Intake(bus, metrics, http, str(server.make_url("")).rstrip("/"))
    finally:
        await bus.stop()


@pytest.fixture
async def intake(db: Database) -> AsyncIterator[Intake]:
    async with running(db, ALL_SECRETS) as made:
        yield made


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
async def test_signed_update_is_on_the_bus_once(intake: Intake, provider: Provider) -> None:
    status, answer, _ = await intake.post(provider.name, provider.body, provider.headers())
    assert (status, answer) == (200, {"ok": True, "accepted": 1})

    expected = provider.expected()
    [(topic, key, update, headers)] = intake.bus.published
    assert (topic, key, update) == (TRACKING, expected.tracking_number, expected)
    assert (headers["event-type"], headers["event-id"]) == ("tracking_update", expected.event_id)

    # The aggregator retries: acknowledged again, not published again.
    status, answer, _ = await intake.post(provider.name, provider.body, provider.headers())
    assert (status, answer) == (200, {"ok": True, "accepted": 0})
    assert len(intake.bus.published) == 1
    channel = f"tracking_{provider.name}"
    assert intake.sample("wismo_inbound_duplicates_total", channel=channel) == 1


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
async def test_wrong_signature_is_401_and_changes_nothing(
    intake: Intake, provider: Provider
) -> None:
    forged = provider.headers(secret="not-the-secret")
    for headers in (forged, {}):
        status, answer, _ = await intake.post(provider.name, provider.body, headers)
        assert status == 401
        assert answer == {
            "error": "bad_signature",
            "message": "The signature does not match the body.",
        }
    # Nothing in the answer helps a forger: not the signature the body needed.
    right = next(iter(provider.headers().values()))
    assert right not in json.dumps(answer)
    assert intake.bus.published == []
    channel = f"tracking_{provider.name}"
    assert (
        intake.sample("wismo_inbound_rejected_total", channel=channel, reason="bad_signature") == 2
    )

    # A forged copy did not mark the event as seen: the real one still goes through.
    status, answer, _ = await intake.post(provider.name, provider.body, provider.headers())
    assert (status, answer) == (200, {"ok": True, "accepted": 1})


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
async def test_malformed_body_is_400(intake: Intake, provider: Provider) -> None:
    body = provider.malformed
    status, answer, _ = await intake.post(provider.name, body, provider.headers(body))
    assert status == 400
    assert answer["error"] == "bad_payload"
    assert isinstance(answer["message"], str)
    assert 0 < len(answer["message"]) <= 200
    assert intake.bus.published == []
    channel = f"tracking_{provider.name}"
    assert intake.sample("wismo_inbound_rejected_total", channel=channel, reason="bad_payload") == 1


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
async def test_unset_secret_means_no_route(db: Database, provider: Provider) -> None:
    others = {p.name: p.secret for p in PROVIDERS if p is not provider}
    for cfg in (settings(**others), settings(**others, **{provider.name: ""})):
        async with running(db, cfg) as intake:
            status, _, _ = await intake.post(provider.name, provider.body, provider.headers())
            assert status == 404
            assert intake.bus.published == []
            # The aggregators that are configured still answer.
            other = BY_NAME[next(iter(others))]
            status, _, _ = await intake.post(other.name, other.body, other.headers())
            assert status == 200


def test_no_secrets_no_routes(db: Database) -> None:
    ingest = Ingest(MemoryBus(), Metrics(), db)
    assert tracking_routes(TrackingWebhookSettings(), ingest, Clock(NOW)) == []
    routes = tracking_routes(ALL_SECRETS, ingest, Clock(NOW))
    assert sorted(route.path for route in routes) == [
        "/webhooks/tracking/aftership",
        "/webhooks/tracking/easypost",
        "/webhooks/tracking/shippo",
    ]


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
async def test_bus_down_is_503_and_the_retry_goes_through(
    intake: Intake, provider: Provider
) -> None:
    await intake.bus.stop()
    status, answer, headers = await intake.post(provider.name, provider.body, provider.headers())
    assert status == 503
    assert answer["error"] == "unavailable"
    assert headers["Retry-After"] == "5"
    assert intake.bus.published == []
    channel = f"tracking_{provider.name}"
    assert (
        intake.sample("wismo_inbound_rejected_total", channel=channel, reason="bus_unavailable")
        == 1
    )

    # Not on the bus, so not seen: the aggregator's retry is published.
    await intake.bus.start()
    status, answer, _ = await intake.post(provider.name, provider.body, provider.headers())
    assert (status, answer) == (200, {"ok": True, "accepted": 1})
    assert len(intake.bus.published) == 1


async def test_other_event_kinds_are_acknowledged(intake: Intake) -> None:
    """An EasyPost event that is not about a tracker: 200 (or EasyPost retries it forever),
    nothing published."""
    provider = BY_NAME["easypost"]
    body = json.dumps(
        {
            "object": "Event",
            "id": "evt_batch",
            "description": "batch.updated",
            "created_at": "2026-11-27T10:00:00Z",
            "result": {"object": "Batch", "id": "batch_1"},
        }
    ).encode()
    status, answer, _ = await intake.post(provider.name, body, provider.headers(body))
    assert (status, answer) == (200, {"ok": True, "accepted": 0})
    assert intake.bus.published == []
    channel = "tracking_easypost"
    assert intake.sample("wismo_inbound_ignored_total", channel=channel, reason="no_update") == 1


async def test_too_large_is_413(intake: Intake) -> None:
    provider = BY_NAME["aftership"]
    body = b"x" * (1024**2 + 1)
    status, answer, _ = await intake.post(provider.name, io.BytesIO(body), provider.headers(body))
    assert (status, answer["error"]) == (413, "too_large")
    channel = "tracking_aftership"
    assert intake.sample("wismo_inbound_rejected_total", channel=channel, reason="too_large") == 1

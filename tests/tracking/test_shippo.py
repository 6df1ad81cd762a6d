"""Shippo: lookups against a local fake of the Shippo API, and ``track_updated`` webhooks.

The fake is an aiohttp app on 127.0.0.1 speaking Shippo's format: ``GET
/tracks/{carrier}/{tracking_number}`` with ``Authorization: ShippoToken <key>``, answered with a
Track object. Its payloads are written from the official shippo-python-sdk models (``Track``,
``TrackingStatus``, ``TrackingStatusSubstatus``, ``WebhookPayloadTrack``) and Shippo's tracking
docs.

There are no reference vectors for Shippo: the signature scheme (``Shippo-Auth-Signature:
t=<ts>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>``) is known from integrator code only [3p,
unverified], so every signed body here is self-generated with that scheme.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from router.events import ShipmentStatus
from router.tracking.base import (
    PayloadError,
    SignatureError,
    TrackingError,
    TrackingSource,
    TrackingWebhook,
)
from router.tracking.shippo import DEFAULT_BASE_URL, ShippoSource, ShippoWebhook, carrier_token
from tests.helpers import assert_retry_flag, local_server

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
API_KEY = "shippo_test_0123456789abcdef"
SECRET = "shippo-webhook-secret-test"

# --- Shippo payloads --------------------------------------------------------------------------

KNOWN = "9205590164917312751089"


def status(
    object_id: str,
    when: str | None,
    status_value: str,
    details: str,
    code: str | None,
    *,
    action_required: bool = False,
    city: str | None = "Las Vegas",
    state: str | None = "NV",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "object_created": "2026-11-26T18:01:44.128Z",
        "object_updated": "2026-11-26T18:01:44.128Z",
        "object_id": object_id,
        "status": status_value,
        "status_details": details,
        "status_date": when,
        "location": {"city": city, "state": state, "zip": "89101", "country": "US"},
    }
    if code is not None:
        entry["substatus"] = {"code": code, "text": details, "action_required": action_required}
    return entry


def track(number: str, carrier: str = "usps", **overrides: Any) -> dict[str, Any]:
    """A USPS Track out for delivery, in the shape of the SDK's Track model."""
    history = [
        status(
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "2026-11-24T16:20:00Z",
            "PRE_TRANSIT",
            "Shipping Label Created, USPS Awaiting Item",
            "information_received",
            city="Los Angeles",
            state="CA",
        ),
        status(
            "b1b2c3d4e5f60718293a4b5c6d7e8f90",
            "2026-11-25T03:41:00Z",
            "TRANSIT",
            "Arrived at USPS Regional Facility",
            None,
            city="Los Angeles",
            state="CA",
        ),
        status(
            "c1b2c3d4e5f60718293a4b5c6d7e8f90",
            "2026-11-26T14:05:00Z",
            "TRANSIT",
            "Out for Delivery, Expected Delivery by 8:00pm",
            "out_for_delivery",
        ),
    ]
    body: dict[str, Any] = {
        "carrier": carrier,
        "tracking_number": number,
        "address_from": {"city": "Los Angeles", "state": "CA", "zip": "90001", "country": "US"},
        "address_to": {"city": "Las Vegas", "state": "NV", "zip": "89101", "country": "US"},
        "eta": "2026-11-26T00:00:00Z",
        "original_eta": "2026-11-27T00:00:00Z",
        "servicelevel": {"token": "usps_priority", "name": "Priority Mail"},
        "metadata": "Order 000123",
        "messages": [],
        "transaction": None,
        "tracking_status": copy.deepcopy(history[-1]),
        "tracking_history": history,
    }
    body.update(overrides)
    return body


@dataclass
class FakeShippo:
    """GET /tracks/{carrier}/{tracking_number} as Shippo answers it; requests are recorded."""

    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def tracks(self, request: web.Request) -> web.StreamResponse:
        carrier = request.match_info["carrier"]
        number = request.match_info["number"]
        self.requests.append(
            {
                "auth": request.headers.get("Authorization"),
                "carrier": carrier,
                "number": number,
                "raw_path": request.raw_path,
            }
        )
        if request.headers.get("Authorization") != f"ShippoToken {API_KEY}":
            return web.json_response({"detail": "Invalid token."}, status=401)
        match number:
            case "SHIPPO404":
                return web.json_response({"detail": "Not found."}, status=404)
            case "SHIPPO400":
                return web.json_response({"carrier": ["Invalid carrier token."]}, status=400)
            case "SHIPPO500":
                return web.Response(status=500, text="Internal Server Error")
            case "SHIPPO429":
                return web.json_response(
                    {"detail": "Request was throttled."}, status=429, headers={"Retry-After": "3"}
                )
            case "SHIPPOSLOW":
                await asyncio.sleep(5)
            case "SHIPPOGARBAGE":
                return web.Response(text='{"carrier": "usps", ', content_type="application/json")
            case "SHIPPOEMPTY":
                return web.json_response(
                    track(number, carrier, tracking_status=None, tracking_history=[], eta=None)
                )
            case "SHIPPOMISSING":
                partial = track(number, carrier)
                del partial["tracking_status"]["status"]
                return web.json_response(partial)
            case "SHIPPOWEIRD":
                odd = track(number, carrier)
                odd["tracking_status"].update(status="TELEPORTED", substatus=None)
                return web.json_response(odd)
            case "SHIPPOACTION":
                held = track(number, carrier)
                held["tracking_status"]["substatus"] = {
                    "code": "mystery_hold",
                    "text": "Recipient must contact the carrier",
                    "action_required": True,
                }
                return web.json_response(held)
            case "SHIPPODELIVERED":
                history = track(number, carrier)["tracking_history"]
                done = status(
                    "d1b2c3d4e5f60718293a4b5c6d7e8f90",
                    "2026-11-26T19:12:00Z",
                    "DELIVERED",
                    "Delivered, In/At Mailbox",
                    None,
                )
                # Shippo lists history oldest first; shuffled here to check the ordering
                history = [done, *reversed(history)]
                return web.json_response(
                    track(number, carrier, tracking_status=done, tracking_history=history)
                )
        return web.json_response(track(number, carrier))

    async def unexpected(self, request: web.Request) -> web.Response:
        self.requests.append({"unexpected": f"{request.method} {request.raw_path}"})
        return web.Response(status=418, text="not a Shippo endpoint")


@contextlib.asynccontextmanager
async def running(fake: FakeShippo) -> AsyncIterator[FakeShippo]:
    """The fake, serving on 127.0.0.1 (its base_url set) for the life of the block."""
    async with local_server(
        web.get("/tracks/{carrier}/{number}", fake.tracks),
        web.route("*", "/{tail:.*}", fake.unexpected),
    ) as server:
        fake.base_url = str(server.make_url("/"))
        yield fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeShippo]:
    async with running(FakeShippo()) as fake:
        yield fake


def client(session: aiohttp.ClientSession, fake: FakeShippo, **kwargs: Any) -> ShippoSource:
    options: dict[str, Any] = {"api_key": API_KEY, "base_url": fake.base_url, "timeout_s": 0.5}
    options.update(kwargs)
    return ShippoSource(session, **options)


# --- lookup -----------------------------------------------------------------------------------


def test_defaults_point_at_shippo() -> None:
    assert DEFAULT_BASE_URL == "https://api.goshippo.com"
    assert carrier_token("USPS") == "usps"
    assert carrier_token(" DHL  Express ") == "dhl_express"


async def test_known_number(session: aiohttp.ClientSession, fake: FakeShippo) -> None:
    source: TrackingSource = client(session, fake)
    info = await source.lookup(KNOWN, "USPS", now=NOW)

    assert fake.requests == [
        {
            "auth": f"ShippoToken {API_KEY}",
            "carrier": "usps",
            "number": KNOWN,
            "raw_path": f"/tracks/usps/{KNOWN}",
        }
    ]
    assert info is not None
    assert info.source == source.name == "shippo"
    assert (info.tracking_number, info.carrier) == (KNOWN, "usps")
    # Shippo says TRANSIT; the substatus says out for delivery, and it wins
    assert info.status is ShipmentStatus.OUT_FOR_DELIVERY
    assert (info.source_status, info.source_substatus) == ("TRANSIT", "out_for_delivery")
    assert info.status_detail == "Out for Delivery, Expected Delivery by 8:00pm"
    assert (info.reason, info.action_required) == (None, False)
    assert info.estimated_delivery == date(2026, 11, 26)
    assert info.delivered_at is None
    assert info.record_id == f"usps/{KNOWN}"
    assert info.fetched_at == NOW
    assert [(e.status, e.location, e.source_status) for e in info.events] == [
        (ShipmentStatus.PRE_TRANSIT, "Los Angeles, CA, US", "PRE_TRANSIT"),
        (ShipmentStatus.IN_TRANSIT, "Los Angeles, CA, US", "TRANSIT"),
        (ShipmentStatus.OUT_FOR_DELIVERY, "Las Vegas, NV, US", "TRANSIT"),
    ]
    assert info.events[0].occurred_at == datetime(2026, 11, 24, 16, 20, tzinfo=UTC)
    assert info.events[0].description == "Shipping Label Created, USPS Awaiting Item"


async def test_delivered_events_oldest_first(
    session: aiohttp.ClientSession, fake: FakeShippo
) -> None:
    info = await client(session, fake).lookup("SHIPPODELIVERED", "usps", now=NOW)
    assert info is not None
    assert info.status is ShipmentStatus.DELIVERED
    times = [event.occurred_at for event in info.events]
    assert times == sorted(times)
    assert info.delivered_at == datetime(2026, 11, 26, 19, 12, tzinfo=UTC)


async def test_carrier_and_number_are_path_segments(
    session: aiohttp.ClientSession, fake: FakeShippo
) -> None:
    await client(session, fake).lookup("AB/12 3", "DHL Express", now=NOW)
    assert fake.requests[-1]["raw_path"] == "/tracks/dhl_express/AB%2F12%203"
    assert fake.requests[-1]["number"] == "AB/12 3"


async def test_unknown_number_is_none(session: aiohttp.ClientSession, fake: FakeShippo) -> None:
    assert await client(session, fake).lookup("SHIPPO404", "usps", now=NOW) is None
    assert await client(session, fake).lookup("SHIPPOEMPTY", "usps", now=NOW) is None
    assert len(fake.requests) == 2
    assert all("unexpected" not in request for request in fake.requests)


async def test_without_a_carrier_shippo_is_not_asked(
    session: aiohttp.ClientSession, fake: FakeShippo
) -> None:
    assert await client(session, fake).lookup(KNOWN, None, now=NOW) is None
    assert await client(session, fake).lookup(KNOWN, "  ", now=NOW) is None
    assert fake.requests == []


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("SHIPPO500", r"server error \(HTTP 500\)"),
        ("SHIPPO429", r"rate limit \(HTTP 429, Retry-After: 3\)"),
        ("SHIPPOSLOW", "did not answer within 0.5 s"),
        ("SHIPPOGARBAGE", "malformed JSON"),
        ("SHIPPOMISSING", "missing status"),
        ("SHIPPO400", r"HTTP 400"),
    ],
)
async def test_failures_raise_tracking_error(
    session: aiohttp.ClientSession, fake: FakeShippo, number: str, message: str
) -> None:
    with pytest.raises(TrackingError, match=message) as caught:
        await client(session, fake).lookup(number, "usps", now=NOW)
    assert_retry_flag(caught.value)


async def test_wrong_api_key(session: aiohttp.ClientSession, fake: FakeShippo) -> None:
    with pytest.raises(TrackingError, match=r"rejected the API token \(HTTP 401\)") as caught:
        await client(session, fake, api_key="shippo_wrong").lookup(KNOWN, "usps", now=NOW)
    assert "shippo_wrong" not in str(caught.value)


async def test_unreachable_api(session: aiohttp.ClientSession) -> None:
    server = TestServer(web.Application(), host="127.0.0.1")
    await server.start_server()
    base_url = str(server.make_url("/"))
    await server.close()
    source = ShippoSource(session, api_key=API_KEY, base_url=base_url)
    with pytest.raises(TrackingError, match="request failed"):
        await source.lookup(KNOWN, "usps", now=NOW)


async def test_unmapped_status_is_unknown(session: aiohttp.ClientSession, fake: FakeShippo) -> None:
    info = await client(session, fake).lookup("SHIPPOWEIRD", "usps", now=NOW)
    assert info is not None
    assert (info.status, info.reason, info.source_status) == (
        ShipmentStatus.UNKNOWN,
        None,
        "TELEPORTED",
    )


async def test_shippo_action_required_flag(
    session: aiohttp.ClientSession, fake: FakeShippo
) -> None:
    info = await client(session, fake).lookup("SHIPPOACTION", "usps", now=NOW)
    assert info is not None
    assert (info.status, info.action_required, info.source_substatus) == (
        ShipmentStatus.EXCEPTION,
        True,
        "mystery_hold",
    )


# --- webhook ----------------------------------------------------------------------------------


def signature(body: bytes, secret: str = SECRET, timestamp: int = 1795780800) -> str:
    """The [3p] scheme: t=<unix>,v1=hex(HMAC-SHA256(secret, f"{t}.{body}"))."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_body(data: dict[str, Any] | None = None, event: str = "track_updated") -> bytes:
    payload = {"event": event, "test": False, "data": data or track(KNOWN)}
    return json.dumps(payload).encode()


BODY = webhook_body()


def test_track_updated() -> None:
    webhook: TrackingWebhook = ShippoWebhook(SECRET)
    [update] = webhook.parse(BODY, {"Shippo-Auth-Signature": signature(BODY)}, now=NOW)

    assert webhook.name == "shippo"
    assert update.event_id == f"shippo:usps:{KNOWN}:c1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert update.key() == update.tracking_number == KNOWN
    assert update.carrier == "usps"
    assert update.status is ShipmentStatus.OUT_FOR_DELIVERY
    assert (update.source, update.source_status, update.source_substatus) == (
        "shippo",
        "TRANSIT",
        "out_for_delivery",
    )
    assert update.message == "Out for Delivery, Expected Delivery by 8:00pm"
    assert update.location == "Las Vegas, NV, US"
    assert update.estimated_delivery == date(2026, 11, 26)
    assert update.occurred_at == datetime(2026, 11, 26, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "name", ["shippo-auth-signature", "SHIPPO-AUTH-SIGNATURE", "Shippo-Auth-Signature"]
)
def test_header_name_is_case_insensitive(name: str) -> None:
    webhook = ShippoWebhook(SECRET)
    assert len(webhook.parse(BODY, {name: signature(BODY)}, now=NOW)) == 1
    assert len(webhook.parse(BODY, CIMultiDict({name: signature(BODY)}), now=NOW)) == 1


def test_rotated_secrets_any_v1_may_match() -> None:
    good = signature(BODY).split(",")[1]
    header = f"t=1795780800,v1={'0' * 64},{good}"
    assert len(ShippoWebhook(SECRET).parse(BODY, {"Shippo-Auth-Signature": header}, now=NOW)) == 1


def test_tampered_body() -> None:
    tampered = BODY.replace(b'"TRANSIT"', b'"DELIVERED"')
    assert tampered != BODY
    with pytest.raises(SignatureError, match="does not match") as caught:
        ShippoWebhook(SECRET).parse(tampered, {"Shippo-Auth-Signature": signature(BODY)}, now=NOW)
    assert signature(tampered).split("v1=")[1] not in str(caught.value)


def test_tampered_timestamp() -> None:
    header = signature(BODY).replace("t=1795780800", "t=1795780801")
    with pytest.raises(SignatureError):
        ShippoWebhook(SECRET).parse(BODY, {"Shippo-Auth-Signature": header}, now=NOW)


def test_wrong_secret() -> None:
    with pytest.raises(SignatureError):
        ShippoWebhook("other").parse(BODY, {"Shippo-Auth-Signature": signature(BODY)}, now=NOW)


def test_missing_header() -> None:
    with pytest.raises(SignatureError, match="missing"):
        ShippoWebhook(SECRET).parse(BODY, {"X-Shippo-Signature": signature(BODY)}, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "v1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # no t
        "t=1795780800",  # no v1
        "t=soon,v1=" + "0" * 64,
        "",
        "garbage",
        # base64 of the right HMAC instead of hex
        "t=1795780800,v1="
        + base64.b64encode(
            hmac.new(SECRET.encode(), b"1795780800." + BODY, hashlib.sha256).digest()
        ).decode(),
        # upper-case hex, and the HMAC of the body alone without "{t}."
        signature(BODY).upper().replace("T=", "t=").replace("V1=", "v1="),
        "t=1795780800,v1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),
        "t=1795780800,v1=" + "é" * 64,
    ],
)
def test_malformed_or_wrongly_encoded_signatures(header: str) -> None:
    with pytest.raises(SignatureError):
        ShippoWebhook(SECRET).parse(BODY, {"Shippo-Auth-Signature": header}, now=NOW)


def test_tolerance_when_configured() -> None:
    stamp = int(NOW.timestamp())
    webhook = ShippoWebhook(SECRET, tolerance_s=300)
    fresh = {"Shippo-Auth-Signature": signature(BODY, timestamp=stamp - 200)}
    assert len(webhook.parse(BODY, fresh, now=NOW)) == 1
    stale = {"Shippo-Auth-Signature": signature(BODY, timestamp=stamp - 301)}
    with pytest.raises(SignatureError, match="tolerance"):
        webhook.parse(BODY, stale, now=NOW)
    # off by default: the unit and clock of t are not confirmed by Shippo
    assert len(ShippoWebhook(SECRET).parse(BODY, stale, now=NOW)) == 1


def _missing(*path: str) -> dict[str, Any]:
    data = track(KNOWN)
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


@pytest.mark.parametrize(
    "body",
    [
        b'{"hello": "world"}',
        b"[]",
        b"not json",
        json.dumps({"event": "track_updated", "test": False}).encode(),
        json.dumps({"event": "track_updated", "data": [track(KNOWN)]}).encode(),
        json.dumps({"event": 7, "data": track(KNOWN)}).encode(),
        webhook_body(_missing("carrier")),
        webhook_body(_missing("tracking_number")),
        webhook_body(_missing("tracking_status", "object_id")),
        webhook_body(_missing("tracking_status", "status")),
        webhook_body({**track(KNOWN), "eta": "next week"}),
        webhook_body({**track(KNOWN), "tracking_history": "none"}),
    ],
)
def test_signed_body_that_is_not_a_track_event(body: bytes) -> None:
    with pytest.raises(PayloadError):
        ShippoWebhook(SECRET).parse(body, {"Shippo-Auth-Signature": signature(body)}, now=NOW)


def test_other_shippo_events_are_acknowledged_without_updates() -> None:
    body = webhook_body({"object_id": "f1e2d3", "status": "SUCCESS"}, event="transaction_created")
    assert (
        ShippoWebhook(SECRET).parse(body, {"Shippo-Auth-Signature": signature(body)}, now=NOW) == []
    )


def test_track_without_any_status_gives_no_update() -> None:
    body = webhook_body({**track(KNOWN), "tracking_status": None, "tracking_history": []})
    assert (
        ShippoWebhook(SECRET).parse(body, {"Shippo-Auth-Signature": signature(body)}, now=NOW) == []
    )


def test_status_nobody_mapped_is_unknown() -> None:
    data = track(KNOWN)
    data["tracking_status"].update(status="TELEPORTED", substatus=None)
    body = webhook_body(data)
    [update] = ShippoWebhook(SECRET).parse(
        body, {"Shippo-Auth-Signature": signature(body)}, now=NOW
    )
    assert (update.status, update.reason, update.source_status) == (
        ShipmentStatus.UNKNOWN,
        None,
        "TELEPORTED",
    )


def test_status_without_scan_date_uses_shippo_record_time() -> None:
    data = track(KNOWN)
    data["tracking_status"]["status_date"] = None
    body = webhook_body(data)
    [update] = ShippoWebhook(SECRET).parse(
        body, {"Shippo-Auth-Signature": signature(body)}, now=NOW
    )
    assert update.occurred_at == datetime(2026, 11, 26, 18, 1, 44, 128000, tzinfo=UTC)


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        ShippoWebhook("")

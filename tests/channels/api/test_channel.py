"""channels/api/channel.py on a real aiohttp server: signatures with an injected clock,
payload validation, duplicates, the bus down, the polled mailbox, and fuzz behind a valid
signature."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.api.parse import read_posted, to_inbound
from router.events import Link, OutboundMessage
from router.store import channel_state, repo
from tests.channels.api.conftest import NOW, Api, question
from tests.channels.fuzzing import json_trees

WINDOW = 300


async def test_a_signed_question_is_accepted_202(api: Api) -> None:
    status, body = await api.post(question())
    assert (status, body) == (202, {"id": "m-1", "event_id": "api:m-1", "duplicate": False})
    [published] = api.published
    assert published.text == "Where is my order #1001? My email is alice@example.com"
    assert published.conversation_key == "api:c-1"
    assert published.route == {"conversation_id": "c-1"}
    assert await channel_state.is_received(api.db, "api:m-1")


async def test_the_same_id_again_is_a_200_duplicate(api: Api) -> None:
    assert (await api.post(question()))[0] == 202
    status, body = await api.post(question(text="something else entirely"))
    assert (status, body) == (200, {"id": "m-1", "event_id": "api:m-1", "duplicate": True})
    assert len(api.published) == 1
    sample = api.metrics.registry.get_sample_value
    assert sample("wismo_inbound_duplicates_total", {"channel": "api"}) == 1.0


async def test_a_verified_sender_carries_proof(api: Api) -> None:
    sender = {"id": "u-1", "email": "alice@example.com", "verified": True}
    assert (await api.post(question(sender=sender)))[0] == 202
    assert api.published[0].sender.email == "alice@example.com"


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda h, body: {}, "unauthorized"),
        (lambda h, body: {"X-Wismo-Signature": h["X-Wismo-Signature"]}, "unauthorized"),
        (lambda h, body: {"X-Wismo-Timestamp": h["X-Wismo-Timestamp"]}, "unauthorized"),
        (lambda h, body: {**h, "X-Wismo-Signature": "v1=" + "0" * 64}, "bad_signature"),
        (
            lambda h, body: {**h, "X-Wismo-Timestamp": str(int(h["X-Wismo-Timestamp"]) + 1)},
            "bad_signature",
        ),
    ],
)
async def test_bad_or_missing_signatures_are_401_and_counted(
    api: Api, mangle: Any, reason: str
) -> None:
    raw = json.dumps(question()).encode()
    status, body = await api.post(raw, headers=mangle(api.signed(raw), raw))
    assert status == 401
    assert body["error"] == reason
    assert "v1=" not in body["message"]
    assert api.rejected(reason) == 1.0
    assert api.published == []


async def test_a_tampered_body_is_401(api: Api) -> None:
    raw = json.dumps(question()).encode()
    headers = api.signed(raw)
    status, body = await api.post(raw.replace(b"#1001", b"#1002"), headers=headers)
    assert (status, body["error"]) == (401, "bad_signature")


async def test_a_wrong_secret_is_401(api: Api) -> None:
    raw = json.dumps(question()).encode()
    headers = api.signed(raw, secret="another-secret-0000000")
    assert (await api.post(raw, headers=headers))[0] == 401


@pytest.mark.parametrize(
    ("signed_offset_s", "status"),
    [(-WINDOW, 202), (WINDOW, 202), (-WINDOW - 1, 401), (WINDOW + 1, 401), (-3600, 401)],
)
async def test_the_window_with_an_injected_clock(
    api: Api, signed_offset_s: int, status: int
) -> None:
    """Signed `offset` seconds before (negative) or after our clock's now."""
    raw = json.dumps(question()).encode()
    headers = api.signed(raw, at=NOW + timedelta(seconds=signed_offset_s))
    got, body = await api.post(raw, headers=headers)
    assert got == status
    if status == 401:
        assert body["error"] == "stale_timestamp"
        assert api.rejected("stale_timestamp") == 1.0


async def test_a_replay_after_the_window_is_refused(api: Api) -> None:
    raw = json.dumps(question()).encode()
    headers = api.signed(raw)
    assert (await api.post(raw, headers=headers))[0] == 202
    api.clock.advance(WINDOW + 1)
    assert (await api.post(raw, headers=headers))[0] == 401


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_wrong_content_type_is_415(api: Api, content_type: str) -> None:
    status, body = await api.post(question(), content_type=content_type)
    assert (status, body["error"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "bad_json"),
        (b"\xff", "bad_json"),
        (json.dumps({**question(), "id": "bad id"}).encode(), "bad_payload"),
        (json.dumps({**question(), "text": "   "}).encode(), "empty"),
        (json.dumps([question()]).encode(), "bad_payload"),
    ],
)
async def test_invalid_payloads_are_400(api: Api, body: bytes, code: str) -> None:
    status, answer = await api.post(body)
    assert (status, answer["error"]) == (400, code)
    assert api.rejected(code) == 1.0
    assert api.published == []


async def test_the_bus_down_is_503(api: Api) -> None:
    await api.bus.stop()
    status, body = await api.post(question())
    assert (status, body["error"]) == (503, "unavailable")
    assert api.rejected("bus_unavailable") == 1.0
    assert not await channel_state.is_received(api.db, "api:m-1")


# -- the polled mailbox ----------------------------------------------------------------------


async def converse(api: Api) -> None:
    """What the pipeline and dispatch write: the question, then the reply."""
    raw = json.dumps(question()).encode()
    inbound = to_inbound(read_posted(raw), now=NOW, max_bytes=4096)
    await repo.record_inbound(api.db, inbound, NOW)
    reply = OutboundMessage(
        event_id="reply:api:m-1",
        occurred_at=NOW,
        inbound_id="api:m-1",
        conversation_key="api:c-1",
        channel="api",
        provider="api",
        recipient=inbound.sender,
        route=inbound.route,
        text="Your order #1001 is on its way (1ZXK3DEG0359083017).",
        links=[Link(label="Track with UPS", url="https://www.ups.com/track?t=1ZXK")],
        quick_replies=["Thanks!"],
    )
    await repo.record_delivery(
        api.db, "dispatch", reply, provider_message_id=reply.event_id, now=NOW
    )


async def test_polling_returns_the_conversation(api: Api) -> None:
    await converse(api)
    status, body = await api.poll("/webhooks/api/conversations/c-1/messages")
    assert status == 200
    first, second = body["messages"]
    assert first == {
        "seq": first["seq"],
        "direction": "in",
        "id": "m-1",
        "in_reply_to": None,
        "conversation_id": "c-1",
        "text": "Where is my order #1001? My email is alice@example.com",
        "links": [],
        "quick_replies": [],
        "author": "customer",
        "sent_at": "2026-02-12T18:26:12+00:00",
    }
    assert second == {
        "seq": first["seq"] + 1,
        "direction": "out",
        "id": "reply:api:m-1",
        "in_reply_to": "m-1",
        "conversation_id": "c-1",
        "text": "Your order #1001 is on its way (1ZXK3DEG0359083017).",
        "links": [{"label": "Track with UPS", "url": "https://www.ups.com/track?t=1ZXK"}],
        "quick_replies": ["Thanks!"],
        "author": "bot",
        "sent_at": "2026-02-12T18:26:12+00:00",
    }
    path = f"/webhooks/api/conversations/c-1/messages?after={first['seq']}"
    status, later = await api.poll(path)
    assert (status, [m["id"] for m in later["messages"]]) == (200, ["reply:api:m-1"])
    status, none = await api.poll(f"/webhooks/api/conversations/c-1/messages?after={second['seq']}")
    assert (status, none) == (200, {"messages": []})
    status, other = await api.poll("/webhooks/api/conversations/c-2/messages")
    assert (status, other) == (200, {"messages": []})


async def test_polling_signed_for_another_path_is_401(api: Api) -> None:
    await converse(api)
    signed_for_c2 = api.signed(b"/webhooks/api/conversations/c-2/messages")
    status, body = await api.poll("/webhooks/api/conversations/c-1/messages", headers=signed_for_c2)
    assert (status, body["error"]) == (401, "bad_signature")
    status, body = await api.poll("/webhooks/api/conversations/c-1/messages", headers={})
    assert (status, body["error"]) == (401, "unauthorized")
    # The brief's "<timestamp>." (an empty payload) is not how a GET is signed.
    status, _ = await api.poll("/webhooks/api/conversations/c-1/messages", headers=api.signed(b""))
    assert status == 401


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/api/conversations/c-1/messages?after=-1",
        "/webhooks/api/conversations/c-1/messages?after=x",
        "/webhooks/api/conversations/c-1/messages?after=",
        "/webhooks/api/conversations/c-1/messages?after=1e3",
        "/webhooks/api/conversations/c%20d/messages",
        "/webhooks/api/conversations/" + "x" * 129 + "/messages",
    ],
)
async def test_polling_bad_parameters_are_400(api: Api, path: str) -> None:
    status, body = await api.poll(path)
    assert (status, body["error"]) == (400, "bad_request")


# -- fuzz, behind a valid signature ----------------------------------------------------------

FIELDS = [
    "id",
    "conversation_id",
    "sender",
    "text",
    "language",
    "email",
    "phone",
    "verified",
    "name",
]


@st.composite
def question_like(draw: st.DrawFn) -> Any:
    body: Any = question(id=f"f-{draw(st.integers(0, 10**6))}", language="en")
    body["sender"] = {
        **body["sender"],
        "email": "a@b.example",
        "phone": "+14155550123",
        "verified": draw(st.booleans()),
    }
    for node in (body, body["sender"]):
        for key in list(node):
            choice = draw(st.integers(0, 5))
            if choice == 4:  # hypothesis draws small numbers first: 0 keeps the field
                node[key] = draw(json_trees)
            elif choice == 5:
                del node[key]
        if draw(st.booleans()):
            node[draw(st.sampled_from(FIELDS))] = draw(json_trees)
    return body


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["question", "tree", "binary", "nested", "type"]))
    if kind == "question":
        return json.dumps(draw(question_like())).encode(), "application/json"
    if kind == "tree":
        return json.dumps(draw(json_trees)).encode(), "application/json"
    if kind == "binary":
        return draw(st.binary(max_size=200)), "application/json"
    if kind == "nested":
        depth = draw(st.integers(50, 3000))
        return b'{"sender":' * depth + b"1" + b"}" * depth, "application/json"
    raw = json.dumps(question()).encode()
    return raw, draw(st.sampled_from(["text/plain", "", "multipart/form-data; boundary=x"]))


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(drawn=bodies())
async def test_fuzz_messages_with_a_valid_signature(api: Api, drawn: tuple[bytes, str]) -> None:
    raw, content_type = drawn
    before = len(api.published)
    status, answer = await api.post(raw, content_type=content_type)
    assert status in (200, 202, 400, 415), answer
    if status >= 400:
        assert set(answer) == {"error", "message"}
    new = api.published[before:]
    assert len(new) == (1 if status == 202 else 0)
    if new:
        sent = json.loads(raw)
        assert new[0].provider_message_id == sent["id"]
        assert new[0].text == new[0].text.strip() != ""
        assert new[0].sender.email is None or sent["sender"]["verified"] is True


@FUZZ
@given(
    conversation=st.text(max_size=140) | st.sampled_from(["c-1", "a.b:c_d-e", "%00", "..", "."]),
    after=st.none() | st.text(max_size=25) | st.integers(-5, 10**20).map(str),
)
async def test_fuzz_polling_with_a_valid_signature(
    api: Api, conversation: str, after: str | None
) -> None:
    from urllib.parse import quote, urlencode

    path = f"/webhooks/api/conversations/{quote(conversation, safe='')}/messages"
    if after is not None:
        path += "?" + urlencode({"after": after})
    status, answer = await api.poll(path)
    # 404/405: a client resolved "." or ".." segments and asked for another route.
    assert status in (200, 400, 404, 405), answer
    if status == 200:
        assert answer == {"messages": []}
    elif status == 400:
        assert set(answer) == {"error", "message"}

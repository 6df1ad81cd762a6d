"""Requests from Slack: verified first (slack_sdk's SignatureVerifier, official vector, 5-minute
window), then url_verification, thread messages (reply prefix vs note), buttons and the reply
modal; retries and duplicates acknowledged once; bad input a 4xx that changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from channels.slack import blocks
from channels.slack.inbound import _Clock
from channels.webhook import Rejected
from router.bus import topics as t
from router.events import DeskAction, DeskCommand
from tests.channels.fuzzing import json_trees
from tests.channels.slack.conftest import Desk, escalation
from tests.channels.slack.fake_slack import CHANNEL
from tests.channels.slack.support import USER, block_actions, event_callback, view_submission
from tests.helpers import Clock

# /work/shared/reference/vectors/slack.json: Slack's documented example (also in slack_sdk's
# own tests), and the same request with a tampered body.
VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770088"
    b"5554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447f"
    b"ce8b6703c"
)
VECTOR_HEADERS = {
    "X-Slack-Request-Timestamp": "1531420618",
    "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
}


def desk_actions(desk: Desk) -> list[DeskAction]:
    return [e for e in desk.published.on(t.DESK) if isinstance(e, DeskAction)]


async def posted(desk: Desk) -> str:
    """An escalation's card, posted: its thread ts."""
    await desk.handle(escalation())
    [card] = [m for m in desk.fake.posts(CHANNEL) if not m.is_reply]
    return card.ts


# --- verification ------------------------------------------------------------------------------


def test_the_official_vector_verifies_and_a_tampered_body_does_not(desk: Desk) -> None:
    verifier = desk.desk.inbound
    pinned = Clock(desk.clock().replace(year=2018, month=7, day=12, hour=18, minute=36, second=58))
    verifier.verifier = SignatureVerifier(VECTOR_SECRET, _Clock(pinned))
    assert pinned().timestamp() == 1531420618
    verifier.verify(VECTOR_BODY, VECTOR_HEADERS)
    with pytest.raises(Rejected):
        verifier.verify(VECTOR_BODY + b"------", VECTOR_HEADERS)
    pinned.advance(301)
    with pytest.raises(Rejected):
        verifier.verify(VECTOR_BODY, VECTOR_HEADERS)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "1531420618"},
        {"X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
    ],
)
def test_missing_or_malformed_headers_are_rejected(desk: Desk, headers: dict[str, str]) -> None:
    with pytest.raises(Rejected) as caught:
        desk.desk.inbound.verify(b"{}", headers)
    assert caught.value.status == 401


async def test_forged_stale_and_future_requests_get_401_and_change_nothing(desk: Desk) -> None:
    eid = "escalation:twilio:SM1"
    await posted(desk)
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    person = desk.person
    for headers in (
        person.headers(body) | {"X-Slack-Signature": "v0=" + "0" * 64},
        person.headers(body, timestamp=int(desk.clock().timestamp()) - 301),
        person.headers(body, timestamp=int(desk.clock().timestamp()) + 301),
    ):
        async with person.http.post(
            person.base + "/slack/events", data=body, headers=headers
        ) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"] == "bad_signature"
            assert "v0=" not in await resp.text()  # never the expected signature
    person.secret = "wrong-secret"
    status, _ = await person.click(blocks.TAKE_OVER, eid)
    assert status == 401
    assert desk_actions(desk) == []
    assert (
        desk.metrics.registry.get_sample_value(
            "wismo_inbound_rejected_total", {"channel": "slack", "reason": "bad_signature"}
        )
        == 4
    )


async def test_signature_covers_the_exact_bytes(desk: Desk) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc"}).encode()
    headers = desk.person.headers(body) | {"Content-Type": "application/json"}
    async with desk.person.http.post(
        desk.person.base + "/slack/events", data=body + b" ", headers=headers
    ) as resp:
        assert resp.status == 401


# --- Events API --------------------------------------------------------------------------------


async def test_url_verification_is_answered_with_the_challenge(desk: Desk) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"}).encode()
    status, text = await desk.person.post("/slack/events", body, "application/json")
    assert status == 200
    assert json.loads(text) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


async def test_thread_messages_become_replies_or_notes(desk: Desk) -> None:
    ts = await posted(desk)
    assert (await desk.person.say_in_thread(ts, "customer sounds upset", event_id="Ev1"))[0] == 200
    assert (await desk.person.say_in_thread(ts, "  !REPLY  On its way today.", event_id="Ev2"))[
        0
    ] == 200
    actions = await desk.published.wait_for(t.DESK, 2)
    note, reply = (a for a in actions if isinstance(a, DeskAction))
    assert (note.command, note.text, note.event_id) == (
        DeskCommand.NOTE,
        "customer sounds upset",
        "slack:event:Ev1",
    )
    assert (reply.command, reply.text) == (DeskCommand.REPLY, "On its way today.")
    assert (reply.escalation_id, reply.user_id) == ("escalation:twilio:SM1", USER)
    assert reply.reply_to == {"channel": CHANNEL, "user": USER, "thread_ts": ts}


async def test_slack_retries_and_duplicates_are_acknowledged_once(desk: Desk) -> None:
    ts = await posted(desk)
    for retry in (None, 1, 2, 3):
        status, _ = await desk.person.say_in_thread(ts, "!reply hi", event_id="EvSame", retry=retry)
        assert status == 200
    await desk.published.wait_for(t.DESK, 1)
    assert len(desk_actions(desk)) == 1
    assert (
        desk.metrics.registry.get_sample_value(
            "wismo_inbound_duplicates_total", {"channel": "slack"}
        )
        == 3
    )


@pytest.mark.parametrize(
    "change",
    [
        {"thread_ts": None},  # a top-level message
        {"subtype": "message_changed"},
        {"bot_id": "B0WISMOBOT"},  # our own posts
        {"channel": "C0ELSEWHERE"},
        {"thread_ts": "1600000000.000100"},  # a thread that is not an escalation
        {"user": None},
    ],
)
async def test_other_messages_are_acknowledged_and_ignored(
    desk: Desk, change: dict[str, Any]
) -> None:
    ts = await posted(desk)
    payload = event_callback(USER, ts, "!reply hello", "EvX")
    payload["event"] = {k: v for k, v in (payload["event"] | change).items() if v is not None}
    status, _ = await desk.person.post(
        "/slack/events", json.dumps(payload).encode(), "application/json"
    )
    assert status == 200
    assert desk_actions(desk) == []


async def test_unknown_event_types_are_acknowledged(desk: Desk) -> None:
    body = json.dumps({"type": "app_rate_limited", "minute_rate_limited": 1}).encode()
    assert (await desk.person.post("/slack/events", body, "application/json"))[0] == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "bad_json"),
        (b"[1, 2]", "bad_payload"),
        (b'{"type": "url_verification"}', "bad_payload"),
        (b'{"type": "event_callback", "event": {}}', "bad_payload"),
        (b'{"type": "event_callback", "event_id": "Ev1", "event": "x"}', "bad_payload"),
        (b"\xff\xfe", "bad_signature"),  # not UTF-8: cannot even be verified
    ],
)
async def test_malformed_events_get_400(desk: Desk, body: bytes, code: str) -> None:
    status, text = await desk.person.post("/slack/events", body, "application/json")
    assert status in (400, 401)
    assert json.loads(text)["error"] == code
    assert desk_actions(desk) == []


# --- interactivity -----------------------------------------------------------------------------


async def test_each_button_becomes_its_desk_action(desk: Desk) -> None:
    await posted(desk)
    eid = "escalation:twilio:SM1"
    for action_id in blocks.COMMANDS:
        assert (await desk.person.click(action_id, eid))[0] == 200
    actions = await desk.published.wait_for(t.DESK, len(blocks.COMMANDS))
    assert [a.command for a in actions if isinstance(a, DeskAction)] == list(
        blocks.COMMANDS.values()
    )
    first = actions[0]
    assert isinstance(first, DeskAction)
    assert first.reply_to["channel"] == CHANNEL
    assert first.user_name == "dana"


async def test_reply_opens_the_modal_with_the_suggestion(desk: Desk) -> None:
    await posted(desk)
    status, _ = await desk.person.click(blocks.REPLY, "escalation:twilio:SM1")
    assert status == 200
    [opened] = desk.fake.views
    assert opened.view["callback_id"] == blocks.REPLY_MODAL
    assert opened.view["private_metadata"] == "escalation:twilio:SM1"
    assert "A colleague will get back to you here." in json.dumps(opened.view)
    assert desk_actions(desk) == []  # opening a form changes nothing


async def test_a_failed_modal_open_is_a_502_and_nothing_else(desk: Desk) -> None:
    await posted(desk)
    desk.fake.fail_next("views.open", error="expired_trigger_id", status=200)
    status, text = await desk.person.click(blocks.REPLY, "escalation:twilio:SM1")
    assert status == 502
    assert json.loads(text)["error"] == "slack_error"


async def test_modal_submission_becomes_a_reply_and_an_empty_one_is_an_error(desk: Desk) -> None:
    await posted(desk)
    status, text = await desk.person.submit_reply("escalation:twilio:SM1", "   ")
    assert status == 200
    assert json.loads(text) == {
        "response_action": "errors",
        "errors": {blocks.REPLY_BLOCK: "Write a reply."},
    }
    status, text = await desk.person.submit_reply("escalation:twilio:SM1", "Hello Alice", "V9")
    assert (status, text) == (200, "")
    [action] = await desk.published.wait_for(t.DESK, 1)
    assert isinstance(action, DeskAction)
    assert (action.command, action.text, action.event_id) == (
        DeskCommand.REPLY,
        "Hello Alice",
        "slack:view:V9",
    )
    # Submitted twice (a double click): one action.
    await desk.person.submit_reply("escalation:twilio:SM1", "Hello Alice", "V9")
    assert len(desk_actions(desk)) == 1


def _form(payload: Any) -> bytes:
    return urlencode(
        {"payload": payload if isinstance(payload, str) else json.dumps(payload)}
    ).encode()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (
            block_actions(USER, "wismo_launch_rockets", "escalation:twilio:SM1"),
            400,
            "unknown_action",
        ),
        (
            block_actions(USER, blocks.TAKE_OVER, "escalation:twilio:nope"),
            404,
            "unknown_escalation",
        ),
        (block_actions(USER, blocks.TAKE_OVER, ""), 400, "bad_payload"),
        ({"type": "block_actions", "user": {"id": USER}, "actions": []}, 400, "bad_payload"),
        ({"type": "block_actions", "actions": [{"action_id": "x"}]}, 400, "bad_payload"),
        (
            view_submission(USER, "escalation:twilio:SM1", "hi", "V1")
            | {"view": {"callback_id": "other"}},
            400,
            "unknown_view",
        ),
        ("{not json", 400, "bad_json"),
        ("[]", 400, "bad_payload"),
    ],
)
async def test_bad_interactions_get_4xx_and_change_nothing(
    desk: Desk, payload: Any, status: int, code: str
) -> None:
    await posted(desk)
    got, text = await desk.person.post(
        "/slack/interactivity", _form(payload), "application/x-www-form-urlencoded"
    )
    assert (got, json.loads(text)["error"]) == (status, code)
    assert desk_actions(desk) == []


async def test_a_form_without_payload_is_a_400(desk: Desk) -> None:
    status, text = await desk.person.post(
        "/slack/interactivity", b"foo=bar", "application/x-www-form-urlencoded"
    )
    assert (status, json.loads(text)["error"]) == (400, "bad_payload")


async def test_other_interaction_types_are_acknowledged(desk: Desk) -> None:
    payload = {"type": "view_closed", "user": {"id": USER}, "view": {"id": "V1"}}
    status, _ = await desk.person.post(
        "/slack/interactivity", _form(payload), "application/x-www-form-urlencoded"
    )
    assert status == 200
    assert desk_actions(desk) == []


async def test_the_verifier_uses_the_injected_clock(desk: Desk) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    headers = desk.person.headers(body)
    desk.clock.advance(timedelta(minutes=5, seconds=1).total_seconds())
    with pytest.raises(Rejected):
        desk.desk.inbound.verify(body, headers)


# --- fuzzed behind the signature ---------------------------------------------------------------


@st.composite
def slack_like(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A properly signed request whose content is anything: Slack's shapes with fields
    replaced or removed, random JSON, random forms."""
    kind = draw(st.sampled_from(["event", "action", "view", "tree", "form"]))
    if kind == "tree":
        return "/slack/events", json.dumps(draw(json_trees)).encode(), "application/json"
    if kind == "form":
        fields = draw(st.dictionaries(st.sampled_from(["payload", "x"]), st.text(max_size=60)))
        return "/slack/interactivity", urlencode(fields).encode(), FORM
    base: dict[str, Any]
    if kind == "event":
        base = event_callback(USER, "1700000000.000100", "!reply hi", "EvFuzz")
    elif kind == "action":
        base = block_actions(
            USER, draw(st.sampled_from([*blocks.COMMANDS, "x"])), "escalation:twilio:SM1"
        )
    else:
        base = view_submission(USER, "escalation:twilio:SM1", "hello", "VFuzz")
    for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del base[key]
        else:
            base[key] = draw(json_trees)
    if kind == "event":
        return "/slack/events", json.dumps(base).encode(), "application/json"
    return "/slack/interactivity", urlencode({"payload": json.dumps(base)}).encode(), FORM


FORM = "application/x-www-form-urlencoded"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=slack_like())
async def test_fuzz_with_the_right_signature(desk: Desk, drawn: tuple[str, bytes, str]) -> None:
    path, body, content_type = drawn
    status, answer = await desk.person.post(path, body, content_type)
    assert status in (200, 400, 404), answer[:300]
    if status >= 400:
        assert set(json.loads(answer)) == {"error", "message"}

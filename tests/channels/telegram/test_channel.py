"""channels/telegram/channel.py on a real aiohttp server: the secret token, what is published,
duplicates, the bus down, callback answers, blocking, and send through a fake Bot API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.dispatch import SendFailed, SendResult
from router.events import Link, OutboundMessage, Party
from router.store import channel_state
from tests.channels.fuzzing import json_trees
from tests.channels.telegram.conftest import BOT_TOKEN, NOW, SECRET, Hook, HookFactory
from tests.channels.telegram.fake_bot_api import error, fake_bot_api
from tests.channels.telegram.updates import (
    VECTOR_BODY,
    callback_update,
    message,
    private_chat,
    text_update,
    update,
    user,
)

# /work/shared/reference/vectors/telegram.json (self-generated; scheme from the Bot API
# setWebhook secret_token parameter): the same body with the right token, a token with its
# last character changed, and no header at all.
VECTORS = [
    ("self-update", "tg-Secret_token-123", 200),
    ("tampered-token", "tg-Secret_token-124", 403),
    ("missing-header", None, 401),
]


@pytest.mark.parametrize(("vector", "token", "status"), VECTORS)
async def test_signature_vectors(hook: Hook, vector: str, token: str | None, status: int) -> None:
    got, body = await hook.post(VECTOR_BODY, token=token)
    assert got == status, vector
    if status == 200:
        assert body == b""
        assert [m.text for m in hook.published] == ["where is my order #1001?"]
        return
    reason = "bad_signature" if status == 403 else "unauthorized"
    assert json.loads(body)["error"] == reason
    assert "tg-Secret" not in body.decode()
    assert hook.published == []
    assert hook.rejected(reason) == 1.0


@pytest.mark.parametrize("token", ["", "tg-secret_token-123", "tg-Secret_token-1234", "x" * 300])
async def test_near_misses_are_refused(hook: Hook, token: str) -> None:
    status, _ = await hook.post(VECTOR_BODY, token=token)
    assert status == 403
    assert hook.published == []


async def test_wrong_content_type_is_415(hook: Hook) -> None:
    status, body = await hook.post(VECTOR_BODY, content_type="text/plain")
    assert (status, json.loads(body)["error"]) == (415, "unsupported_media_type")
    assert hook.rejected("unsupported_media_type") == 1.0


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"{", "bad_json"), (b'{"update_id": "x"}', "bad_payload"), (b"\xff\xfe", "bad_json")],
)
async def test_malformed_bodies_are_400(hook: Hook, raw: bytes, code: str) -> None:
    status, body = await hook.post(raw)
    assert (status, json.loads(body)["error"]) == (400, code)
    assert hook.published == []


async def test_a_question_is_published_with_everything_needed_to_reply(hook: Hook) -> None:
    status, _ = await hook.post(text_update())
    assert status == 200
    [published] = hook.published
    assert published.event_id == "telegram:123456:42:7"
    assert published.conversation_key == "telegram:42"
    assert published.sender == Party(id="42", name="Ana Souza")
    assert published.route == {"chat_id": "42"}
    assert published.language == "pt-br"
    assert published.received_at == NOW
    assert await channel_state.is_received(hook.db, "telegram:123456:42:7")


async def test_a_redelivered_update_is_acknowledged_and_published_once(hook: Hook) -> None:
    for _ in range(3):
        status, _ = await hook.post(text_update())
        assert status == 200
    assert len(hook.published) == 1
    labels = {"channel": "telegram"}
    sample = hook.metrics.registry.get_sample_value
    assert sample("wismo_inbound_duplicates_total", labels) == 2.0
    assert sample("wismo_inbound_messages_total", labels) == 1.0


async def test_the_bus_down_is_503_with_retry_after(hook: Hook) -> None:
    await hook.bus.stop()
    async with hook.http.post(
        hook.url,
        data=json.dumps(text_update()),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    ) as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        assert (await response.json())["error"] == "unavailable"
    assert hook.rejected("bus_unavailable") == 1.0
    assert not await channel_state.is_received(hook.db, "telegram:123456:42:7")


@pytest.mark.parametrize(
    "body",
    [
        update(edited_message=message(text="edited", edit_date=1770920999)),
        update(message=message(sender=user(7, is_bot=True), text="bot")),
        update(channel_post={**message(text="news"), "chat": {"id": -1001, "type": "channel"}}),
        update(message={**message(text="hi all"), "chat": {"id": -4012, "type": "group"}}),
        update(message=message(left_chat_member=user(5))),
        update(poll_answer={"poll_id": "1", "option_ids": [0], "user": user()}),
    ],
)
async def test_ignorable_updates_are_200_and_publish_nothing(
    hook: Hook, body: dict[str, Any]
) -> None:
    status, answer = await hook.post(body)
    assert (status, answer) == (200, b"")
    assert hook.published == []
    assert hook.metrics.registry.get_sample_value("wismo_inbound_rejected_total") is None


async def test_a_button_press_is_published_and_answered_in_the_response(hook: Hook) -> None:
    status, answer = await hook.post(callback_update("Talk to a person"))
    assert status == 200
    assert json.loads(answer) == {
        "method": "answerCallbackQuery",
        "callback_query_id": "4382bfdwdsb323b2d9",
    }
    assert [m.text for m in hook.published] == ["Talk to a person"]


async def test_a_shared_own_contact_is_a_verified_phone(hook: Hook) -> None:
    contact = {"phone_number": "14155550123", "first_name": "Ana", "user_id": 42}
    status, _ = await hook.post(update(message=message(contact=contact)))
    assert status == 200
    assert hook.published[0].sender.phone == "+14155550123"


def outbound(**fields: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "event_id": "reply:telegram:123456:42:7",
        "occurred_at": NOW,
        "inbound_id": "telegram:123456:42:7",
        "conversation_key": "telegram:42",
        "channel": "telegram",
        "provider": "telegram",
        "recipient": Party(id="42", name="Ana Souza"),
        "route": {"chat_id": "42"},
        "text": "Your order #1001 is on its way with UPS (1ZXK3DEG0359083017).",
        "links": [Link(label="Track with UPS", url="https://www.ups.com/track?tracknum=1ZXK")],
        "quick_replies": ["Thanks!"],
        **fields,
    }
    return OutboundMessage(**values)


async def test_send_posts_send_message_with_buttons(make_hook: HookFactory) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        hook = await make_hook(api_base_url=fake.base_url)
        result = await hook.channel.send(outbound())
    assert result == SendResult(provider_message_id="42:5001")
    assert fake.calls == [
        (
            "sendMessage",
            {
                "chat_id": 42,
                "text": "Your order #1001 is on its way with UPS (1ZXK3DEG0359083017).",
                "link_preview_options": {"is_disabled": True},
                "reply_markup": {
                    "inline_keyboard": [
                        [
                            {
                                "text": "Track with UPS",
                                "url": "https://www.ups.com/track?tracknum=1ZXK",
                            }
                        ],
                        [{"text": "Thanks!", "callback_data": "Thanks!"}],
                    ]
                },
            },
        )
    ]


async def test_a_reply_without_a_chat_fails(hook: Hook) -> None:
    with pytest.raises(SendFailed, match=r"^telegram: the reply has no chat_id to go to$"):
        await hook.channel.send(outbound(route={}))


async def test_blocked_by_the_user_fails_and_suppresses_later_replies(
    make_hook: HookFactory,
) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        hook = await make_hook(api_base_url=fake.base_url)
        fake.script = [error(403, "Forbidden: bot was blocked by the user")]
        with pytest.raises(SendFailed, match=r"^telegram: HTTP 403 \(Forbidden: bot was blocked"):
            await hook.channel.send(outbound())
        assert (await channel_state.contact(hook.db, "telegram", "42")).opted_out
        assert await hook.channel.send(outbound()) == SendResult(status="suppressed")
        assert len(fake.calls) == 1
        # They write again: they no longer block the bot.
        status, _ = await hook.post(text_update())
        assert status == 200
        assert not (await channel_state.contact(hook.db, "telegram", "42")).opted_out
        assert (await hook.channel.send(outbound())).provider_message_id == "42:5001"
        assert len(fake.calls) == 2


async def test_my_chat_member_updates_block_and_unblock(hook: Hook) -> None:
    def membership(update_id: int, status: str) -> dict[str, Any]:
        bot = {"id": 123456, "is_bot": True, "first_name": "Shop"}
        return update(
            update_id,
            my_chat_member={
                "chat": private_chat(),
                "from": user(),
                "date": 1770920772,
                "old_chat_member": {"status": "member", "user": bot},
                "new_chat_member": {"status": status, "user": bot, "until_date": 0},
            },
        )

    assert (await hook.post(membership(1, "kicked")))[0] == 200
    assert (await channel_state.contact(hook.db, "telegram", "42")).opted_out
    assert await hook.channel.send(outbound()) == SendResult(status="suppressed")
    assert (await hook.post(membership(2, "member")))[0] == 200
    assert not (await channel_state.contact(hook.db, "telegram", "42")).opted_out
    assert hook.published == []


# -- fuzz, behind a valid secret token -------------------------------------------------------

KEYS = [
    "update_id",
    "message",
    "callback_query",
    "my_chat_member",
    "from",
    "chat",
    "text",
    "message_id",
    "date",
    "id",
    "type",
    "contact",
    "caption",
    "data",
    "is_bot",
]


@st.composite
def update_like(draw: st.DrawFn) -> Any:
    """Valid updates with some fields replaced by random values: deep enough to reach the
    parser's corners, not only its first check."""
    body: Any = draw(st.sampled_from([text_update(), callback_update("Yes"), update()]))
    body = json.loads(json.dumps(body))

    def mutate(node: Any) -> None:
        if isinstance(node, dict):
            for key in list(node):
                choice = draw(st.integers(0, 9))
                if choice == 8:  # hypothesis draws small numbers first: keep the field
                    node[key] = draw(json_trees)
                elif choice == 9:
                    del node[key]
                else:
                    mutate(node[key])
            if draw(st.booleans()):
                node[draw(st.sampled_from(KEYS))] = draw(json_trees)

    mutate(body)
    return body


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["update", "tree", "binary", "nested", "type"]))
    if kind == "update":
        return json.dumps(draw(update_like())).encode(), "application/json"
    if kind == "tree":
        return json.dumps(draw(json_trees)).encode(), "application/json"
    if kind == "binary":
        return draw(st.binary(max_size=200)), "application/json"
    if kind == "nested":
        depth = draw(st.integers(50, 3000))
        return b'{"update_id":1,"message":' * depth + b"1" + b"}" * depth, "application/json"
    return VECTOR_BODY, draw(
        st.sampled_from(["text/plain", "", "application/x-www-form-urlencoded"])
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=bodies())
async def test_fuzz_with_the_right_secret(hook: Hook, drawn: tuple[bytes, str]) -> None:
    raw, content_type = drawn
    before = len(hook.published)
    status, answer = await hook.post(raw, content_type=content_type)
    assert status in (200, 400, 415), answer[:300]
    if status >= 400:
        assert set(json.loads(answer)) == {"error", "message"}
    new = hook.published[before:]
    assert len(new) <= 1
    if new:
        assert status == 200
        sent = json.loads(raw)
        assert new[0].text.strip() == new[0].text != ""
        assert "\x00" not in new[0].text
        assert new[0].conversation_key.startswith("telegram:")
        assert "update_id" in sent

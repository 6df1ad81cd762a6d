"""The fake Slack Web API, driven through slack_sdk's real AsyncWebClient: if the client and
the fake disagree on a request or response shape, these fail before any desk test does."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack import blocks
from tests.channels.slack.fake_slack import (
    BOT_ID,
    BOT_USER_ID,
    CHANNEL,
    TEAM_ID,
    TOKEN,
    FakeSlack,
    running,
)

GROUP = "S0DESK0001"
HUMAN = "U0HUMAN001"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Card*", "verbatim": True}}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with running(usergroups={GROUP: [HUMAN, "W0HUMAN002"]}) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=f"{fake.url}/api/", timeout=5)


def error_of(exc: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return exc.value.response["error"]


# -- auth and dispatch -------------------------------------------------------------------------


async def test_auth_test_names_the_bot(client: AsyncWebClient, fake: FakeSlack) -> None:
    response = await client.auth_test()
    assert response["user_id"] == BOT_USER_ID
    assert response["bot_id"] == BOT_ID
    assert response["team_id"] == TEAM_ID
    call = fake.calls("auth.test")[0]
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_a_wrong_token_is_invalid_auth(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        await fake.client(token="xoxb-not-the-token").chat_postMessage(channel=CHANNEL, text="x")
    assert error_of(exc) == "invalid_auth"
    assert exc.value.response.status_code == 200
    assert fake.posts() == []


async def test_no_token_is_not_authed(fake: FakeSlack) -> None:
    client = AsyncWebClient(base_url=fake.api_url)
    with pytest.raises(SlackApiError) as exc:
        await client.auth_test()
    assert error_of(exc) == "not_authed"


async def test_a_token_in_a_form_body_is_accepted(fake: FakeSlack) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fake.api_url + "chat.postMessage",
            data={"token": TOKEN, "channel": CHANNEL, "text": "form"},
        ) as response,
    ):
        body = await response.json()
    assert body["ok"] is True
    assert "token" not in fake.calls("chat.postMessage")[0].args


async def test_an_unknown_method_is_refused(client: AsyncWebClient, fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.api_call("chat.postMesage", json={"channel": CHANNEL, "text": "typo"})
    assert error_of(exc) == "unknown_method"
    assert fake.calls("chat.postMesage")


async def test_an_unknown_channel_is_channel_not_found(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C0NOWHERE", text="hello")
    assert error_of(exc) == "channel_not_found"
    with pytest.raises(SlackApiError) as exc:
        await client.conversations_history(channel="C0NOWHERE")
    assert error_of(exc) == "channel_not_found"


async def test_invalid_json_is_refused(fake: FakeSlack) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake.api_url + "auth.test", data=b"{nope", headers=headers) as response,
    ):
        body = await response.json()
    assert body == {"ok": False, "error": "invalid_json"}


# -- chat.postMessage, chat.update, chat.postEphemeral -----------------------------------------


async def test_post_message_returns_the_message(client: AsyncWebClient, fake: FakeSlack) -> None:
    response = await client.chat_postMessage(channel=CHANNEL, text="fallback", blocks=[SECTION])
    assert response["channel"] == CHANNEL
    assert response["ts"] == "1700000000.000100"
    message = response["message"]
    assert message["text"] == "fallback"
    assert message["blocks"] == [SECTION]
    assert message["bot_id"] == BOT_ID
    assert message["ts"] == response["ts"]
    call = fake.calls("chat.postMessage")[0]
    assert call.content_type == "application/json"
    assert call.args["blocks"] == [SECTION]
    assert [m.text for m in fake.posts(CHANNEL)] == ["fallback"]


async def test_timestamps_are_unique_and_increasing(client: AsyncWebClient) -> None:
    stamps = [(await client.chat_postMessage(channel=CHANNEL, text=str(i)))["ts"] for i in range(5)]
    assert len(set(stamps)) == 5
    assert stamps == sorted(stamps, key=float)
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


async def test_a_form_encoded_post_is_read_like_json(fake: FakeSlack) -> None:
    client = fake.client()
    await client.api_call(
        "chat.postMessage",
        data={
            "channel": CHANNEL,
            "text": "as a form",
            "blocks": '[{"type": "divider"}]',
            "metadata": '{"event_type": "wismo_escalation", "event_payload": {"id": "e1"}}',
        },
    )
    posted = fake.posts()[0]
    assert fake.calls()[0].content_type == "application/x-www-form-urlencoded"
    assert posted.blocks == [{"type": "divider"}]
    assert posted.metadata == {"event_type": "wismo_escalation", "event_payload": {"id": "e1"}}


async def test_thread_ts_makes_a_reply(client: AsyncWebClient, fake: FakeSlack) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL, text="card")
    reply = await client.chat_postMessage(channel=CHANNEL, text="one", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert reply["message"]["parent_user_id"] == BOT_USER_ID
    # Naming a reply threads under its parent, as Slack does.
    again = await client.chat_postMessage(channel=CHANNEL, text="two", thread_ts=reply["ts"])
    assert again["message"]["thread_ts"] == parent["ts"]
    assert [m.text for m in fake.thread(parent["ts"])] == ["card", "one", "two"]
    assert [m.text for m in fake.thread(again["ts"])] == ["card", "one", "two"]
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel=CHANNEL, text="lost", thread_ts="1.000001")
    assert error_of(exc) == "thread_not_found"


async def test_a_message_needs_some_content(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.api_call("chat.postMessage", json={"channel": CHANNEL})
    assert error_of(exc) == "no_text"
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)
    assert error_of(exc) == "msg_too_long"


@pytest.mark.parametrize(
    "bad",
    [
        [{"type": "secton", "text": {"type": "mrkdwn", "text": "typo in the type"}}],
        [{"type": "section", "txt": {"type": "mrkdwn", "text": "typo in a key"}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "divider"}] * 51,
        "not json",
    ],
)
async def test_malformed_blocks_are_refused(client: AsyncWebClient, bad: Any) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.api_call(
            "chat.postMessage", json={"channel": CHANNEL, "text": "t", "blocks": bad}
        )
    assert error_of(exc) in ("invalid_blocks", "invalid_blocks_format")


async def test_metadata_is_stored(client: AsyncWebClient, fake: FakeSlack) -> None:
    metadata = {"event_type": "wismo_escalation", "event_payload": {"escalation_id": "e1"}}
    await client.chat_postMessage(channel=CHANNEL, text="card", metadata=metadata)
    assert fake.posts()[0].metadata == metadata
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel=CHANNEL, text="card", metadata={"event_type": "x"})
    assert error_of(exc) == "invalid_metadata_format"


async def test_update_replaces_text_and_blocks(client: AsyncWebClient, fake: FakeSlack) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="before", blocks=[SECTION])
    updated = await client.chat_update(
        channel=CHANNEL, ts=posted["ts"], text="after", blocks=[{"type": "divider"}]
    )
    assert updated["ts"] == posted["ts"]
    assert updated["text"] == "after"
    assert updated["message"]["blocks"] == [{"type": "divider"}]
    message = fake.message(posted["ts"])
    assert (message.text, message.blocks) == ("after", [{"type": "divider"}])
    assert message.edited_ts is not None
    # Without blocks, the message keeps the ones it has.
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="text only")
    assert fake.message(posted["ts"]).blocks == [{"type": "divider"}]
    assert len(fake.posts()) == 1


async def test_update_errors(client: AsyncWebClient, fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.chat_update(channel=CHANNEL, ts="1700000000.999900", text="x")
    assert error_of(exc) == "message_not_found"
    human = fake.post(CHANNEL, "a human wrote this", user=HUMAN)
    with pytest.raises(SlackApiError) as exc:
        await client.chat_update(channel=CHANNEL, ts=human.ts, text="x")
    assert error_of(exc) == "cant_update_message"


async def test_ephemeral_messages_stay_out_of_the_channel(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    text, body = blocks.error_text("That escalation is already resolved.")
    response = await client.chat_postEphemeral(
        channel=CHANNEL, user=HUMAN, text=text, blocks=body, thread_ts="1700000000.000100"
    )
    assert response["message_ts"]
    [ephemeral] = fake.ephemerals
    assert (ephemeral.user, ephemeral.text, ephemeral.thread_ts) == (
        HUMAN,
        text,
        "1700000000.000100",
    )
    assert fake.posts() == []
    history = await client.conversations_history(channel=CHANNEL)
    assert history["messages"] == []


# -- views.open --------------------------------------------------------------------------------


async def test_views_open_returns_the_view(client: AsyncWebClient, fake: FakeSlack) -> None:
    view = blocks.reply_modal("escalation:twilio:SM1", suggested="Your parcel is on its way.")
    response = await client.views_open(trigger_id="12345.98765.abcd", view=view)
    opened = response["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == blocks.REPLY_MODAL
    assert opened["private_metadata"] == "escalation:twilio:SM1"
    assert opened["state"] == {"values": {}}
    assert fake.views[0].view == view
    assert fake.views[0].trigger_id == "12345.98765.abcd"


async def test_views_open_checks_the_trigger(client: AsyncWebClient, fake: FakeSlack) -> None:
    view = blocks.reply_modal("e1", suggested=None)
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(view=view)
    assert error_of(exc) == "invalid_arguments"
    await client.views_open(trigger_id="t1", view=view)
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(trigger_id="t1", view=view)
    assert error_of(exc) == "exchanged_trigger_id"
    fake.expired_triggers.add("t2")
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(trigger_id="t2", view=view)
    assert error_of(exc) == "expired_trigger_id"


async def test_views_open_refuses_a_malformed_view(client: AsyncWebClient) -> None:
    view = blocks.reply_modal("e1", suggested=None)
    view["title"]["text"] = "A title longer than twenty-four characters"
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(trigger_id="t3", view=view)
    assert error_of(exc) == "invalid_arguments"


# -- conversations.history and conversations.replies -------------------------------------------


async def test_history_is_newest_first_within_the_window(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    stamps = [(await client.chat_postMessage(channel=CHANNEL, text=str(i)))["ts"] for i in range(5)]
    await client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=stamps[0])
    history = await client.conversations_history(channel=CHANNEL)
    assert [m["text"] for m in history["messages"]] == ["4", "3", "2", "1", "0"]
    assert history["has_more"] is False
    assert history["messages"][-1]["reply_count"] == 1
    window = await client.conversations_history(channel=CHANNEL, oldest=stamps[1], latest=stamps[3])
    assert [m["text"] for m in window["messages"]] == ["2"]
    inclusive = await client.conversations_history(
        channel=CHANNEL, oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["3", "2", "1"]
    assert fake.calls("conversations.history")[0].http_method == "GET"


async def test_history_pages_with_a_cursor(client: AsyncWebClient) -> None:
    for i in range(5):
        await client.chat_postMessage(channel=CHANNEL, text=str(i))
    first = await client.conversations_history(channel=CHANNEL, limit=2)
    assert [m["text"] for m in first["messages"]] == ["4", "3"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = await client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["2", "1"]
    with pytest.raises(SlackApiError) as exc:
        await client.conversations_history(channel=CHANNEL, cursor="not a cursor")
    assert error_of(exc) == "invalid_cursor"


async def test_history_shows_metadata_only_when_asked(client: AsyncWebClient) -> None:
    metadata = {"event_type": "wismo_escalation", "event_payload": {"escalation_id": "e1"}}
    await client.chat_postMessage(channel=CHANNEL, text="card", metadata=metadata)
    plain = await client.conversations_history(channel=CHANNEL)
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata


async def test_replies_read_a_thread(client: AsyncWebClient, fake: FakeSlack) -> None:
    card = await client.chat_postMessage(
        channel=CHANNEL,
        text="card",
        metadata={"event_type": "wismo_escalation", "event_payload": {"id": "e1"}},
    )
    fake.post(CHANNEL, "!reply on its way", user=HUMAN, thread_ts=card["ts"])
    await client.chat_postMessage(channel=CHANNEL, text="sent", thread_ts=card["ts"])
    await client.chat_postMessage(channel=CHANNEL, text="elsewhere")
    thread = await client.conversations_replies(channel=CHANNEL, ts=card["ts"])
    texts = [m["text"] for m in thread["messages"]]
    assert texts == ["card", "!reply on its way", "sent"]
    parent, human, _ = thread["messages"]
    assert parent["reply_count"] == 2
    assert parent["reply_users"] == sorted([HUMAN, BOT_USER_ID])
    assert "metadata" not in parent
    assert human["user"] == HUMAN
    assert "bot_id" not in human
    assert human["thread_ts"] == card["ts"]
    with_metadata = await client.conversations_replies(
        channel=CHANNEL, ts=human["ts"], include_all_metadata=True
    )
    assert with_metadata["messages"][0]["metadata"]["event_payload"] == {"id": "e1"}
    with pytest.raises(SlackApiError) as exc:
        await client.conversations_replies(channel=CHANNEL, ts="1600000000.000100")
    assert error_of(exc) == "thread_not_found"


# -- usergroups.users.list ---------------------------------------------------------------------


async def test_usergroup_members(client: AsyncWebClient) -> None:
    response = await client.usergroups_users_list(usergroup=GROUP)
    assert response["users"] == [HUMAN, "W0HUMAN002"]
    with pytest.raises(SlackApiError) as exc:
        await client.usergroups_users_list(usergroup="S0UNKNOWN")
    assert error_of(exc) == "no_such_subteam"


# -- faults ------------------------------------------------------------------------------------


async def test_rate_limit_is_a_429_with_retry_after(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel=CHANNEL, text="hello")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert error_of(exc) == "ratelimited"
    assert fake.posts() == []
    # Only the next call: the one after goes through.
    await client.chat_postMessage(channel=CHANNEL, text="hello")
    assert len(fake.posts()) == 1


async def test_slack_sdk_retries_a_rate_limit(fake: FakeSlack) -> None:
    client = fake.client(retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
    fake.fail_next("chat.postMessage", retry_after=0, times=2)
    started = time.monotonic()
    response = await client.chat_postMessage(channel=CHANNEL, text="eventually")
    assert response["ok"] is True
    assert len(fake.calls("chat.postMessage")) == 3
    assert time.monotonic() - started < 5


async def test_an_ok_false_error(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.update", error="edit_window_closed", status=200, times=2)
    posted = await client.chat_postMessage(channel=CHANNEL, text="card")
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="new")
        assert error_of(exc) == "edit_window_closed"
        assert exc.value.response.status_code == 200
        assert "Retry-After" not in exc.value.response.headers
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="new")


async def test_server_errors(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.fail_next("*", error="internal_error", status=500)
    fake.fail_next("auth.test", status=503, body="<html>upstream unavailable</html>")
    with pytest.raises(SlackApiError) as exc:
        await client.auth_test()
    assert exc.value.response.status_code == 500
    assert error_of(exc) == "internal_error"
    with pytest.raises(SlackApiError) as exc:
        await client.auth_test()
    assert exc.value.response.status_code == 503
    assert (await client.auth_test())["ok"] is True


async def test_a_slow_answer(fake: FakeSlack) -> None:
    fake.slow_next("auth.test", 2.0)
    client = fake.client(timeout=1)
    with pytest.raises(TimeoutError):
        await client.auth_test()
    assert (await client.auth_test())["ok"] is True


async def test_calls_are_recorded_in_order(client: AsyncWebClient, fake: FakeSlack) -> None:
    await client.auth_test()
    posted = await client.chat_postMessage(channel=CHANNEL, text="card")
    await client.conversations_replies(channel=CHANNEL, ts=posted["ts"])
    assert [c.method for c in fake.calls()] == [
        "auth.test",
        "chat.postMessage",
        "conversations.replies",
    ]
    replies = fake.calls("conversations.replies")[0]
    assert replies.args == {"channel": CHANNEL, "ts": posted["ts"]}

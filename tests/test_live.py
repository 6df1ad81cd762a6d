"""router/live.py: in-process "this conversation changed" signals."""

from __future__ import annotations

import asyncio

from router.live import ConversationFeed


async def test_notify_wakes_a_waiting_listener() -> None:
    feed = ConversationFeed()
    with feed.listen("webchat:a") as changed:
        waiter = asyncio.create_task(changed.wait())
        await asyncio.sleep(0)
        assert not waiter.done()
        feed.notify("webchat:a")
        async with asyncio.timeout(10):
            assert await waiter is True


async def test_notify_reaches_only_that_conversation() -> None:
    feed = ConversationFeed()
    with feed.listen("webchat:a") as a, feed.listen("webchat:b") as b:
        feed.notify("webchat:a")
        assert a.is_set()
        assert not b.is_set()


async def test_every_listener_of_a_conversation_is_notified() -> None:
    feed = ConversationFeed()
    with feed.listen("webchat:a") as first, feed.listen("webchat:a") as second:
        assert first is not second
        feed.notify("webchat:a")
        assert first.is_set()
        assert second.is_set()


async def test_a_listener_that_left_no_longer_counts() -> None:
    feed = ConversationFeed()
    with feed.listen("webchat:a") as staying:
        with feed.listen("webchat:a") as leaving:
            pass
        feed.notify("webchat:a")
        assert staying.is_set()
        assert not leaving.is_set()


async def test_notify_without_listeners_is_harmless_and_leaves_nothing_behind() -> None:
    feed = ConversationFeed()
    feed.notify("webchat:nobody")
    assert dict(feed._listeners) == {}
    with feed.listen("webchat:a"), feed.listen("webchat:a"):
        assert set(feed._listeners) == {"webchat:a"}
    assert dict(feed._listeners) == {}


async def test_the_listener_is_removed_when_the_body_raises() -> None:
    feed = ConversationFeed()
    try:
        with feed.listen("webchat:a"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert dict(feed._listeners) == {}


async def test_a_cleared_event_is_set_again_by_the_next_notify() -> None:
    feed = ConversationFeed()
    with feed.listen("webchat:a") as changed:
        feed.notify("webchat:a")
        changed.clear()
        assert not changed.is_set()
        feed.notify("webchat:a")
        assert changed.is_set()

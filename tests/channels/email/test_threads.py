"""channels/email/threads.py: conversations by Message-ID, plus-token, or a new root."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.email import threads
from router.store.db import Database

NOW = datetime(2026, 2, 12, 18, 0, tzinfo=UTC)
ALICE = "alice@example.com"


async def key(db: Database, address: str = ALICE, **kw: object) -> str:
    args: dict[str, object] = {
        "message_id": "<new@x>",
        "in_reply_to": [],
        "references": [],
        "token": None,
    }
    args.update(kw)
    return await threads.conversation_for(db, address, **args)  # type: ignore[arg-type]


async def test_new_conversation_is_rooted_at_the_first_reference(db: Database) -> None:
    assert await key(db) == f"email:{threads.scope(ALICE)}:new@x"
    assert await key(db, references=["<root@x>", "<mid@x>"], in_reply_to=["<mid@x>"]) == (
        f"email:{threads.scope(ALICE)}:root@x"
    )
    assert await key(db, in_reply_to=["<parent@x>"]) == f"email:{threads.scope(ALICE)}:parent@x"
    long_root = "<" + "a" * 400 + "@x>"
    assert len(await key(db, message_id=long_root)) < 100


async def test_known_reference_wins_in_rfc_order(db: Database) -> None:
    await threads.remember(db, ALICE, ["<ours.1@shop>"], "email:conv-1", NOW)
    await threads.remember(db, ALICE, ["<ours.2@shop>"], "email:conv-2", NOW)
    found = await key(
        db, in_reply_to=["<ours.2@shop>"], references=["<ours.1@shop>", "<ours.2@shop>"]
    )
    assert found == "email:conv-2"
    # No In-Reply-To: the newest reference we know.
    assert await key(db, references=["<ours.1@shop>", "<unknown@x>"]) == "email:conv-1"


async def test_another_address_cannot_join_the_thread(db: Database) -> None:
    await threads.remember(db, ALICE, ["<ours.1@shop>"], "email:conv-1", NOW)
    stranger = await key(db, "mallory@evil.example", in_reply_to=["<ours.1@shop>"])
    assert stranger != "email:conv-1"
    assert stranger == f"email:{threads.scope('mallory@evil.example')}:ours.1@shop"
    assert stranger != await key(db, "bob@example.com", in_reply_to=["<ours.1@shop>"])
    assert await key(db, "Alice@Example.com", in_reply_to=["<ours.1@shop>"]) == "email:conv-1"


async def test_plus_token(db: Database) -> None:
    token = threads.plus_token("email:conv-9")
    await threads.remember(db, ALICE, [f"+{token}"], "email:conv-9", NOW)
    assert await key(db, token=token) == "email:conv-9"
    assert await key(db, token=token.upper()) == "email:conv-9"
    assert await key(db, token="not a token!") == f"email:{threads.scope(ALICE)}:new@x"


def test_plus_tag() -> None:
    own = "support@shop.example"
    assert threads.plus_tag(["x@y.example", "Support+AbC_1@Shop.example"], own) == "abc_1"
    assert threads.plus_tag(["support@shop.example"], own) is None
    assert threads.plus_tag(["other+abc@shop.example"], own) is None
    assert threads.plus_tag(["support+abc@other.example"], own) is None
    assert threads.plus_tag(["support+abc@shop.example"], None) is None

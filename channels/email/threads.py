"""Which conversation a mail belongs to (RFC 5322 §3.6.4; providers.md §6).

Lookup: In-Reply-To, then References newest first, against the Message-IDs we stored (ours and
the customer's); then a plus-address token (`support+<token>@`) if we handed one out; else a
new conversation rooted at the thread's first Message-ID.

Every stored reference and every new key is scoped to the reply address (a short hash of it):
a stranger who learns or guesses a Message-ID of someone else's thread cannot join that
conversation — and inherit its context (order number, e-mail given earlier) with the answer
going to the stranger. A colleague answering from another address starts a conversation of
their own, which is the safe outcome.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

from channels.email.headers import normalize_address
from router.store import channel_state
from router.store.db import Database

NAME = "email"
MAX_KEY_ID_CHARS = 300
PLUS_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def scope(address: str) -> str:
    return hashlib.sha256(address.casefold().encode("utf-8")).hexdigest()[:16]


def scoped(address: str, refs: Iterable[str]) -> list[str]:
    prefix = scope(address)
    return [f"{prefix} {ref}" for ref in refs if ref]


def new_key(address: str, root_id: str) -> str:
    root = root_id.strip("<>")
    if len(root) > MAX_KEY_ID_CHARS:
        root = "sha256-" + hashlib.sha256(root.encode("utf-8", "replace")).hexdigest()
    return f"{NAME}:{scope(address)}:{root}"


def plus_token(conversation_key: str) -> str:
    """The tag of the Reply-To address we hand out for a conversation (when configured)."""
    return hashlib.sha256(conversation_key.encode("utf-8")).hexdigest()[:20]


def plus_tag(recipients: Iterable[str], own_address: str | None) -> str | None:
    """`tag` of `local+tag@domain` among the recipients, for our own local part and domain."""
    own = normalize_address(own_address)
    if own is None:
        return None
    local, _, domain = own.partition("@")
    for recipient in recipients:
        address = normalize_address(recipient)
        if address is None:
            continue
        r_local, _, r_domain = address.partition("@")
        base, plus, tag = r_local.partition("+")
        if plus and base == local and r_domain == domain and PLUS_TOKEN.match(tag):
            return tag
    return None


async def conversation_for(
    db: Database,
    address: str,
    *,
    message_id: str,
    in_reply_to: list[str],
    references: list[str],
    token: str | None,
) -> str:
    candidates = [*in_reply_to, *reversed(references)]
    if token and PLUS_TOKEN.match(token):
        candidates.append(f"+{token.lower()}")
    found = await channel_state.find_thread(db, NAME, scoped(address, candidates))
    if found is not None:
        return found
    root = references[0] if references else (in_reply_to[0] if in_reply_to else message_id)
    return new_key(address, root)


async def remember(
    db: Database, address: str, refs: Iterable[str], conversation_key: str, now: datetime
) -> None:
    await channel_state.link_thread(db, NAME, scoped(address, refs), conversation_key, now)

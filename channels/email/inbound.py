"""One normalised Mail → the InboundMessage to publish, or the reason it gets no answer.

Written once for every provider: loop guard, the customer's new words (provider-stripped
text when present, else mail-parser-reply), the subject of a fresh mail, the byte cut, identity
(sender.email only when the provider vouches for From AND the answer goes back to that same
address), the conversation, and the route the reply needs. An UNSUBSCRIBE / SUBSCRIBE mail
(keywords.py) is not a question: it becomes a Subscription for channel.py to store.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from channels.email import keywords, threads
from channels.email.headers import same_mailbox
from channels.email.loops import never_answer
from channels.email.model import Mail
from channels.email.quotes import clean, latest_reply
from channels.text import clip
from channels.webhook import Rejected, first_error
from router.events import InboundMessage, Party
from router.store.db import Database

NAME = threads.NAME
MAX_PROVIDER_ID = 256
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class Ignored:
    """Acknowledged, not answered; `reason` is the metrics label."""

    reason: str


@dataclass(frozen=True)
class Subscription:
    """The sender asks to stop (or to get again) our mail: a keyword, not a question.
    `verified`: the provider vouches that the sender owns `address` (see identity.py)."""

    address: str
    opt_out: bool
    verified: bool
    event_id: str  # as the message's would be: a provider's retry is recognised

    @property
    def allowed(self) -> bool:
        """Stopping is honoured from anyone; starting again only from a vouched-for sender."""
        return self.opt_out or self.verified

    @property
    def reason(self) -> str:
        """The metrics label (wismo_inbound_ignored_total)."""
        if not self.allowed:
            return "subscribe_unverified"
        keyword = keywords.Keyword.UNSUBSCRIBE if self.opt_out else keywords.Keyword.SUBSCRIBE
        return keyword.value


@dataclass(frozen=True)
class Accepted:
    message: InboundMessage
    reply_address: str
    message_id: str


def fallback_message_id(mail: Mail) -> str:
    """For the rare mail without a Message-ID: the provider's id, else a digest of the content
    (a provider retry carries the same content, so it is still deduplicated)."""
    if mail.provider_id and re.fullmatch(r"[A-Za-z0-9._-]{1,200}", mail.provider_id):
        return f"<{mail.provider_id}@{mail.provider}.invalid>"
    digest = hashlib.sha256()
    for part in (
        mail.headers.raw("From"),
        mail.headers.raw("To"),
        mail.headers.raw("Subject"),
        mail.headers.raw("Date"),
        mail.text,
    ):
        digest.update((part or "").encode("utf-8", "replace") + b"\x00")
    return f"<{digest.hexdigest()[:40]}@{mail.provider}.invalid>"


def _provider_message_id(message_id: str) -> str:
    if len(message_id) <= MAX_PROVIDER_ID:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()


def _language(mail: Mail) -> str | None:
    value = (mail.headers.get("Content-Language") or "").split(",", 1)[0].strip()
    return value.lower() if LANGUAGE.match(value) else None


def customer_text(mail: Mail, languages: tuple[str, ...], max_bytes: int) -> str:
    provided = mail.stripped_text if mail.stripped_text and mail.stripped_text.strip() else None
    body = latest_reply(provided or mail.text, languages)
    subject = " ".join(mail.subject.split())
    is_reply = bool(mail.in_reply_to or mail.references)
    # A fresh mail's subject is the customer's own words ("Order #1001 not arrived"); a reply's
    # subject is ours ("Re: Your order #1001") and would make "thanks!" read like a question.
    if subject and not is_reply and subject.casefold() not in body.casefold():
        body = f"{subject}\n\n{body}" if body else subject
    return clip(clean(body), max_bytes).rstrip()


async def to_inbound(
    mail: Mail,
    *,
    db: Database,
    now: datetime,
    own_address: str | None,
    languages: tuple[str, ...],
    max_bytes: int,
) -> Accepted | Ignored | Subscription:
    sender = mail.sender
    if sender is None:
        raise Rejected(400, "bad_mail", "The mail has no valid From address.")
    kind = never_answer(mail, frozenset({own_address} if own_address else ()))
    from_address = sender[1]
    reply_address = mail.reply_address or from_address
    if same_mailbox(reply_address, own_address):  # never answer ourselves (a loop)
        reply_address = from_address
    verified = mail.verified_from and reply_address == from_address
    message_id = mail.message_id or fallback_message_id(mail)
    event_id = InboundMessage.make_id(NAME, _provider_message_id(message_id))
    provided = mail.stripped_text if mail.stripped_text and mail.stripped_text.strip() else None
    keyword = keywords.match(mail.subject, provided or mail.text)
    # A person's mail, or one their client marks as automatic (a mailto: unsubscribe may be):
    # stopping is honoured from either; starting again only from a person.
    if keyword is keywords.Keyword.UNSUBSCRIBE and kind in (None, "auto_reply"):
        return Subscription(from_address, True, verified, event_id)
    if keyword is keywords.Keyword.SUBSCRIBE and kind is None:
        return Subscription(from_address, False, verified, event_id)
    if kind is not None:
        return Ignored(kind)
    text = customer_text(mail, languages, max_bytes)
    if not text:
        return Ignored("empty")
    references = mail.references or mail.in_reply_to
    token = mail.mailbox_hash or threads.plus_tag(mail.recipients, own_address)
    key = await threads.conversation_for(
        db,
        reply_address,
        message_id=message_id,
        in_reply_to=mail.in_reply_to,
        references=mail.references,
        token=token,
    )
    route = {
        "to": reply_address,
        "subject": mail.subject[:998],
        "message_id": message_id,
        "references": " ".join(references),
        "provider": mail.provider,
    }
    if mail.attachments:
        route["attachments"] = str(mail.attachments)
    provider_id = _provider_message_id(message_id)
    try:
        message = _message(mail, provider_id, key, sender, text, verified, route, now)
    except ValidationError as exc:  # belt and braces: every field was cleaned above
        raise Rejected(400, "bad_mail", first_error(exc)) from None
    return Accepted(message, reply_address, message_id)


def _message(
    mail: Mail,
    provider_id: str,
    key: str,
    sender: tuple[str, str],
    text: str,
    verified: bool,
    route: dict[str, str],
    now: datetime,
) -> InboundMessage:
    name, from_address = sender
    return InboundMessage(
        event_id=InboundMessage.make_id(NAME, provider_id),
        trace_id=uuid.uuid4().hex,
        occurred_at=now,
        channel=NAME,
        provider=mail.provider,
        provider_message_id=provider_id,
        conversation_key=key,
        sender=Party(
            id=from_address,
            name=name[:200] or None,
            email=from_address if verified else None,
        ),
        text=text,
        language=_language(mail),
        received_at=now,
        route=route,
    )

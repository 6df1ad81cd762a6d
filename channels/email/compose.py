"""The reply as an RFC 5322 message (email.message.EmailMessage), whatever the transport.

Threading (RFC 5322 §3.6.4): In-Reply-To is the customer's Message-ID; References their chain
plus that id. Our Message-ID is derived from the OutboundMessage's event id, so a retried send
carries the same id (receivers that dedupe by Message-ID show it once, and the customer's reply
threads either way). A bot's reply says Auto-Submitted: auto-replied (RFC 3834), a proactive
notice auto-generated, so well-behaved auto-responders do not answer it; a human agent's reply
says neither. A proactive notice (no inbound message: `inbound_id is None`) also carries the
unsubscribe links it is given (unsubscribe.py): List-Unsubscribe, List-Unsubscribe-Post and a
footer line in each body.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage

from channels.email import threads
from channels.email.headers import MAX_REFERENCES, message_ids, normalize_address
from channels.email.unsubscribe import ONE_CLICK, Links, UriListHeader, html_footer, text_footer
from router.dispatch import SendFailed
from router.events import OutboundMessage

REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|rif|r|réf|ref|res|odp|ynt)\s*(?:\[\d+\])?\s*[:\uff1a]\s*)+",
    re.IGNORECASE,
)
MAX_SUBJECT_CHARS = 200


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", UriListHeader)
    return registry


# email.policy.default, except that List-Unsubscribe is never folded inside a URI.
POLICY = email.policy.default.clone(header_factory=_registry())


@dataclass(frozen=True)
class Composed:
    message: EmailMessage
    to: str
    message_id: str
    plus_token: str | None


def one_line(value: str) -> str:
    return " ".join(value.split())


def reply_subject(original: str | None, rendered: str | None, fallback: str) -> str:
    """ "Re: <original>" (never "Re: Re:"); the rendered subject when there was none."""
    original = one_line(original or "")
    if original:
        return "Re: " + (REPLY_PREFIX.sub("", original) or original)[:MAX_SUBJECT_CHARS]
    return one_line(rendered or "")[:MAX_SUBJECT_CHARS] or fallback


def our_message_id(event_id: str, from_address: str) -> str:
    digest = hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{from_address.rsplit('@', 1)[1]}>"


def _address(value: str, display_name: str = "") -> Address:
    local, _, domain = value.rpartition("@")
    return Address(display_name=one_line(display_name), username=local, domain=domain)


def proactive(message: OutboundMessage) -> bool:
    """Sent on our own initiative (a notice), not in answer to something the customer wrote."""
    return message.inbound_id is None


def recipient(message: OutboundMessage) -> str:
    """The address the mail goes to, lower-cased; SendFailed when there is none."""
    to = normalize_address(
        message.route.get("to") or message.recipient.email or message.recipient.id
    )
    if to is None:
        raise SendFailed("email: the reply has no valid recipient address")
    return to


def compose(
    message: OutboundMessage,
    *,
    from_address: str,
    from_name: str,
    now: datetime,
    plus_reply_to: bool = False,
    unsubscribe: Links | None = None,
) -> Composed:
    """`unsubscribe` is used only for a proactive message: an answer never carries it."""
    to = recipient(message)
    parent = message_ids(message.route.get("message_id"))
    chain = message_ids(message.route.get("references"))
    references = list(dict.fromkeys([*chain, *parent]))
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    message_id = our_message_id(message.event_id, from_address)

    mail = EmailMessage(policy=POLICY)
    try:
        mail["From"] = _address(from_address, from_name)
        mail["To"] = _address(to)
    except (ValueError, IndexError) as exc:
        raise SendFailed(f"email: an address cannot be written: {type(exc).__name__}") from None
    mail["Subject"] = reply_subject(message.route.get("subject"), message.subject, from_name)
    mail["Date"] = email.utils.format_datetime(now)
    mail["Message-ID"] = message_id
    if parent:
        mail["In-Reply-To"] = parent[0]
    if references:
        mail["References"] = " ".join(references)
    token = None
    if plus_reply_to:
        token = threads.plus_token(message.conversation_key)
        local, _, domain = from_address.partition("@")
        mail["Reply-To"] = _address(f"{local.split('+', 1)[0]}+{token}@{domain}", from_name)
    if message.author == "bot":
        mail["Auto-Submitted"] = "auto-generated" if proactive(message) else "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office back to us
    text, html = message.text, message.html
    if unsubscribe is not None and proactive(message):
        mail["List-Unsubscribe"] = unsubscribe.header()
        mail["List-Unsubscribe-Post"] = ONE_CLICK
        text = text_footer(text, unsubscribe.url)
        html = html_footer(html, unsubscribe.url) if html else html
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    return Composed(mail, to, message_id, token)

"""The one internal shape of an inbound mail, whichever provider delivered it.

Providers that hand over fields (SendGrid, Mailgun, Postmark) and those that hand over raw MIME
are normalised into `Mail`; everything after that (loops, identity, quotes, threading) is
written once against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.email.headers import Headers, addresses, message_ids


@dataclass(frozen=True)
class Mail:
    provider: str
    headers: Headers
    text: str = ""  # the plain body (or HTML turned into text), quotes still in
    html: str = ""
    stripped_text: str | None = None  # the provider's own quote-stripped reply, when it has one
    attachments: int = 0
    envelope_sender: str | None = None  # SMTP MAIL FROM; "" is the null sender of bounces
    provider_id: str | None = None  # the provider's own id, when the mail has no Message-ID
    mailbox_hash: str | None = None  # the plus-address tag the provider extracted
    recipients: tuple[str, ...] = ()  # envelope/To addresses (for a plus-address tag)
    content_type: str = "text/plain"  # of the whole message: multipart/report is a DSN
    verified_from: bool = False  # the provider vouches for the From address (see identity.py)

    @property
    def sender(self) -> tuple[str, str] | None:
        """(display name, address) of From."""
        found = addresses(self.headers.raw("From"))
        return found[0] if found else None

    @property
    def reply_address(self) -> str | None:
        """Where an answer goes: Reply-To, else From."""
        reply_to = addresses(self.headers.raw("Reply-To"))
        if reply_to:
            return reply_to[0][1]
        sender = self.sender
        return sender[1] if sender else None

    @property
    def subject(self) -> str:
        return self.headers.get("Subject") or ""

    @property
    def message_id(self) -> str | None:
        found = message_ids(self.headers.raw("Message-ID"))
        return found[0] if found else None

    @property
    def in_reply_to(self) -> list[str]:
        return message_ids(self.headers.raw("In-Reply-To"))

    @property
    def references(self) -> list[str]:
        return message_ids(self.headers.raw("References"))

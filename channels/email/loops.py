"""Mail that must never be answered: auto-replies, bounces, lists, and our own mail.

Answering an out-of-office with an answer that triggers the next out-of-office is a mail loop;
answering a bounce or a list post mails strangers. RFC 3834 (Auto-Submitted), RFC 3464
(multipart/report DSNs), RFC 2369/2919 (List-*), plus the de-facto Precedence and Microsoft
X-Auto-Response-Suppress / X-Autoreply / X-Autorespond headers. Each rule says why, so the
refusal is counted by kind.
"""

from __future__ import annotations

from typing import Literal

from channels.email.headers import same_mailbox
from channels.email.model import Mail

Kind = Literal["auto_reply", "bounce", "bulk", "noreply", "own_address"]

BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
AUTO_PRECEDENCE = frozenset({"auto_reply", "auto-reply"})
SUPPRESS_VALUES = frozenset({"all", "oof"})
NULL = frozenset({"<>", ""})
BOUNCE_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
NOREPLY_LOCAL_PARTS = frozenset(
    {"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply"}
)


def _local_part(address: str | None) -> str:
    if not address or "@" not in address:
        return ""
    return address.rsplit("@", 1)[0].split("+", 1)[0].lower()


def _token(value: str | None) -> str:
    """The header's value without parameters or comments: `auto-replied; x=y` → auto-replied."""
    return (value or "").split(";", 1)[0].split("(", 1)[0].strip().lower()


def never_answer(mail: Mail, own_addresses: frozenset[str]) -> Kind | None:
    """Why this mail gets no answer, or None for a mail a person wrote to us."""
    headers = mail.headers
    sender = mail.sender
    from_address = sender[1] if sender else None
    if mail.content_type == "multipart/report":
        return "bounce"
    return_path = headers.get("Return-Path")
    if mail.envelope_sender == "" or (return_path is not None and return_path.strip() in NULL):
        return "bounce"  # the null reverse-path: only delivery reports use it (RFC 5321 §4.5.5)
    if {_local_part(from_address), _local_part(mail.envelope_sender)} & BOUNCE_LOCAL_PARTS:
        return "bounce"
    auto_submitted = _token(headers.get("Auto-Submitted"))
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    precedence = _token(headers.get("Precedence"))
    if precedence in AUTO_PRECEDENCE:
        return "auto_reply"
    if headers.has("X-Autoreply") or headers.has("X-Autorespond"):
        return "auto_reply"
    suppress = {
        part.strip().lower() for part in (headers.get("X-Auto-Response-Suppress") or "").split(",")
    }
    if suppress & SUPPRESS_VALUES:
        return "auto_reply"
    if precedence in BULK_PRECEDENCE or headers.has("List-Id") or headers.has("List-Unsubscribe"):
        return "bulk"
    if _local_part(from_address) in NOREPLY_LOCAL_PARTS:
        return "noreply"
    if any(same_mailbox(from_address, own) for own in own_addresses):
        return "own_address"
    return None

"""Raw MIME posted by our own MTA pipe or S3 fetcher (Content-Type: message/rfc822) → Mail.

Identity comes only from the topmost Authentication-Results header of a configured trusted
authserv-id (identity.py); the envelope sender from the topmost Return-Path.
"""

from __future__ import annotations

from channels.email.headers import addresses, domain_of
from channels.email.identity import authentication_results_vouch
from channels.email.mime import read_mime
from channels.email.model import Mail

PROVIDER = "mime"
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


def parse_raw(raw: bytes, trusted_authserv_ids: frozenset[str]) -> Mail:
    body = read_mime(raw)
    headers = body.headers
    sender = addresses(headers.raw("From"))
    return_path = headers.get("Return-Path")
    envelope = return_path.strip().strip("<>").strip() if return_path is not None else None
    recipients = tuple(
        address
        for name in RECIPIENT_HEADERS
        for value in headers.raw_all(name)
        for _, address in addresses(value)
    )
    return Mail(
        provider=PROVIDER,
        headers=headers,
        text=body.text,
        html=body.html,
        attachments=body.attachments,
        envelope_sender=envelope,
        recipients=recipients,
        content_type=body.content_type,
        verified_from=authentication_results_vouch(
            headers, trusted_authserv_ids, domain_of(sender[0][1]) if sender else None
        ),
    )

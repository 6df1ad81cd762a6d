"""Does the receiving provider vouch for the From address? Only then is it proof of identity.

The resolver treats sender.email as proof that the writer owns the address, so this is
deliberately strict; when in doubt the answer is no and the customer proves ownership with
the order number plus the order's e-mail in the text. Domains are compared exactly (no
organisational-domain relaxation: that needs the public suffix list). Only the topmost
provider-added header is read: a sender can put any header in the mail, but the receiving
side adds its verdict above everything the sender wrote.

- SendGrid Parse: the `SPF` field is "pass" AND the `dkim` field lists "@<From domain> : pass".
- Mailgun: X-Mailgun-Spf "Pass" AND X-Mailgun-Dkim-Check-Result "Pass" AND the envelope
  sender's domain is the From domain (SPF speaks for the envelope, not for From).
- Postmark: Received-SPF begins with "Pass" AND its envelope-from domain is the From domain.
- Raw MIME: the topmost Authentication-Results (RFC 8601) comes from a configured trusted
  authserv-id and has dmarc=pass with header.from = the From domain, or dkim=pass with
  header.d (or header.i) in the From domain, or spf=pass with smtp.mailfrom in the From domain.
"""

from __future__ import annotations

import re

from channels.email.headers import Headers, decode_value, domain_of

COMMENT = re.compile(r"\([^()]*\)")
DKIM_RESULT = re.compile(r"@([^\s:,{}]+)\s*:\s*([a-z]+)", re.IGNORECASE)
ENVELOPE_FROM = re.compile(r"envelope-from=\"?<?([^\s\";>]+)", re.IGNORECASE)


def sendgrid_vouches(spf: str | None, dkim: str | None, from_domain: str | None) -> bool:
    if not from_domain or (spf or "").strip().lower() != "pass":
        return False
    results = {d.lower(): r.lower() for d, r in DKIM_RESULT.findall(dkim or "")}
    return results.get(from_domain) == "pass"


def mailgun_vouches(headers: Headers, envelope_sender: str | None, from_domain: str | None) -> bool:
    if not from_domain or domain_of(envelope_sender) != from_domain:
        return False
    spf = (headers.get("X-Mailgun-Spf") or "").strip().lower()
    dkim = (headers.get("X-Mailgun-Dkim-Check-Result") or "").strip().lower()
    return spf == "pass" and dkim == "pass"


def postmark_vouches(headers: Headers, from_domain: str | None) -> bool:
    received_spf = headers.get("Received-SPF") or ""
    if not from_domain or not received_spf.lower().startswith("pass"):
        return False
    envelope = ENVELOPE_FROM.search(received_spf)
    return envelope is not None and domain_of(envelope.group(1)) == from_domain


def _results(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """(authserv-id, [(method, result, {property: value})]) of one Authentication-Results."""
    value = COMMENT.sub(" ", decode_value(value))
    first, *statements = value.split(";")
    authserv_id = (first.split() or [""])[0].lower()
    results = []
    for statement in statements:
        words = statement.split()
        if not words or "=" not in words[0]:
            continue
        method, _, result = words[0].partition("=")
        props = {}
        for word in words[1:]:
            key, eq, prop = word.partition("=")
            if eq:
                props[key.lower()] = prop.strip("\"'").lower()
        results.append((method.lower(), result.lower(), props))
    return authserv_id, results


def authentication_results_vouch(
    headers: Headers, trusted_ids: frozenset[str], from_domain: str | None
) -> bool:
    raw = headers.raw("Authentication-Results")
    if not from_domain or raw is None or not trusted_ids:
        return False
    authserv_id, results = _results(raw)
    if authserv_id not in trusted_ids:
        return False
    for method, result, props in results:
        if result != "pass":
            continue
        if method == "dmarc" and props.get("header.from") == from_domain:
            return True
        if method == "dkim" and (
            props.get("header.d") == from_domain or domain_of(props.get("header.i")) == from_domain
        ):
            return True
        if method == "spf" and domain_of(props.get("smtp.mailfrom")) == from_domain:
            return True
    return False

"""Customer text as the bus takes it, the same on every channel.

Control characters (NUL above all: PostgreSQL text refuses it) and lone surrogates (JSON can
carry "\\ud800", UTF-8 cannot) are removed; a message longer than the service's limit is cut
on a character boundary rather than refused, so a long e-mail still gets an answer.
"""

from __future__ import annotations

import re

# C0 controls except tab, newline, carriage return; DEL; UTF-16 surrogates.
UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str) -> str:
    return UNWANTED.sub("", text).strip()


def clip(text: str, max_bytes: int) -> str:
    """At most `max_bytes` of UTF-8, cut on a character boundary."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")


def message_text(text: str | None, max_bytes: int) -> str:
    """Cleaned and clipped; "" when nothing is left (the caller decides what that means)."""
    return clip(clean(text or ""), max_bytes).strip()

"""Bytes → text with the charset the mail declared, never raising.

Order: the declared charset (ISO-8859-1 read as its superset Windows-1252, as browsers do,
since mailers often mislabel), then UTF-8, then the declared charset with replacement
characters. An unknown or missing charset falls back to UTF-8 with replacement.
"""

from __future__ import annotations

import codecs

SUPERSETS = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}


def known(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = SUPERSETS.get(name, name)
    try:
        codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    return name


def decode_bytes(data: bytes, charset: str | None) -> str:
    declared = known(charset)
    for candidate in (declared, "utf-8"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return data.decode(declared or "utf-8", "replace")
    except LookupError:  # pragma: no cover - `known` already looked it up
        return data.decode("utf-8", "replace")

"""Mail headers as the providers hand them over: an ordered list of (name, raw value) pairs.

Every provider gives headers differently (a raw block, a JSON list of pairs, MIME), so they are
all reduced to pairs and decoded here, lazily and without ever raising: a mail with a broken
encoded word or raw 8-bit bytes in a header is still read (badly decoded bytes become U+FFFD).
"""

from __future__ import annotations

import email.header
import email.utils
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_REFERENCES = 40  # a long thread keeps its root and its latest ids
ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
MESSAGE_ID = re.compile(r"<([^<>\s\x00-\x1f\x7f]{1,900})>")
BARE_ID = re.compile(r"[^<>\s\x00-\x1f\x7f]{1,900}")


def unsurrogate(value: str) -> str:
    """Raw 8-bit bytes (RFC 6532 UTF-8 headers, or a mislabelled charset) arrive from the
    stdlib parser as surrogate escapes: read them as UTF-8, replacing what is not."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def decode_value(raw: str) -> str:
    """RFC 2047 encoded words decoded; an unknown charset or a broken word leaves the raw text."""
    raw = unsurrogate(raw)
    if "=?" not in raw:
        return " ".join(raw.split())
    try:
        decoded = str(email.header.make_header(email.header.decode_header(raw)))
    except Exception:  # the stdlib raises several types for malformed words
        decoded = raw
    return " ".join(unsurrogate(decoded).split())


def normalize_address(value: str | None) -> str | None:
    """A plain addr-spec, lower-cased; None when it does not look like one."""
    if not value:
        return None
    address = value.strip().strip("<>").strip().lower()
    return address if ADDRESS.match(address) and len(address) <= 320 else None


def addresses(raw: str | None) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header; unparseable entries are dropped."""
    if not raw:
        return []
    try:
        pairs = email.utils.getaddresses([unsurrogate(raw)])
    except Exception:
        return []
    found = []
    for name, address in pairs:
        normalized = normalize_address(address)
        if normalized:
            found.append((decode_value(name).strip().strip('"').strip(), normalized))
    return found


def message_ids(raw: str | None) -> list[str]:
    """The Message-IDs in a Message-ID / In-Reply-To / References value, as `<id>`, in order."""
    if not raw:
        return []
    raw = unsurrogate(raw)
    ids = [f"<{found}>" for found in MESSAGE_ID.findall(raw)]
    if not ids:  # some clients omit the angle brackets
        bare = raw.strip().strip("<>")
        if "@" in bare and BARE_ID.fullmatch(bare):
            ids = [f"<{bare}>"]
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    return ids


def same_mailbox(address: str | None, other: str | None) -> bool:
    """The same mailbox, ignoring case and a plus-address tag (`support+x@` is `support@`)."""
    a, b = normalize_address(address), normalize_address(other)
    if a is None or b is None:
        return False
    a_local, _, a_domain = a.rpartition("@")
    b_local, _, b_domain = b.rpartition("@")
    return a_domain == b_domain and a_local.split("+", 1)[0] == b_local.split("+", 1)[0]


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").lower() or None


@dataclass(frozen=True)
class Headers:
    """The headers of one mail, in order (topmost first), values still raw."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        return cls(tuple((str(name).strip(), str(value)) for name, value in pairs))

    def raw_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.pairs if key.lower() == wanted]

    def raw(self, name: str) -> str | None:
        """The first (topmost) value: the one the receiving side added last."""
        found = self.raw_all(name)
        return found[0] if found else None

    def get(self, name: str) -> str | None:
        raw = self.raw(name)
        return None if raw is None else decode_value(raw)

    def has(self, name: str) -> bool:
        return self.raw(name) is not None

    def names(self) -> Sequence[str]:
        return [key for key, _ in self.pairs]

"""Fitting outbound text into Meta's limits (Messenger 2,000 characters, Instagram 1,000
bytes, WhatsApp 4,096 characters, button titles 20 characters) without cutting words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Measure = Callable[[str], int]


def chars(text: str) -> int:
    return len(text)


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _longest_prefix(text: str, limit: int, measure: Measure) -> int:
    """How many characters of `text` fit in `limit` (binary search: measure is monotonic)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def split_text(text: str, limit: int, measure: Measure = chars) -> list[str]:
    """Parts of at most `limit` (as `measure` counts), cut after a line when one ends in the
    second half of a part, else at the last space, else (one enormous word) anywhere."""
    parts: list[str] = []
    rest = text.strip()
    while rest and measure(rest) > limit:
        fits = max(1, _longest_prefix(rest, limit, measure))
        window = rest[: fits + 1]  # a break right after the limit still counts
        cut = window.rfind("\n")
        if cut < fits // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            head, rest = rest[:fits], rest[fits:]
        else:
            head, rest = rest[:cut], rest[cut + 1 :]
        head = head.rstrip()
        if head:
            parts.append(head)
        rest = rest.lstrip()
    if rest:
        parts.append(rest)
    return parts


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut (button and quick-reply titles)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Limit:
    """One message's size limit on a product, and how that product counts."""

    size: int
    measure: Measure = chars

    def split(self, text: str) -> list[str]:
        return split_text(text, self.size, self.measure)

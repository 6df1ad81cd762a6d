"""Content → what one kind of channel can carry. Same sentences, different envelopes.

- chat: the text, tracking links as buttons, quick replies.
- sms: plain GSM-7 text (accents a phone would send as UCS-2 are folded, so a reply costs at
  most 2 segments = 306 characters), the compact sentences, the first tracking link inline.
- email: a subject, a plain-text body and an HTML body (escaped), greeting and sign-off.
- messaging (WhatsApp, Messenger, Instagram, Telegram): ≤ 4,096 characters, links inline,
  up to three quick replies.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from router.events import Link
from router.reply.catalog import text
from router.reply.compose import Content
from router.settings import BrandSettings

Format = Literal["chat", "sms", "email", "messaging"]
FORMATS: tuple[Format, ...] = ("chat", "sms", "email", "messaging")

SMS_SEGMENTS = 2
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MESSAGING_MAX_CHARS = 4096
MAX_QUICK_REPLIES = 3

# GSM 03.38 default alphabet and its extension table (extension characters cost two).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€")
REPLACEMENTS = {
    "\u2019": "'",  # right single quotation mark
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",  # en dash
    "\u2014": "-",
    "\u2026": "...",
    "\u2022": "-",
}


@dataclass(frozen=True)
class Reply:
    text: str
    links: list[Link] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    subject: str | None = None
    html: str | None = None


def to_gsm7(value: str) -> str:
    """The closest text a phone sends in GSM-7: accents it lacks are dropped (á → a)."""
    out = []
    for char in value:
        char = REPLACEMENTS.get(char, char)
        if char in GSM7_BASIC or char in GSM7_EXTENDED or len(char) > 1:
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(c in GSM7_BASIC for c in base) else "?")
    return "".join(out)


def sms_segments(value: str) -> int:
    """How many SMS segments a text takes (GSM-7 when it can, else UCS-2)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in value):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in value)
        return 1 if units <= GSM7_SINGLE else -(-units // GSM7_MULTI)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in value)
    return 1 if units <= UCS2_SINGLE else -(-units // UCS2_MULTI)


def render(
    content: Content,
    fmt: Format,
    lang: str,
    brand: BrandSettings,
    *,
    compact: Content | None = None,
    name: str | None = None,
) -> Reply:
    """`compact`: the SMS variant of the same content (see compose)."""
    if fmt == "sms":
        return _sms(compact or content, lang)
    if fmt == "email":
        return _email(content, lang, brand, name)
    if fmt == "messaging":
        return _messaging(content)
    return Reply(
        text="\n".join(content.lines),
        links=list(content.links),
        quick_replies=list(content.quick_replies),
    )


def _sms(content: Content, lang: str) -> Reply:
    """Everything if it fits in two segments; else without the link, then without the lines
    marked optional (the expendable ones first, then latest first); a cut at a word boundary
    is the very last resort."""
    kept = list(range(len(content.lines)))

    def body(with_link: bool) -> str:
        text_ = " ".join(to_gsm7(content.lines[i]) for i in kept)
        if with_link and content.links:
            text_ += " " + to_gsm7(text(lang, "sms.track", url=content.links[0].url))
        return text_

    if sms_segments(body(True)) <= SMS_SEGMENTS:
        return Reply(text=body(True))
    for index in sorted(content.optional, key=lambda i: (i not in content.expendable, -i)):
        if sms_segments(body(False)) <= SMS_SEGMENTS:
            break
        kept.remove(index)
    final = body(False)
    if sms_segments(final) > SMS_SEGMENTS:
        final = _cut(final, GSM7_MULTI * SMS_SEGMENTS - 3) + "..."
    return Reply(text=final)


def _cut(value: str, units: int) -> str:
    """The longest prefix (at a word boundary) that costs at most `units` GSM-7 units."""
    used = 0
    for index, char in enumerate(value):
        used += 2 if char in GSM7_EXTENDED else 1
        if used > units:
            return value[:index].rsplit(" ", 1)[0]
    return value


def _messaging(content: Content) -> Reply:
    lines = list(content.lines)
    lines += [f"{link.label}: {link.url}" for link in content.links]
    body = "\n".join(lines)
    if len(body) > MESSAGING_MAX_CHARS:
        body = body[: MESSAGING_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return Reply(
        text=body,
        links=list(content.links),
        quick_replies=content.quick_replies[:MAX_QUICK_REPLIES],
    )


def _email(content: Content, lang: str, brand: BrandSettings, name: str | None) -> Reply:
    greeting = (
        text(lang, "email.greeting_name", name=name) if name else text(lang, "email.greeting")
    )
    sign_off = text(lang, "email.sign_off", sign_off=brand.sign_off)
    links = [f"{link.label}: {link.url}" for link in content.links]
    body = "\n\n".join([greeting, "\n".join(content.lines), *links, sign_off])
    paragraphs = [f"<p>{html.escape(greeting)}</p>"]
    paragraphs += [f"<p>{html.escape(line)}</p>" for line in content.lines]
    paragraphs += [
        f'<p><a href="{html.escape(link.url, quote=True)}">{html.escape(link.label)}</a></p>'
        for link in content.links
    ]
    paragraphs.append("<p>" + "<br>".join(html.escape(p) for p in sign_off.split("\n")) + "</p>")
    subject = content.subject or text(lang, "email.subject.generic", brand=brand.name)
    return Reply(
        text=body,
        links=list(content.links),
        subject=subject,
        html="<!doctype html><html><body>" + "".join(paragraphs) + "</body></html>",
    )

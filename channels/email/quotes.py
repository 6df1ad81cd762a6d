"""Only the customer's new words: quoted replies and signatures cut with mail-parser-reply.

mail-parser-reply (maintained, multi-language) finds the "On … wrote:" / "El … escribió:" lines
and Outlook's From:/Sent: blocks, and signatures ("Best regards", "-- ", "Sent from my …").
Hyphen lists are kept (the library would otherwise take "- item" for a signature). What it
leaves is cleaned of a trailing block of "> " quotes; if it leaves nothing, the whole text is
kept: an answer to the full mail beats no answer.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailMessage as ReplyParser  # type: ignore[import-untyped]

LANGUAGES = ("en", "es", "fr", "de", "it", "nl", "pt")
MAX_PARSED_CHARS = 64 * 1024  # the new words are at the top; a long quote tail is not needed
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def clean(text: str) -> str:
    """Line endings normalised, control characters (NUL breaks PostgreSQL) removed."""
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _drop_trailing_quotes(text: str) -> str:
    lines = text.split("\n")
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)


def latest_reply(text: str, languages: tuple[str, ...] = LANGUAGES) -> str:
    """The newest part of a mail body, without quotes and signature."""
    text = clean(text[:MAX_PARSED_CHARS])
    if not text:
        return ""
    try:
        parsed = ReplyParser(text=text, languages=list(languages), keep_hyphen_lists=True).read()
        body = str(parsed.replies[0].body) if parsed.replies else ""
    except Exception:  # a third-party regex engine: never let it fail a webhook
        body = ""
    body = clean(_drop_trailing_quotes(body))
    return body or clean(_drop_trailing_quotes(text)) or text

"""HTML-only mails turned into readable text for the classifier (stdlib html.parser).

Scripts, styles and the head are dropped; block elements end a line; entities are unescaped;
quoted parts (<blockquote>) are kept but marked with "> " so the quote stripper and the
trailing-quote cut treat them like a plain-text reply's quotes.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})
# Blocks that are paragraphs (a blank line after them) and blocks that only start a new line.
PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre", "hr"}
)
LINES = frozenset(
    {
        "address", "article", "aside", "dd", "div", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "header", "li", "main", "nav", "section", "tr",
    }
)  # fmt: skip
MAX_DEPTH_TRACKED = 1000


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skipping: list[str] = []
        self.quote_depth = 0
        self.pre = 0

    def _push(self) -> None:
        line = "".join(self.current)
        line = line.rstrip() if self.pre else " ".join(line.split())
        self.lines.append(("> " * self.quote_depth) + line if line else "")
        self.current = []

    def _line_break(self) -> None:
        if "".join(self.current).strip():
            self._push()
        self.current = []

    def _paragraph_break(self) -> None:
        self._line_break()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _block(self, tag: str) -> None:
        if tag in PARAGRAPHS:
            self._paragraph_break()
        elif tag in LINES:
            self._line_break()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            if len(self.skipping) < MAX_DEPTH_TRACKED:
                self.skipping.append(tag)
            return
        if self.skipping:
            return
        if tag == "br":
            self._push()
            return
        self._block(tag)
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag in ("td", "th"):
            self.current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            return
        if tag == "br":
            self._push()
        else:
            self._block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            if self.skipping and self.skipping[-1] == tag:
                self.skipping.pop()
            return
        if self.skipping:
            return
        self._block(tag)
        if tag == "blockquote" and self.quote_depth:
            self.quote_depth -= 1
        elif tag == "pre" and self.pre:
            self.pre -= 1

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            parts = data.split("\n")
            for part in parts[:-1]:
                self.current.append(part)
                self._push()
            self.current.append(parts[-1])
        else:
            self.current.append(data)

    def text(self) -> str:
        self._line_break()
        joined = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip()


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; never raises (html.parser is forgiving by design)."""
    parser = _Text()
    with contextlib.suppress(Exception):  # html.parser is forgiving; this is belt and braces
        parser.feed(html)
        parser.close()
    return parser.text().replace("\xa0", " ")

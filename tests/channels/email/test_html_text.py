"""channels/email/html_text.py: HTML-only mails turned into readable text."""

from __future__ import annotations

from channels.email.html_text import html_to_text


def test_scripts_styles_and_head_are_dropped() -> None:
    html = (
        "<html><head><title>T</title><style>.a{}</style></head><body>"
        "<script>var x = '<p>no</p>';</script><p>Hello</p><noscript>n</noscript></body></html>"
    )
    assert html_to_text(html) == "Hello"


def test_blocks_keep_line_breaks_and_entities_are_unescaped() -> None:
    html = (
        "<div>Hi team,</div><div>where is order&nbsp;#1001?<br>Thanks &amp; regards</div>"
        "<p>P1</p><p>P2 &lt;b&gt; &#8364;5 &eacute;</p><table><tr><td>a</td><td>b</td></tr></table>"
    )
    assert html_to_text(html) == (
        "Hi team,\nwhere is order #1001?\nThanks & regards\n\nP1\n\nP2 <b> €5 é\n\na b"
    )


def test_lists_and_quotes() -> None:
    html = "<ul><li>one</li><li>two</li></ul><blockquote>old<br>text</blockquote>"
    assert html_to_text(html) == "- one\n- two\n\n> old\n> text"


def test_preformatted_text_keeps_its_layout() -> None:
    assert html_to_text("<pre>a\n  b</pre>") == "a\n  b"


def test_broken_markup_never_raises() -> None:
    for html in ("<", "<p", "</div></div>", "<![CDATA[x", "<!--", "<a href='x", "&#99999999;"):
        html_to_text(html)
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"

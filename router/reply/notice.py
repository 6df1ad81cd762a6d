"""Notices the service sends on its own initiative, not in answer to a message: today, that an
approved remedy (reship, refund) was carried out.

They go through the same catalog and the same envelopes as answers (formats.render), so the
customer's language and the brand's tone apply, an SMS stays within two GSM-7 segments and an
e-mail gets its subject, greeting, sign-off and HTML body.
"""

from __future__ import annotations

from datetime import datetime

from router.reply.catalog import locale_for, text, voice
from router.reply.compose import Content
from router.reply.formats import Format, Reply
from router.reply.formats import render as fit
from router.settings import OFFERS, BrandSettings

__all__ = ["render_remedy"]


def render_remedy(
    remedy: str,
    order_number: str,
    *,
    language: str | None,
    fmt: Format,
    brand: BrandSettings,
    now: datetime,
    name: str | None = None,
) -> Reply:
    """The customer's notice that `remedy` ("reship" or "refund") was done for the order.

    `now` is taken for symmetry with render(): these sentences carry no date today.
    """
    if remedy not in OFFERS:
        raise ValueError(f"unknown remedy {remedy!r}; expected one of {OFFERS}")
    number = order_number.strip().lstrip("#").strip()
    lang = voice(locale_for(language), brand.tone)
    content = Content(subject=text(lang, "email.subject.order", number=number))
    content.add(_sentence(remedy, lang, number))
    return fit(content, fmt, lang, brand, name=name)


def _sentence(remedy: str, lang: str, number: str) -> str:
    # Literal keys, so tests/reply/test_catalog.py finds them in every locale.
    if remedy == "reship":
        return text(lang, "remedy.reship", number=number)
    return text(lang, "remedy.refund", number=number)

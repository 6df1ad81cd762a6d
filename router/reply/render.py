"""One voice: a Resolution → the words for one channel, in the customer's language.

compose() writes the sentences (facts from the Resolution only), formats.render() fits them
into the channel's envelope. The locale is the detected language when we have templates for
it (en, es, fr, de, pt), else English.
"""

from __future__ import annotations

from datetime import datetime

from router.reply.catalog import locale_for, voice
from router.reply.compose import compose
from router.reply.formats import Format, Reply
from router.reply.formats import render as fit
from router.resolve.decide import Resolution
from router.settings import BrandSettings

__all__ = ["Reply", "render"]


def render(
    resolution: Resolution,
    now: datetime,
    *,
    fmt: Format = "chat",
    brand: BrandSettings | None = None,
    name: str | None = None,
) -> Reply:
    brand = brand or BrandSettings()
    lang = voice(locale_for(resolution.language), brand.tone)
    content = compose(resolution, lang, now)
    compact = compose(resolution, lang, now, compact=True) if fmt == "sms" else None
    return fit(content, fmt, lang, brand, compact=compact, name=name)

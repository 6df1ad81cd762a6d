"""One voice: a Resolution → the words for one channel, in the customer's language.

compose() writes the sentences (facts from the Resolution only), formats.render() fits them
into the channel's envelope. The locale is the detected language when we have templates for
it (en, es, fr, de, pt), else English.

`followup`: the customer got a proactive notice about this order recently (router/notify); the
answer then opens with when we wrote and whether anything changed since (compose.Followup).
"""

from __future__ import annotations

from datetime import datetime

from router.reply.catalog import locale_for, voice
from router.reply.compose import Followup, compose
from router.reply.formats import Format, Reply
from router.reply.formats import render as fit
from router.resolve.decide import Resolution
from router.settings import BrandSettings

__all__ = ["Followup", "Reply", "render"]


def render(
    resolution: Resolution,
    now: datetime,
    *,
    fmt: Format = "chat",
    brand: BrandSettings | None = None,
    name: str | None = None,
    followup: Followup | None = None,
) -> Reply:
    brand = brand or BrandSettings()
    lang = voice(locale_for(resolution.language), brand.tone)
    content = compose(resolution, lang, now, followup=followup)
    compact = (
        compose(resolution, lang, now, compact=True, followup=followup) if fmt == "sms" else None
    )
    return fit(content, fmt, lang, brand, compact=compact, name=name)

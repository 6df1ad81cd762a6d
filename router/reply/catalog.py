"""The words, per locale: one JSON catalog each (router/reply/locales/<lang>.json).

A key missing from a locale falls back to English, so a new sentence never breaks a reply;
tests/reply/test_catalog.py checks that every shipped locale has every key.

The brand's tone is a locale modifier, as in POSIX "de_DE@euro": "es@formal" reads
`key@formal` where the catalog has one and `key` otherwise. Only the sentences whose register
changes need a variant (Spanish tú → usted; greetings and sign-offs everywhere).
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from importlib import resources
from typing import Any

LOCALES = ("en", "es", "fr", "de", "pt")
DEFAULT = "en"
DEFAULT_TONE = "friendly"


@functools.cache
def _load(lang: str) -> dict[str, Any]:
    path = resources.files("router.reply") / "locales" / f"{lang}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def locale_for(language: str | None) -> str:
    """The locale we write in for a detected language: ours if we have it, else English."""
    return language if language in LOCALES else DEFAULT


def voice(lang: str, tone: str) -> str:
    """The catalog address for a locale in a tone; the default tone has no modifier."""
    return lang if tone == DEFAULT_TONE else f"{lang}@{tone}"


def text(lang: str, key: str, **params: Any) -> str:
    base, _, tone = lang.partition("@")
    catalog = _load(base)
    template = catalog.get(f"{key}@{tone}") if tone else None
    if not isinstance(template, str):
        template = catalog.get(key)
    if not isinstance(template, str):
        template = _load(DEFAULT)[key]
    return str(template).format(**params)


def day(value: date | datetime, lang: str) -> str:
    """A short date in the locale: "Sat 28 Nov", "sáb 28 nov", "Sa, 28. Nov."."""
    dates = _load(lang.partition("@")[0]).get("_dates") or _load(DEFAULT)["_dates"]
    d = value.date() if isinstance(value, datetime) else value
    return str(dates["format"]).format(
        weekday=dates["days"][d.weekday()], day=d.day, month=dates["months"][d.month - 1]
    )


def keys(lang: str) -> set[str]:
    """The sentences a locale has in the default tone."""
    return {k for k in _load(lang) if not k.startswith("_") and "@" not in k}


def variants(lang: str, tone: str) -> set[str]:
    """The sentences a locale rewrites for a tone (each must have a default-tone original)."""
    suffix = f"@{tone}"
    return {k.removesuffix(suffix) for k in _load(lang) if k.endswith(suffix)}

"""The words, per locale: one JSON catalog each (router/reply/locales/<lang>.json).

A key missing from a locale falls back to English, so a new sentence never breaks a reply;
tests/reply/test_catalog.py checks that every shipped locale has every key.
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from importlib import resources
from typing import Any

LOCALES = ("en", "es", "fr", "de", "pt")
DEFAULT = "en"


@functools.cache
def _load(lang: str) -> dict[str, Any]:
    path = resources.files("router.reply") / "locales" / f"{lang}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def locale_for(language: str | None) -> str:
    """The locale we write in for a detected language: ours if we have it, else English."""
    return language if language in LOCALES else DEFAULT


def text(lang: str, key: str, **params: Any) -> str:
    catalog = _load(lang)
    template = catalog.get(key)
    if not isinstance(template, str):
        template = _load(DEFAULT)[key]
    return str(template).format(**params)


def day(value: date | datetime, lang: str) -> str:
    """A short date in the locale: "Sat 28 Nov", "sáb 28 nov", "Sa, 28. Nov."."""
    dates = _load(lang).get("_dates") or _load(DEFAULT)["_dates"]
    d = value.date() if isinstance(value, datetime) else value
    return str(dates["format"]).format(
        weekday=dates["days"][d.weekday()], day=d.day, month=dates["months"][d.month - 1]
    )


def keys(lang: str) -> set[str]:
    return {k for k in _load(lang) if not k.startswith("_")}

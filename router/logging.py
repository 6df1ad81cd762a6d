"""structlog, JSON lines, with personal data masked before anything is written.

E-mail addresses, phone numbers and street addresses are masked in every value (customer
texts end up in logs through errors too), and fields named like them are masked whole.
Library logs (aiohttp, aiokafka, SQLAlchemy) go through the same processors.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import phonenumbers
import structlog

EMAIL = re.compile(r"([\w.+-])[\w.+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d[\d\s().-]{7,18}\d|\(\d{3}\)\s?\d{3}[\s.-]\d{4}|\d{3}[\s.-]\d{3}[\s.-]\d{4})(?!\w)"
)
STREET = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){1,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Parkway|Pkwy|Highway|Hwy|Square|Sq)\b\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    r"|\b(?:Rue|Calle|Rua|Via|Avenida|Avenue|Chemin|Boulevard)\s+(?:[\w'.-]+\s+){1,5}\d{1,5}\b"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|weg|gasse|platz|allee)\s+\d{1,5}[a-z]?\b",
)
SENSITIVE_KEY_PARTS = ("email", "phone", "address", "street", "password", "secret", "token")


def _phone_mask(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "<phone …" + digits[-2:] + ">"


def mask(text: str) -> str:
    text = EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = STREET.sub("<street address>", text)
    text = PHONE.sub(_phone_mask, text)
    if sum(c.isdigit() for c in text) < 7:
        return text
    # Numbers without separators ("4155550134") only libphonenumber can tell from ids.
    found = list(phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.VALID))
    for match in reversed(found):
        digits = re.sub(r"\D", "", match.raw_string)
        text = text[: match.start] + "<phone …" + digits[-2:] + ">" + text[match.end :]
    return text


def _mask_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if value and any(part in key.lower() for part in SENSITIVE_KEY_PARTS):
            return "<redacted>"
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    return value


def redact(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = _mask_value(key, value)
    return event_dict


def configure(level: str = "info", fmt: str = "json") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

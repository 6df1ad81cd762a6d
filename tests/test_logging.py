"""PII-masking logs: mask(), the redact processor, and JSON lines on stderr."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from router.logging import configure, mask, redact

# --- mask() ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail alice@example.com now", "mail a***@example.com now"),
        ("Ben.Carter+x@mail.example.co.uk", "B***@mail.example.co.uk"),
        ("call +1 415 555 0134 please", "call <phone …34> please"),
        ("+14155550134", "<phone …34>"),
        ("(415) 555-0134", "<phone …34>"),
        ("415-555-0134", "<phone …34>"),
        ("415.555.0134", "<phone …34>"),
        ("+44 7911 123456", "<phone …56>"),
        ("I live at 123 Main Street, SF", "I live at <street address>, SF"),
        ("1600 Pennsylvania Avenue NW", "<street address>"),
        ("send it to 5 Main St. please", "send it to <street address> please"),
        ("10 Downing St", "<street address>"),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order #1001",
        "tracking 1ZXK3DEG0359083017",
        "usps 9400111423667127684262",
        "placed 2024-05-01, total $1,299.00",
        "order 123-1234567-1234567",
        "no personal data here",
        "",
    ],
)
def test_mask_leaves_order_facts_alone(text: str) -> None:
    assert mask(text) == text


def test_mask_everything_in_one_text() -> None:
    assert mask("alice@example.com, (415) 555-0134, 123 Main Street; order #1001") == (
        "a***@example.com, <phone …34>, <street address>; order #1001"
    )


def test_mask_unformatted_phone() -> None:
    assert "4155550134" not in mask("call me on 4155550134")


# --- redact processor --------------------------------------------------------------------------


def test_redact_masks_values_and_hides_sensitive_keys() -> None:
    event: dict[str, Any] = {
        "event": "from alice@example.com",
        "email": "alice@example.com",
        "Phone": "+14155550134",
        "address": "123 Main Street",
        "password": "hunter2",
        "token": "abc",
        "secret": "s",
        "street": "Main",
        "empty_email": "",
        "email_blank": "",
        "count": 3,
        "ok": True,
        "nothing": None,
        "nested": {"email": "x@example.com", "note": "bob@example.org", "n": 1},
        "items": ["alice@example.com", 7, ("+1 415 555 0134",)],
        "pair": ("alice@example.com", "ok"),
    }
    out = redact(None, "info", event)
    assert out is event
    assert out == {
        "event": "from a***@example.com",
        "email": "<redacted>",
        "Phone": "<redacted>",
        "address": "<redacted>",
        "password": "<redacted>",
        "token": "<redacted>",
        "secret": "<redacted>",
        "street": "<redacted>",
        "empty_email": "",
        "email_blank": "",
        "count": 3,
        "ok": True,
        "nothing": None,
        "nested": {"email": "<redacted>", "note": "b***@example.org", "n": 1},
        "items": ["a***@example.com", 7, ["<phone …34>"]],
        "pair": ["a***@example.com", "ok"],
    }


def test_redact_hides_every_item_under_a_sensitive_key() -> None:
    out = redact(None, "info", {"email": ["a@example.com", "b@example.com"]})
    assert out == {"email": ["<redacted>", "<redacted>"]}


def test_empty_sensitive_value_stays_empty() -> None:
    assert redact(None, "info", {"email": ""}) == {"email": ""}


# --- configure(): JSON lines on stderr ----------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in ("aiokafka", "kafka")}
    config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, noisy_level in noisy.items():
            logging.getLogger(name).setLevel(noisy_level)
        structlog.configure(**config)


def _lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


@pytest.mark.usefixtures("restore_logging")
def test_structlog_lines_are_json_with_pii_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info", "json")
    log = structlog.get_logger("router.test")
    log.info(
        "customer wrote: where is my order? alice@example.com +1 415 555 0134",
        email="alice@example.com",
        order="1001",
        text="ship to 123 Main Street",
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = _lines(captured.err)
    assert line["event"] == "customer wrote: where is my order? a***@example.com <phone …34>"
    assert line["email"] == "<redacted>"
    assert line["order"] == "1001"
    assert line["text"] == "ship to <street address>"
    assert line["level"] == "info"
    assert line["logger"] == "router.test"
    assert line["timestamp"].endswith("Z")
    assert "alice@example.com" not in captured.err
    assert "555 0134" not in captured.err


@pytest.mark.usefixtures("restore_logging")
def test_library_logs_are_masked_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info", "json")
    logging.getLogger("aiohttp.server").error("bad request from bob@example.org")
    [line] = _lines(capsys.readouterr().err)
    assert line["event"] == "bad request from b***@example.org"
    assert line["level"] == "error"
    assert line["logger"] == "aiohttp.server"


@pytest.mark.usefixtures("restore_logging")
def test_exceptions_are_rendered_and_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info", "json")
    log = structlog.get_logger("router.test")
    try:
        raise ValueError("no order for alice@example.com")
    except ValueError:
        log.exception("lookup_failed")
    [line] = _lines(capsys.readouterr().err)
    assert line["event"] == "lookup_failed"
    assert line["level"] == "error"
    assert "ValueError: no order for a***@example.com" in line["exception"]
    assert "alice@example.com" not in line["exception"]


@pytest.mark.usefixtures("restore_logging")
def test_level_filters(capsys: pytest.CaptureFixture[str]) -> None:
    configure("warning", "json")
    log = structlog.get_logger("router.test")
    log.info("hidden")
    log.warning("shown")
    logging.getLogger("aiohttp").info("hidden too")
    assert [line["event"] for line in _lines(capsys.readouterr().err)] == ["shown"]
    assert logging.getLogger().level == logging.WARNING


@pytest.mark.usefixtures("restore_logging")
def test_kafka_client_logs_are_quietened() -> None:
    configure("debug", "json")
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("aiokafka").level == logging.WARNING
    assert logging.getLogger("kafka").level == logging.WARNING
    configure("error", "json")
    assert logging.getLogger("aiokafka").level == logging.ERROR


@pytest.mark.usefixtures("restore_logging")
def test_configure_replaces_root_handlers() -> None:
    configure("info", "json")
    configure("info", "json")
    assert len(logging.getLogger().handlers) == 1


@pytest.mark.usefixtures("restore_logging")
def test_console_format_is_masked_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info", "console")
    structlog.get_logger("router.test").info("hello", email="alice@example.com", note="a@b.co")
    err = capsys.readouterr().err
    assert "hello" in err
    assert "<redacted>" in err
    assert "a***@b.co" in err
    assert "alice@example.com" not in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[0])

"""channels/email/settings.py: typos and half-configured transports fail at start-up."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from channels.email.settings import EmailSettings


def make(**fields: Any) -> EmailSettings:
    return EmailSettings.model_validate(fields)


def test_defaults() -> None:
    cfg = make()
    assert cfg.chosen_transport() is None
    assert not cfg.sendgrid_enabled
    assert not cfg.mailgun_enabled
    assert not cfg.postmark_enabled
    assert not cfg.mime_enabled
    assert cfg.mailgun_max_age_s == 900
    assert cfg.max_body_bytes == 25 * 1024 * 1024


def test_transport_is_inferred_or_chosen() -> None:
    assert make(from_address="s@shop.example", smtp_host="mx").chosen_transport() == "smtp"
    both = {"from_address": "s@shop.example", "smtp_host": "mx", "postmark_server_token": "t"}
    with pytest.raises(ValidationError, match="set `transport`"):
        make(**both)
    assert make(**both, transport="postmark").chosen_transport() == "postmark"


@pytest.mark.parametrize(
    "fields",
    [
        {"smtp_host": "mx"},  # no from_address
        {"from_address": "not-an-address", "smtp_host": "mx"},
        {"from_address": "s@shop.example", "transport": "sendgrid"},  # no key
        {"sendgrid_parse_token": "short"},
        {"sendgrid_parse_token": "has spaces in it and is long"},
        {"mailgun_signing_key": ""},
        {"postmark_inbound_password": "p"},  # no user
        {"mime_password": "p"},
        {"sendgrid_parse_password": "p"},
        {"unknown_field": 1},
        {"mailgun_max_age_s": 5},
        {
            "from_address": "s@shop.example",
            "smtp_host": "mx",
            "smtp_use_tls": True,
            "smtp_start_tls": True,
        },
        {"unsubscribe_secret": ""},
        {"unsubscribe_secret": "too-short"},
        {"public_base_url": "http://wismo.shop.example"},  # one-click needs https
        {"public_base_url": "https://wismo.shop.example/?x=1"},
        {"public_base_url": "https://wismo.shop.example/#top"},
        {"public_base_url": "https:///path"},
        {"public_base_url": "wismo.shop.example"},
        {"public_base_url": "https://wismo.shop.example/a b"},
    ],
)
def test_invalid(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make(**fields)


def test_inbound_flags() -> None:
    cfg = make(
        sendgrid_parse_token="a" * 16,
        mailgun_signing_key="k",
        postmark_inbound_user="u",
        postmark_inbound_password="p",
        mime_bearer_token="b",
        trusted_authserv_ids=[" MX.Shop.Example ", ""],
    )
    assert cfg.sendgrid_enabled
    assert cfg.mailgun_enabled
    assert cfg.postmark_enabled
    assert cfg.mime_enabled
    assert cfg.trusted_authserv_ids == ["mx.shop.example"]


def test_unsubscribe_settings() -> None:
    assert make().unsubscribe_secret is None
    assert make().public_base_url is None
    cfg = make(unsubscribe_secret="s" * 16, public_base_url=" https://wismo.shop.example/prefix/ ")
    assert cfg.public_base_url == "https://wismo.shop.example/prefix"
    assert cfg.unsubscribe_secret is not None
    assert "s" * 16 not in repr(cfg)
    assert not make().inbound_enabled
    assert make(mime_bearer_token="b").inbound_enabled

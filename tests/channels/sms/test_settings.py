"""channels/sms/settings.py: what the SMS channel needs, and typos as errors at start-up."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from channels.outbound import RetrySettings
from channels.sms.settings import TWILIO_API, SmsSettings
from tests.channels.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, SERVICE_SID

GOOD: dict[str, Any] = {
    "account_sid": ACCOUNT_SID,
    "auth_token": AUTH_TOKEN,
    "from_number": FROM_NUMBER,
}


def test_defaults() -> None:
    cfg = SmsSettings.model_validate(GOOD)
    assert cfg.api_base_url == TWILIO_API
    assert cfg.status_callbacks is True
    assert cfg.keyword_replies is True
    assert cfg.public_base_url is None
    assert cfg.help_text is None
    assert cfg.shared_key is None
    assert cfg.retry == RetrySettings()
    assert cfg.status_callback_url() is None  # no public URL: no callback to ask for
    assert "4c1d2e" not in repr(cfg)  # the token is a secret


def test_env_style_strings() -> None:
    cfg = SmsSettings.model_validate(
        {
            **GOOD,
            "status_callbacks": "false",
            "keyword_replies": "0",
            "public_base_url": " https://hooks.example.com/wismo/ ",
            "retry": {"attempts": "2"},
        }
    )
    assert cfg.status_callbacks is False
    assert cfg.keyword_replies is False
    assert cfg.base_url() == "https://hooks.example.com/wismo"
    assert cfg.retry.attempts == 2


def test_status_callback_url() -> None:
    cfg = SmsSettings.model_validate({**GOOD, "public_base_url": "https://hooks.example.com/"})
    assert cfg.status_callback_url() == "https://hooks.example.com/webhooks/sms/status"


def test_a_messaging_service_is_a_sender_too() -> None:
    cfg = SmsSettings.model_validate(
        {**GOOD, "from_number": None, "messaging_service_sid": SERVICE_SID}
    )
    assert cfg.messaging_service_sid == SERVICE_SID


def test_credentials_may_be_missing_the_channel_decides() -> None:
    assert SmsSettings.model_validate({}).account_sid is None
    assert SmsSettings.model_validate({"account_sid": ACCOUNT_SID}).auth_token is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from_number": None}, "set from_number or messaging_service_sid"),
        ({"account_sid": "AC123"}, "account_sid"),
        ({"account_sid": "SK" + "0" * 32}, "account_sid"),
        ({"from_number": "4155552671"}, "from_number"),
        ({"from_number": "+1 415 555 2671"}, "from_number"),
        ({"messaging_service_sid": "MG12"}, "messaging_service_sid"),
        ({"public_base_url": "hooks.example.com"}, "public_base_url"),
        ({"public_base_url": "https://hooks.example.com/?x=1"}, "public_base_url"),
        ({"api_base_url": "ftp://api.twilio.com"}, "api_base_url"),
        ({"help_text": ""}, "help_text"),
        ({"auth_tokn": "typo"}, "auth_tokn"),
        ({"retry": {"attempts": 0}}, "retry.attempts"),
    ],
)
def test_bad_settings_are_errors(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        SmsSettings.model_validate({**GOOD, **change})
    assert field in str(raised.value)

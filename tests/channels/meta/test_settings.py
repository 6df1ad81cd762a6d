"""channels/meta/settings.py: without all three secrets the channel is not mounted."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from channels.base import ChannelDisabled
from channels.meta.settings import GRAPH_API_VERSION, MetaSettings, credentials

FULL = {"app_secret": "s", "verify_token": "v", "access_token": "a"}


def test_credentials() -> None:
    creds = credentials(MetaSettings.model_validate(FULL), "messenger")
    assert (creds.app_secret, creds.verify_token, creds.access_token) == (b"s", "v", "a")


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        ({}, "app_secret, verify_token, access_token"),
        ({**FULL, "app_secret": ""}, "app_secret"),
        ({"app_secret": "s", "access_token": "a"}, "verify_token"),
        ({"app_secret": "s", "verify_token": "v"}, "access_token"),
    ],
)
def test_missing_secrets_disable_the_channel(config: dict[str, str], missing: str) -> None:
    with pytest.raises(ChannelDisabled) as caught:
        credentials(MetaSettings.model_validate(config), "whatsapp")
    assert str(caught.value) == f"whatsapp: no {missing} configured"


def test_defaults_and_typos() -> None:
    settings = MetaSettings.model_validate(FULL)
    assert settings.graph_base_url == "https://graph.facebook.com"
    assert settings.api_version == GRAPH_API_VERSION == "v21.0"
    assert "a" not in repr(settings.access_token)
    for bad in ({"app_secet": "s"}, {"api_version": "21"}, {"graph_base_url": "ftp://x"}):
        with pytest.raises(ValidationError):
            MetaSettings.model_validate({**FULL, **bad})

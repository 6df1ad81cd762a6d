"""Settings every Meta channel shares (WhatsApp Cloud API, Messenger, Instagram).

The App Secret verifies each POST, the verify token answers the subscription handshake, and
the access token sends replies. Without all three the channel is not mounted: a webhook we
cannot verify must not be reachable, and one we cannot answer would only fill the dead letters.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from channels.base import ChannelDisabled
from channels.outbound import RetrySettings

GRAPH_BASE_URL = "https://graph.facebook.com"
GRAPH_API_VERSION = "v21.0"


class MetaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_secret: SecretStr | None = Field(
        default=None, description="App Secret (App settings → Basic): checks X-Hub-Signature-256"
    )
    verify_token: SecretStr | None = Field(
        default=None, description="Any string you choose; Meta echoes it in the GET handshake"
    )
    access_token: SecretStr | None = Field(
        default=None, description="Token that sends replies (system user / page access token)"
    )
    graph_base_url: str = Field(default=GRAPH_BASE_URL, pattern=r"^https?://[^\s]+$")
    api_version: str = Field(default=GRAPH_API_VERSION, pattern=r"^v\d{1,3}\.\d{1,3}$")
    retry: RetrySettings = RetrySettings()


@dataclass(frozen=True)
class Credentials:
    app_secret: bytes
    verify_token: str
    access_token: str


def _given(value: SecretStr | None) -> str | None:
    secret = value.get_secret_value() if value is not None else ""
    return secret or None


def credentials(settings: MetaSettings, channel: str) -> Credentials:
    """The three secrets, or ChannelDisabled naming the missing ones (never their values)."""
    app_secret = _given(settings.app_secret)
    verify_token = _given(settings.verify_token)
    access_token = _given(settings.access_token)
    missing = [
        name
        for name, value in (
            ("app_secret", app_secret),
            ("verify_token", verify_token),
            ("access_token", access_token),
        )
        if value is None
    ]
    if app_secret is None or verify_token is None or access_token is None:
        raise ChannelDisabled(f"{channel}: no {', '.join(missing)} configured")
    return Credentials(app_secret.encode("utf-8"), verify_token, access_token)

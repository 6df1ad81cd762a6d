"""API channel settings: `[channels.api]` or `WISMO_CHANNELS__API__<FIELD>`."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from channels.outbound import RetrySettings

MIN_SECRET_CHARS = 16  # an HMAC key short enough to guess would make the signature decoration
URL = re.compile(r"https?://[^\s/?#]+[^\s#]*")


class ApiSettings(BaseModel):
    # A secret in a start-up error would end up in the logs: errors name the field only.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    secret: SecretStr | None = Field(
        default=None, description="Shared HMAC-SHA256 key; signs requests both ways (required)"
    )
    callback_url: str | None = Field(
        default=None, description="Where replies are POSTed; unset: clients poll the mailbox"
    )
    window_s: int = Field(
        default=300, ge=1, le=3600, description="Largest clock difference accepted, seconds"
    )
    retry: RetrySettings = RetrySettings()

    @field_validator("secret")
    @classmethod
    def _secret_strength(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(f"must be at least {MIN_SECRET_CHARS} characters")
        return value

    @field_validator("callback_url")
    @classmethod
    def _callback_shape(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not URL.fullmatch(value):
            raise ValueError("must be an http(s) URL")
        return value

"""Telegram settings: `[channels.telegram]` or `WISMO_CHANNELS__TELEGRAM__<FIELD>`."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from channels.outbound import RetrySettings

# setWebhook's secret_token: 1-256 characters of A-Z a-z 0-9 _ - (Bot API docs).
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A bot token is "<bot id>:<secret part>" (BotFather); the id is public, the rest is not.
BOT_TOKEN = re.compile(r"([0-9]{1,20}):[A-Za-z0-9_-]{1,200}")
API_BASE = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


class TelegramSettings(BaseModel):
    # A secret in a start-up error would end up in the logs: errors name the field only.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    bot_token: SecretStr | None = Field(
        default=None, description="BotFather's token, for sendMessage (required)"
    )
    secret_token: SecretStr | None = Field(
        default=None,
        description="The secret_token given to setWebhook; Telegram echoes it in every request",
    )
    api_base_url: str = Field(
        default="https://api.telegram.org", description="Bot API server (or a local one)"
    )
    retry: RetrySettings = RetrySettings()

    # The errors name the rule, never the value (pydantic shows a SecretStr masked anyway).
    @field_validator("secret_token")
    @classmethod
    def _secret_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
        return value

    @field_validator("bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not BOT_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must look like <bot id>:<token> as BotFather gives it")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _api_base_shape(cls, value: str) -> str:
        if not API_BASE.fullmatch(value):
            raise ValueError("must be an http(s) URL without query or fragment")
        return value.rstrip("/")

    def bot_id(self) -> str:
        """The bot's own user id: the public part of the token."""
        token = self.bot_token.get_secret_value() if self.bot_token else ""
        return token.split(":", 1)[0]

"""The Slack desk's settings (`WISMO_CHANNELS__SLACK__*` or `[channels.slack]`).

Without the signing secret the desk is disabled, never mounted unverified; without the bot
token and the channel it could not post, so a half-configured desk fails at start-up.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

SLACK_API = "https://slack.com/api/"

SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,32}$")]


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signing_secret: SecretStr | None = Field(
        default=None, description="The app's Signing Secret: verifies every request from Slack"
    )
    bot_token: SecretStr | None = Field(default=None, description="Bot User OAuth Token (xoxb-…)")
    channel: SlackId | None = Field(
        default=None, description="Channel id (C…) where escalation cards are posted"
    )
    ping_group: SlackId | None = Field(
        default=None,
        description="User group id (S…) mentioned when nobody picks an escalation up in time",
    )
    allowed_group: SlackId | None = Field(
        default=None, description="User group id (S…) whose members alone may act; unset: anyone"
    )
    reply_prefix: str = Field(
        default="!reply",
        min_length=1,
        max_length=32,
        description="A thread message starting with this goes to the customer; others are notes",
    )
    api_base_url: str = Field(default=SLACK_API, description="Slack Web API (tests: a fake)")
    timeout_s: float = Field(default=10.0, gt=0, le=60, description="per Slack API call")
    group_cache_s: float = Field(
        default=60.0, ge=0, description="How long allowed_group's member list is reused"
    )

    @model_validator(mode="after")
    def _can_post(self) -> Self:
        if self.signing_secret is not None and not (self.bot_token and self.channel):
            raise ValueError("set bot_token and channel: escalations need somewhere to go")
        return self

"""The SMS channel's settings (`WISMO_CHANNELS__SMS__*` or `[channels.sms]`).

The Auth Token is what Twilio signs its webhooks with: without it (or the Account SID) the
channel is disabled, never mounted unverified. A sender (a number or a Messaging Service) is
required once credentials are given, so a half-configured channel fails at start-up instead of
failing every reply.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

from channels.outbound import RetrySettings

TWILIO_API = "https://api.twilio.com"

E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]
HttpUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
]


class SmsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_sid: str | None = Field(
        default=None, pattern=r"^AC[0-9a-fA-F]{32}$", description="Twilio Account SID (AC…)"
    )
    auth_token: SecretStr | None = Field(
        default=None, description="Twilio Auth Token: signs webhooks, authenticates sends"
    )
    shared_key: SecretStr | None = Field(
        default=None,
        description="SharedKey secret (webhooks with X-Twilio-Webhooks-Signature-Settings)",
    )
    from_number: E164 | None = Field(default=None, description="Sender number, E.164")
    messaging_service_sid: str | None = Field(
        default=None, pattern=r"^MG[0-9a-fA-F]{32}$", description="Messaging Service (MG…)"
    )
    public_base_url: HttpUrl | None = Field(
        default=None,
        description="https://host[/prefix] Twilio calls; else rebuilt from X-Forwarded-Proto/Host",
    )
    api_base_url: HttpUrl = Field(default=TWILIO_API, description="Twilio REST API (tests: a fake)")
    status_callbacks: bool = Field(
        default=True, description="Ask for delivery receipts (needs public_base_url)"
    )
    keyword_replies: bool = Field(
        default=True,
        description="Answer STOP/START/HELP ourselves; false when Twilio Advanced Opt-Out does",
    )
    help_text: str | None = Field(
        default=None, min_length=1, max_length=320, description="Reply to HELP/INFO"
    )
    retry: RetrySettings = RetrySettings()

    @model_validator(mode="after")
    def _needs_a_sender(self) -> Self:
        if (
            self.account_sid
            and self.auth_token
            and not (self.from_number or self.messaging_service_sid)
        ):
            raise ValueError("set from_number or messaging_service_sid: replies need a sender")
        return self

    def base_url(self) -> str | None:
        return self.public_base_url.rstrip("/") if self.public_base_url else None

    def status_callback_url(self) -> str | None:
        """Where Twilio posts delivery receipts: only known when the public URL is configured
        (the dispatch role sending the message has no request to rebuild it from)."""
        base = self.base_url()
        if not (self.status_callbacks and base):
            return None
        return f"{base}/webhooks/sms/status"

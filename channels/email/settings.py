"""The e-mail channel's settings (`[channels.email]`, `WISMO_CHANNELS__EMAIL__<FIELD>`).

Flat on purpose: one environment variable per field. Each inbound route is mounted only when
its credentials are set; outbound uses one transport (SMTP, Postmark or SendGrid). Unsubscribe
links (List-Unsubscribe on notices, the /unsubscribe/email routes) need `unsubscribe_secret`
and, for the links in sent mail, `public_base_url`.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from channels.email.headers import normalize_address
from channels.outbound import RetrySettings

Transport = Literal["smtp", "postmark", "sendgrid"]
MIB = 1024 * 1024
PATH_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
MIN_SECRET_CHARS = 16


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # --- who we are -----------------------------------------------------------------------
    from_address: str | None = Field(
        default=None, description="Our address: From of replies, and never answered (loops)"
    )
    from_name: str | None = Field(default=None, description="Display name (default: brand)")
    plus_address_reply_to: bool = Field(
        default=False,
        description="Reply-To local+<token>@domain, so replies thread even without headers",
    )

    # --- inbound: SendGrid Inbound Parse ----------------------------------------------------
    sendgrid_parse_token: SecretStr | None = Field(
        default=None, description="Secret path segment: /webhooks/email/sendgrid/<token>"
    )
    sendgrid_parse_user: str | None = None
    sendgrid_parse_password: SecretStr | None = None

    # --- inbound: Mailgun routes forward() ----------------------------------------------------
    mailgun_signing_key: SecretStr | None = Field(
        default=None, description="HTTP webhook signing key (Mailgun dashboard)"
    )
    mailgun_max_age_s: int = Field(default=900, ge=30, le=86_400)

    # --- inbound: Postmark ---------------------------------------------------------------------
    postmark_inbound_user: str | None = None
    postmark_inbound_password: SecretStr | None = None

    # --- inbound: raw MIME (MTA pipe, S3 fetcher) ---------------------------------------------
    mime_user: str | None = None
    mime_password: SecretStr | None = None
    mime_bearer_token: SecretStr | None = None
    trusted_authserv_ids: list[str] = Field(
        default_factory=list,
        description="Authentication-Results authserv-ids whose dkim/spf/dmarc pass we trust",
    )

    max_body_bytes: int = Field(
        default=25 * MIB, ge=MIB, le=100 * MIB, description="Largest inbound webhook body"
    )
    quote_languages: list[str] = Field(
        default_factory=lambda: ["en", "es", "fr", "de", "it", "nl", "pt"]
    )

    # --- outbound ----------------------------------------------------------------------------
    transport: Transport | None = Field(
        default=None, description="smtp | postmark | sendgrid (default: the one configured)"
    )
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_use_tls: bool = Field(default=False, description="Implicit TLS (port 465)")
    smtp_start_tls: bool | None = Field(
        default=None, description="STARTTLS: None = when the server offers it"
    )
    smtp_validate_certs: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=30.0, gt=0)

    postmark_server_token: SecretStr | None = None
    postmark_api_base_url: str = "https://api.postmarkapp.com"
    postmark_message_stream: str = "outbound"

    sendgrid_api_key: SecretStr | None = None
    sendgrid_api_base_url: str = "https://api.sendgrid.com"

    retry: RetrySettings = RetrySettings()

    # --- unsubscribe (RFC 2369 / RFC 8058) -----------------------------------------------------
    unsubscribe_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of the unsubscribe links' tokens; mounts /unsubscribe/email",
    )
    public_base_url: str | None = Field(
        default=None,
        description="https://host[/prefix] where the service is reached (unsubscribe links)",
    )

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        address = normalize_address(value)
        if address is None:
            raise ValueError("not an e-mail address")
        return address

    @field_validator(
        "sendgrid_parse_password",
        "mailgun_signing_key",
        "postmark_inbound_password",
        "mime_password",
        "mime_bearer_token",
        "smtp_password",
        "postmark_server_token",
        "sendgrid_api_key",
    )
    @classmethod
    def _not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty (leave it unset instead)")
        return value

    @field_validator("unsubscribe_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < MIN_SECRET_CHARS:
            raise ValueError(f"must be at least {MIN_SECRET_CHARS} characters (leave it unset)")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        """An https URL without query or fragment, kept without its trailing slash: one-click
        unsubscribe (RFC 8058) is only offered over HTTPS."""
        if value is None:
            return None
        url = urllib.parse.urlsplit(value.strip())
        if url.scheme.lower() != "https" or not url.hostname or url.query or url.fragment:
            raise ValueError("must be https://host[/prefix] (no query or fragment)")
        if any(c.isspace() for c in value.strip()):
            raise ValueError("must not contain spaces")
        return value.strip().rstrip("/")

    @field_validator("sendgrid_parse_token")
    @classmethod
    def _path_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not PATH_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 16-128 characters of A-Z, a-z, 0-9, _ or -")
        return value

    @field_validator("trusted_authserv_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]

    @model_validator(mode="after")
    def _consistent(self) -> EmailSettings:
        if self.sendgrid_parse_password is not None and not self.sendgrid_parse_user:
            raise ValueError("sendgrid_parse_password needs sendgrid_parse_user")
        if self.mime_password is not None and not self.mime_user:
            raise ValueError("mime_password needs mime_user")
        if self.postmark_inbound_password is not None and not self.postmark_inbound_user:
            raise ValueError("postmark_inbound_password needs postmark_inbound_user")
        if self.smtp_use_tls and self.smtp_start_tls:
            raise ValueError("smtp_use_tls (implicit TLS) and smtp_start_tls exclude each other")
        configured = self.configured_transports()
        if self.transport is None and len(configured) > 1:
            raise ValueError(f"several transports configured ({configured}): set `transport`")
        if self.transport is not None and self.transport not in configured:
            raise ValueError(f"transport {self.transport!r} lacks its settings")
        if (self.transport or configured) and self.from_address is None:
            raise ValueError("from_address is required to send e-mail")
        return self

    def configured_transports(self) -> list[Transport]:
        found: list[Transport] = []
        if self.smtp_host:
            found.append("smtp")
        if self.postmark_server_token is not None:
            found.append("postmark")
        if self.sendgrid_api_key is not None:
            found.append("sendgrid")
        return found

    def chosen_transport(self) -> Transport | None:
        if self.smtp_use_tls and self.smtp_start_tls:
            raise ValueError("smtp_use_tls (implicit TLS) and smtp_start_tls exclude each other")
        configured = self.configured_transports()
        return self.transport or (configured[0] if configured else None)

    @property
    def sendgrid_enabled(self) -> bool:
        return self.sendgrid_parse_token is not None or self.sendgrid_parse_password is not None

    @property
    def mailgun_enabled(self) -> bool:
        return self.mailgun_signing_key is not None

    @property
    def postmark_enabled(self) -> bool:
        return self.postmark_inbound_password is not None

    @property
    def mime_enabled(self) -> bool:
        return self.mime_password is not None or self.mime_bearer_token is not None

    @property
    def inbound_enabled(self) -> bool:
        """Some route takes mail in: mail to `from_address` reaches us (the mailto: link)."""
        enabled = (self.sendgrid_enabled, self.mailgun_enabled, self.postmark_enabled)
        return any(enabled) or self.mime_enabled

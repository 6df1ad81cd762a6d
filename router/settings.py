"""Settings from the environment (WISMO_*, nested with `__`) and an optional TOML file.

Precedence, highest first: arguments, environment, the TOML file named by WISMO_CONFIG_FILE
(or `wismo serve --config`), defaults. Secrets are SecretStr so they never reach a log.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Role = Literal["ingest", "pipeline", "dispatch", "desk", "notify"]
ROLES: tuple[Role, ...] = ("ingest", "pipeline", "dispatch", "desk", "notify")


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "wismo-router"
    partitions: int = Field(default=8, ge=1, description="Partitions for topics we create")
    replication_factor: int = Field(default=1, ge=1)
    linger_ms: int = Field(default=2, ge=0)
    fetch_max_wait_ms: int = Field(default=20, ge=0, description="Low: latency over batching")
    max_poll_records: int = Field(default=100, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    request_timeout_ms: int = Field(default=10_000, ge=1000)
    publish_timeout_s: float = Field(default=10.0, gt=0)
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None


class BusSettings(BaseModel):
    backend: Literal["memory", "kafka"] = "memory"
    topic_prefix: str = Field(default="", description="Prepended to every topic on the wire")
    max_attempts: int = Field(default=5, ge=1, description="Handler attempts before the DLQ")
    memory_partitions: int = Field(default=8, ge=1)
    memory_retention: int = Field(default=10_000, ge=1, description="Records kept per partition")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite+aiosqlite:///var/wismo.db",
        description="SQLAlchemy async URL; postgresql+asyncpg://… in production",
    )
    echo: bool = False


class ShopifySettings(BaseModel):
    shop_domain: str = Field(description="your-shop.myshopify.com")
    access_token: SecretStr
    api_version: str = "2025-07"
    base_url: str | None = Field(default=None, description="Override (tests, proxies)")


class WooCommerceSettings(BaseModel):
    base_url: str = Field(description="https://shop.example (the WordPress site)")
    consumer_key: SecretStr
    consumer_secret: SecretStr


class TrackingSettings(BaseModel):
    provider: Literal["easypost", "aftership", "shippo"]
    api_key: SecretStr
    base_url: str | None = Field(default=None, description="Override (tests, sandboxes)")


class SourcesSettings(BaseModel):
    """Where order and carrier facts come from. The project's own tables are asked first."""

    sql: bool = Field(default=True, description="Ask the project's own order tables")
    shopify: ShopifySettings | None = None
    woocommerce: WooCommerceSettings | None = None
    tracking: TrackingSettings | None = None
    budget_s: float = Field(
        default=2.0, gt=0, le=30, description="Per external call, retries incl."
    )
    cache_ttl_s: float = Field(default=60.0, ge=0, description="How long a look-up is reused")


Tone = Literal["friendly", "formal"]


class BrandSettings(BaseModel):
    name: str = Field(default="Demo Shop", description="Shop name in replies and on the chat page")
    sign_off: str = Field(default="The Demo Shop team", description="Closes e-mail replies")
    support_email: str | None = Field(default=None, description="Offered when we hand over")
    tone: Tone = Field(
        default="friendly",
        description="friendly, or formal (usted in Spanish, formal greetings and sign-offs)",
    )


Offer = Literal["reship", "refund"]
OFFERS: tuple[Offer, ...] = ("reship", "refund")


class PolicySettings(BaseModel):
    """The next-step rules. Every decision names the rule that fired and the facts it used."""

    auto_offer_max_value: float = Field(
        default=100.0, ge=0, description="Lost parcel: offer reship/refund at once up to this"
    )
    high_value: float = Field(default=500.0, ge=0, description="Orders from this value: a human")
    stale_after_business_days: int = Field(default=5, ge=1, description="No scan: say so")
    lost_after_business_days: int = Field(default=8, ge=1, description="No scan: treat as lost")
    delivered_wait_days: int = Field(
        default=2, ge=0, description="'Delivered but not here': days to wait before a claim"
    )
    repeat_contact_hours: int = Field(default=48, ge=1, description="Asked again: a human")
    offers: list[Offer] = Field(default_factory=lambda: list(OFFERS))
    lookups_per_sender_per_hour: int = Field(default=10, ge=1)
    failed_checks_per_order_per_hour: int = Field(default=5, ge=1)


class HandoffSettings(BaseModel):
    """Escalations a human desk (Slack) holds: when to nudge, when the bot takes back over."""

    idle_minutes: float = Field(
        default=120, gt=0, description="Taken over, then untouched this long: the bot answers"
    )
    sla_minutes: float = Field(
        default=15, gt=0, description="Nobody picked it up this long: ping again"
    )
    check_interval_s: float = Field(
        default=30, gt=0, le=3600, description="How often the desk role looks for both"
    )


NoticeKind = Literal[
    "exception",
    "attempt_failed",
    "return_to_sender",
    "available_for_pickup",
    "edd_past_promise",
    "stale",
    "lost",
    "predicted_late",
]
NOTICE_KINDS: tuple[NoticeKind, ...] = (
    "exception",
    "attempt_failed",
    "return_to_sender",
    "available_for_pickup",
    "edd_past_promise",
    "stale",
    "lost",
    "predicted_late",
)


class TrackingWebhookSettings(BaseModel):
    """Secrets of the carrier-aggregator webhooks; a route is mounted only when its is set."""

    easypost_secret: SecretStr | None = Field(default=None, description="EasyPost webhook secret")
    aftership_secret: SecretStr | None = Field(default=None, description="AfterShip webhook secret")
    shippo_secret: SecretStr | None = Field(default=None, description="Shippo webhook secret")


class NotifySettings(BaseModel):
    """Proactive notices: what is worth telling a customer before they ask, and when."""

    enabled: bool = Field(default=True, description="Send proactive notices at all")
    kinds: list[NoticeKind] = Field(
        default_factory=lambda: list(NOTICE_KINDS), description="Which findings are told"
    )
    channels: list[str] = Field(
        default_factory=lambda: ["sms", "whatsapp", "email"],
        description="Channels notices may use, in order of preference after the customer's own",
    )
    quiet_start: str = Field(
        default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local time"
    )
    quiet_end: str = Field(
        default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local time"
    )
    default_timezone: str = Field(
        default="UTC", description="When neither phone nor address tells the customer's zone"
    )
    stale_after_business_days: int = Field(
        default=3, ge=1, description="No carrier scan this long: tell the customer"
    )
    predicted_late_probability: float = Field(
        default=0.6, gt=0, lt=1, description="Lane model's chance of missing the promise date"
    )
    lane_min_samples: int = Field(
        default=20, ge=3, description="Delivered parcels a lane needs before it predicts"
    )
    lane_window_days: int = Field(default=120, ge=7, description="How far back lanes learn")
    max_event_age_days: int = Field(
        default=14, ge=1, description="Older carrier events update the state, never notify"
    )
    followup_days: int = Field(
        default=14, ge=1, description="A reply mentions a notice sent this recently"
    )
    check_interval_s: float = Field(
        default=300, gt=0, le=86_400, description="How often the notify role re-checks"
    )
    webhooks: TrackingWebhookSettings = Field(default_factory=TrackingWebhookSettings)


class ClassifierSettings(BaseModel):
    threshold: float = Field(
        default=0.6, ge=0.5, le=1.0, description="Confidence below this: unsure, ask instead"
    )
    model_path: str | None = Field(default=None, description="A model from `wismo train`")
    order_patterns: list[str] = Field(
        default_factory=list,
        description="Extra order-number regexes, each with a named group (?P<n>...)",
    )

    @field_validator("order_patterns")
    @classmethod
    def _compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"order pattern {pattern!r}: {exc}") from exc
            if "n" not in compiled.groupindex:
                raise ValueError(f"order pattern {pattern!r} needs a named group (?P<n>...)")
        return patterns


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WISMO_",
        env_nested_delimiter="__",
        extra="ignore",
        toml_file=None,
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    roles: list[Role] = Field(default=list(ROLES))
    demo: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    shutdown_timeout_s: float = Field(default=8.0, gt=0, le=60)
    max_message_bytes: int = Field(default=4096, ge=256, description="Longest customer text")
    bus: BusSettings = Field(default_factory=BusSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    brand: BrandSettings = Field(default_factory=BrandSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    channels: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-channel settings, parsed by each channel"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        sources.append(file_secret_settings)
        return tuple(sources)


_explicit_config: ContextVar[str | None] = ContextVar("wismo_config_file", default=None)


def _config_file() -> Path | None:
    name = _explicit_config.get() or os.environ.get("WISMO_CONFIG_FILE")
    if not name:
        return None
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f"config file {name} does not exist")
    return path


def load(config_file: str | None = None, **overrides: Any) -> Settings:
    """Settings from env + file, with explicit overrides (CLI flags) on top."""
    token = _explicit_config.set(config_file)
    try:
        return Settings(**overrides)
    finally:
        _explicit_config.reset(token)

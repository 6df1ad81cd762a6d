"""channels/telegram/settings.py and the channel's start-up: no credentials, no channel."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from channels.base import ChannelContext, ChannelDisabled
from channels.telegram import TelegramChannel
from channels.telegram.settings import TelegramSettings
from router.bus.memory import MemoryBus
from router.ingest import Ingest
from router.live import ConversationFeed
from router.metrics import Metrics
from router.settings import Settings
from router.store.db import Database
from tests.channels.telegram.conftest import BOT_TOKEN, SECRET


def build(config: dict[str, Any], db: Database, session: aiohttp.ClientSession) -> TelegramChannel:
    ctx = ChannelContext(
        settings=Settings(channels={}),
        config=config,
        ingest=Ingest(MemoryBus(), Metrics(), db),
        db=db,
        feed=ConversationFeed(),
        clock=lambda: NotImplemented,
        http=session,
    )
    return TelegramChannel(ctx)


@pytest.mark.parametrize(
    ("config", "why"),
    [
        ({}, "no secret_token: webhooks could not be verified"),
        ({"bot_token": BOT_TOKEN}, "no secret_token: webhooks could not be verified"),
        (
            {"bot_token": BOT_TOKEN, "secret_token": ""},
            "no secret_token: webhooks could not be verified",
        ),
        ({"secret_token": SECRET}, "no bot_token: replies could not be sent"),
    ],
)
async def test_missing_credentials_disable_the_channel(
    config: dict[str, Any], why: str, db: Database, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ChannelDisabled) as caught:
        build(config, db, session)
    assert str(caught.value) == why


async def test_configured_channel(db: Database, session: aiohttp.ClientSession) -> None:
    channel = build({"bot_token": BOT_TOKEN, "secret_token": SECRET}, db, session)
    assert (channel.name, channel.reply_format) == ("telegram", "messaging")
    assert channel.cfg.bot_id() == "123456"
    assert channel.cfg.api_base_url == "https://api.telegram.org"
    assert [(r.method, r.path) for r in channel.routes()] == [("POST", "/webhooks/telegram")]


@pytest.mark.parametrize(
    "secret",
    ["has space", "a" * 257, "semi;colon", "ümlaut", "tg-Secret_token-123\n"],
)
def test_a_secret_token_telegram_would_refuse_is_an_error_without_the_value(secret: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TelegramSettings(bot_token=BOT_TOKEN, secret_token=secret)
    assert "A-Z a-z 0-9 _ -" in str(caught.value)
    assert secret.strip() not in str(caught.value)


@pytest.mark.parametrize("token", ["no-colon", "abc:def", "123:has space", "123:"])
def test_a_malformed_bot_token_is_an_error_without_the_value(token: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TelegramSettings(bot_token=token, secret_token=SECRET)
    assert "<bot id>:<token>" in str(caught.value)
    assert token not in str(caught.value)


def test_api_base_url() -> None:
    cfg = TelegramSettings(api_base_url="http://127.0.0.1:8081/")
    assert cfg.api_base_url == "http://127.0.0.1:8081"
    with pytest.raises(ValidationError):
        TelegramSettings(api_base_url="ftp://x")
    with pytest.raises(ValidationError):
        TelegramSettings(api_base_url="https://x/?q=1")


def test_unknown_settings_are_an_error() -> None:
    with pytest.raises(ValidationError):
        TelegramSettings.model_validate({"secret": SECRET})

"""channels/api/settings.py and start-up: no secret, no channel; a weak one is an error."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from channels.api import ApiChannel
from channels.api.settings import ApiSettings
from channels.base import ChannelContext, ChannelDisabled
from router.bus.memory import MemoryBus
from router.ingest import Ingest
from router.live import ConversationFeed
from router.metrics import Metrics
from router.settings import Settings
from router.store.db import Database
from tests.channels.api.conftest import SECRET, Clock


def build(config: dict[str, Any], db: Database, session: aiohttp.ClientSession) -> ApiChannel:
    ctx = ChannelContext(
        settings=Settings(channels={}),
        config=config,
        ingest=Ingest(MemoryBus(), Metrics(), db),
        db=db,
        feed=ConversationFeed(),
        clock=Clock(),
        http=session,
    )
    return ApiChannel(ctx)


@pytest.mark.parametrize("config", [{}, {"secret": ""}, {"callback_url": "https://x.test/cb"}])
async def test_no_secret_disables_the_channel(
    config: dict[str, Any], db: Database, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ChannelDisabled, match=r"^no secret: requests could not be verified$"):
        build(config, db, session)


async def test_configured_channel(db: Database, session: aiohttp.ClientSession) -> None:
    channel = build({"secret": SECRET}, db, session)
    assert (channel.name, channel.reply_format) == ("api", "chat")
    assert (channel.cfg.window_s, channel.cfg.callback_url, channel.callback) == (300, None, None)
    assert [(r.method, r.path) for r in channel.routes()] == [
        ("POST", "/webhooks/api/messages"),
        ("GET", "/webhooks/api/conversations/{conversation_id}/messages"),
    ]
    with_callback = build({"secret": SECRET, "callback_url": "https://x.test/cb"}, db, session)
    assert with_callback.callback is not None


def test_a_short_secret_is_an_error_without_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        ApiSettings(secret="short-secret")
    assert "at least 16 characters" in str(caught.value)
    assert "short-secret" not in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://x.test/cb", "x.test/cb", "https://", "https://x.test/#f"])
def test_callback_url_must_be_http(url: str) -> None:
    with pytest.raises(ValidationError):
        ApiSettings(secret=SECRET, callback_url=url)


@pytest.mark.parametrize("window", [0, 3601])
def test_window_bounds(window: int) -> None:
    with pytest.raises(ValidationError):
        ApiSettings(secret=SECRET, window_s=window)


def test_unknown_settings_are_an_error() -> None:
    with pytest.raises(ValidationError):
        ApiSettings.model_validate({"secret": SECRET, "callback": "https://x.test"})

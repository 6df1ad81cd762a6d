"""The Slack desk's settings: off without a signing secret, refused half-configured, and every
setting documented in docs/slack.md."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from channels.base import ChannelDisabled, DeskContext
from channels.slack import SlackDesk
from channels.slack.settings import SlackSettings
from router.bus.memory import MemoryBus
from router.ingest import Ingest
from router.metrics import Metrics
from router.settings import Settings
from router.store.db import Database
from tests.channels.slack.conftest import NOW
from tests.helpers import ROOT, Clock


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "slack.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", doc, flags=re.MULTILINE))
    assert documented == set(SlackSettings.model_fields)


@pytest.mark.parametrize(
    "config",
    [
        {"signing_secret": "s"},  # nowhere to post
        {"signing_secret": "s", "bot_token": "xoxb-1"},
        {"signing_secret": "s", "channel": "C0ESCALATE"},
        {"signing_secret": "s", "bot_token": "xoxb-1", "channel": "#escalations"},  # a name
        {"signing_secret": "s", "bot_token": "xoxb-1", "channel": "C1", "ping_group": "@oncall"},
        {"signing_secret": "s", "bot_token": "xoxb-1", "channel": "C1", "reply_prefix": ""},
        {"signing_secret": "s", "bot_token": "xoxb-1", "channel": "C1", "surprise": 1},
    ],
)
def test_half_or_wrongly_configured_is_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SlackSettings.model_validate(config)


async def test_without_a_signing_secret_the_desk_is_off(db: Database) -> None:
    bus = MemoryBus()
    async with aiohttp.ClientSession() as http:
        settings = Settings()
        ctx = DeskContext(
            settings=settings,
            config={"bot_token": "xoxb-1", "channel": "C0ESCALATE"},
            ingest=Ingest(bus, Metrics(), db),
            db=db,
            bus=bus,
            metrics=Metrics(),
            clock=Clock(NOW),
            http=http,
            formats={},
            order_actions=None,
        )
        with pytest.raises(ChannelDisabled, match="signing_secret"):
            SlackDesk(ctx)

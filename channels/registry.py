"""The one explicit list of channels. Adding a channel: one folder, one line here."""

from __future__ import annotations

from channels.base import ChannelFactory
from channels.webchat import WebChatChannel

CHANNELS: dict[str, ChannelFactory] = {
    "webchat": WebChatChannel,
}

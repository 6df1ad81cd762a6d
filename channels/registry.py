"""The one explicit list of channels (and human desks). Adding one: a folder, a line here."""

from __future__ import annotations

from channels.api import ApiChannel
from channels.base import ChannelFactory, DeskFactory
from channels.email import EmailChannel
from channels.instagram import InstagramChannel
from channels.messenger import MessengerChannel
from channels.slack import SlackDesk
from channels.sms import TwilioSmsChannel
from channels.telegram import TelegramChannel
from channels.webchat import WebChatChannel
from channels.whatsapp import WhatsAppChannel

CHANNELS: dict[str, ChannelFactory] = {
    "api": ApiChannel,
    "email": EmailChannel,
    "instagram": InstagramChannel,
    "messenger": MessengerChannel,
    "sms": TwilioSmsChannel,
    "telegram": TelegramChannel,
    "webchat": WebChatChannel,
    "whatsapp": WhatsAppChannel,
}

DESKS: dict[str, DeskFactory] = {
    "slack": SlackDesk,
}

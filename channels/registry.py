"""The one explicit list of channels. Adding a channel: one folder, one line here."""

from __future__ import annotations

from channels.api import ApiChannel
from channels.base import ChannelFactory
from channels.email import EmailChannel
from channels.instagram import InstagramChannel
from channels.messenger import MessengerChannel
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

"""Telegram bot: Bot API webhook in (secret-token header), sendMessage out."""

from channels.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel"]

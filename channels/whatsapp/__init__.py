"""WhatsApp via Meta's Cloud API (see channels/meta for what it shares with Messenger)."""

from channels.whatsapp.channel import WhatsAppChannel

__all__ = ["WhatsAppChannel"]

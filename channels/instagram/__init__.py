"""Instagram Direct messages via the Instagram Messaging API (see channels/meta)."""

from channels.instagram.channel import InstagramChannel

__all__ = ["InstagramChannel"]

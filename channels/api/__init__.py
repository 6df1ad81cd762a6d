"""The signed JSON API: custom widgets and help centres post messages, get replies back."""

from channels.api.channel import ApiChannel

__all__ = ["ApiChannel"]

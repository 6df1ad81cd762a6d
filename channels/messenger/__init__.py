"""Facebook Messenger: Page conversations via the Messenger Platform (see channels/meta)."""

from channels.messenger.channel import MessengerChannel

__all__ = ["MessengerChannel"]

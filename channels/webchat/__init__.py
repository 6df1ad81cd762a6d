"""Our own web chat widget: page, WebSocket, HTTP fallback."""

from channels.webchat.channel import WebChatChannel

__all__ = ["WebChatChannel"]

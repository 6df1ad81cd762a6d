"""Facebook Messenger (Messenger Platform): a Page's conversations, through the shared Meta
messaging channel. Webhook object "page"; replies ≤ 2,000 characters per message."""

from __future__ import annotations

from typing import ClassVar

from channels.meta.messaging_channel import MessagingChannel
from channels.meta.messaging_parse import Spec
from channels.meta.text import Limit, chars

NAME = "messenger"
TEXT_LIMIT_CHARS = 2000


class MessengerChannel(MessagingChannel):
    name = NAME
    spec: ClassVar[Spec] = Spec(
        channel=NAME,
        provider="messenger_platform",
        object="page",
        account_key="page_id",
        user_key="psid",
    )
    text_limit: ClassVar[Limit] = Limit(TEXT_LIMIT_CHARS, chars)

"""Instagram Direct (Instagram Messaging API), through the shared Meta messaging channel.
Webhook object "instagram"; replies ≤ 1,000 UTF-8 bytes per message."""

from __future__ import annotations

from typing import ClassVar

from channels.meta.messaging_channel import MessagingChannel
from channels.meta.messaging_parse import Spec
from channels.meta.text import Limit, utf8_bytes

NAME = "instagram"
TEXT_LIMIT_BYTES = 1000


class InstagramChannel(MessagingChannel):
    name = NAME
    spec: ClassVar[Spec] = Spec(
        channel=NAME,
        provider="instagram_messaging",
        object="instagram",
        account_key="account_id",
        user_key="igsid",
    )
    text_limit: ClassVar[Limit] = Limit(TEXT_LIMIT_BYTES, utf8_bytes)

"""Realistic Bot API `Update` payloads (shapes from https://core.telegram.org/bots/api#update)."""

from __future__ import annotations

from typing import Any

DATE = 1770920772  # 2026-02-12T18:26:12Z, the date of the telegram.json vectors

# The body of the telegram.json vectors, byte for byte.
VECTOR_BODY = (
    b'{"update_id":10000,"message":{"message_id":1,"date":1770920772,"chat":{"id":42,'
    b'"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"Ana"},'
    b'"text":"where is my order #1001?"}}'
)


def user(user_id: int = 42, **extra: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Ana",
        "last_name": "Souza",
        "username": "ana_souza",
        "language_code": "pt-br",
        **extra,
    }


def private_chat(chat_id: int = 42) -> dict[str, Any]:
    return {
        "id": chat_id,
        "first_name": "Ana",
        "last_name": "Souza",
        "username": "ana_souza",
        "type": "private",
    }


def message(
    message_id: int = 7, *, chat_id: int = 42, sender: dict[str, Any] | None = None, **content: Any
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "from": sender if sender is not None else user(chat_id),
        "chat": private_chat(chat_id),
        "date": DATE,
        **content,
    }


def update(update_id: int = 900_000_001, **body: Any) -> dict[str, Any]:
    return {"update_id": update_id, **body}


def text_update(
    text: str = "Where is my order #1001? My email is alice@example.com",
    *,
    update_id: int = 900_000_001,
    message_id: int = 7,
    chat_id: int = 42,
) -> dict[str, Any]:
    return update(update_id, message=message(message_id, chat_id=chat_id, text=text))


def photo_sizes() -> list[dict[str, Any]]:
    return [
        {
            "file_id": "AgACAgQAAxkBAAIBQ2XwPhoto-small",
            "file_unique_id": "AQADsmall",
            "file_size": 1234,
            "width": 90,
            "height": 67,
        },
        {
            "file_id": "AgACAgQAAxkBAAIBQ2XwPhoto-large",
            "file_unique_id": "AQADlarge",
            "file_size": 81234,
            "width": 1280,
            "height": 960,
        },
    ]


def callback_update(
    data: str,
    *,
    label: str | None = None,
    query_id: str = "4382bfdwdsb323b2d9",
    update_id: int = 900_000_002,
    markup: bool = True,
) -> dict[str, Any]:
    """A press of a button on one of our messages (`message` is the message it was on)."""
    bot_message: dict[str, Any] = {
        "message_id": 8,
        "from": {"id": 123456, "is_bot": True, "first_name": "Shop", "username": "shop_bot"},
        "chat": private_chat(),
        "date": DATE + 5,
        "text": "Which order do you mean?",
    }
    if markup:
        bot_message["reply_markup"] = {
            "inline_keyboard": [
                [{"text": "Track with UPS", "url": "https://www.ups.com/track?tracknum=1Z"}],
                [{"text": label or data, "callback_data": data}],
                [{"text": "Talk to a person", "callback_data": "Talk to a person"}],
            ]
        }
    return update(
        update_id,
        callback_query={
            "id": query_id,
            "from": user(),
            "message": bot_message,
            "chat_instance": "-7452839465837290",
            "data": data,
        },
    )

"""A Telegram `Update` → at most one InboundMessage, or the reason it carries none.

Answered: text, captions, media (as a short placeholder, so the customer still gets an answer
asking for words), a shared contact, and quick-reply button presses (callback queries).
"/start" reads as a greeting (or as its deep-link payload), not as a command. Only
private chats: in a group every member would read the order details we disclose to the one
who asked. Never answered: edits (the original was answered), messages from bots, channel
posts, service messages (joins, pins…) and update kinds we do not handle.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from channels.text import clean, clip
from channels.webhook import Rejected, first_error
from router.events import InboundMessage, Party

NAME = "telegram"
PROVIDER = "telegram"
PRIVATE = "private"
MAX_NAME_CHARS = 256
BCP47 = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")
# Telegram clients send "/start" when someone opens the bot (with a payload from a
# t.me/<bot>?start=<payload> link): the first is a greeting, the payload what they came about.
START = re.compile(r"/start(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?", re.DOTALL)
GREETING = "Hi"
# Control characters (NUL above all) that no customer types; PostgreSQL text cannot store NUL.
# Media a customer may send instead of words: the first one present names the placeholder.
MEDIA = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "sticker",
    "location",
    "venue",
    "poll",
    "dice",
)

# Telegram ids fit in 64 bits (chat ids up to 52 significant bits); bounding them keeps every
# derived key short and every timestamp convertible.
Id = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
UnixTime = Annotated[int, Field(ge=0, le=2**37)]


class Model(BaseModel):
    """Telegram adds fields with every Bot API version: keep what we read, ignore the rest."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class User(Model):
    id: Id
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class Chat(Model):
    id: Id
    type: str


class Contact(Model):
    phone_number: str = Field(max_length=64)
    user_id: Id | None = None


class Button(Model):
    text: str = ""
    callback_data: str | None = None


class Markup(Model):
    inline_keyboard: list[list[Button]] = Field(default_factory=list)


class Message(Model):
    message_id: Id
    from_: User | None = Field(default=None, alias="from")
    chat: Chat
    date: UnixTime
    text: str | None = None
    caption: str | None = None
    contact: Contact | None = None
    forward_origin: Any = None
    forward_date: Any = None
    reply_markup: Markup | None = None
    photo: Any = None
    document: Any = None
    voice: Any = None
    audio: Any = None
    video: Any = None
    video_note: Any = None
    animation: Any = None
    sticker: Any = None
    location: Any = None
    venue: Any = None
    poll: Any = None
    dice: Any = None


class CallbackMessage(Model):
    """The message the pressed button was on. Too old: only chat, id and date 0, no markup."""

    message_id: Id
    chat: Chat
    reply_markup: Markup | None = None


class CallbackQuery(Model):
    id: str = Field(pattern=r"^[!-~]{1,128}$")  # printable ASCII: it becomes our event id
    from_: User = Field(alias="from")
    message: CallbackMessage | None = None
    data: str | None = None


class ChatMember(Model):
    status: str


class ChatMemberUpdated(Model):
    chat: Chat
    new_chat_member: ChatMember


class Update(Model):
    update_id: Id
    message: Message | None = None
    callback_query: CallbackQuery | None = None
    my_chat_member: ChatMemberUpdated | None = None


@dataclass(frozen=True)
class Parsed:
    """What one update means for us: a message to publish, a callback query to answer, or a
    change of whether the user blocks the bot; `ignored` says why nothing is published."""

    message: InboundMessage | None = None
    ignored: str | None = None
    callback_query_id: str | None = None
    blocked: tuple[str, bool] | None = None  # (chat id, whether the user now blocks the bot)


def read_update(body: bytes) -> Update:
    """Parsed and validated in one pass by pydantic's JSON parser, which, unlike json.loads,
    refuses lone surrogates (text that could never be encoded again) and deep nesting."""
    try:
        return Update.model_validate_json(body)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            raise Rejected(400, "bad_json", "The body is not valid JSON.") from None
        raise Rejected(400, "bad_payload", first_error(exc)) from None


def parse_update(update: Update, *, bot_id: str, now: datetime, max_bytes: int) -> Parsed:
    if update.callback_query is not None:
        return _callback(update.callback_query, bot_id=bot_id, now=now, max_bytes=max_bytes)
    if update.message is not None:
        return _message(update.message, bot_id=bot_id, now=now, max_bytes=max_bytes)
    if update.my_chat_member is not None:
        change = update.my_chat_member
        if change.chat.type != PRIVATE:
            return Parsed(ignored="group_membership")
        # In a private chat, "kicked" is the user blocking the bot; "member" unblocking it.
        status = change.new_chat_member.status
        if status in ("kicked", "member"):
            return Parsed(ignored="membership", blocked=(str(change.chat.id), status == "kicked"))
        return Parsed(ignored="membership")
    return Parsed(ignored="update_kind")


def _message(message: Message, *, bot_id: str, now: datetime, max_bytes: int) -> Parsed:
    sender = message.from_
    if sender is None:
        return Parsed(ignored="no_sender")
    if sender.is_bot:
        return Parsed(ignored="bot_sender")
    if message.chat.type != PRIVATE:
        return Parsed(ignored="not_private")
    phone: str | None = None
    if message.text is not None:
        start = START.fullmatch(message.text.strip())
        text = (start.group(1) or GREETING) if start else message.text
    elif message.caption is not None:
        text = message.caption
    elif message.contact is not None:
        number = _e164(message.contact.phone_number)
        text = number or message.contact.phone_number
        phone = number if _own_contact(message, sender) else None
    else:
        kind = next((k for k in MEDIA if getattr(message, k) is not None), None)
        if kind is None:
            return Parsed(ignored="service_message")
        text = f"[{kind}]"
    text = clip(clean(text), max_bytes)
    if not text:
        return Parsed(ignored="empty")
    inbound = _inbound(
        provider_message_id=f"{bot_id}:{message.chat.id}:{message.message_id}",
        chat_id=message.chat.id,
        sender=sender,
        text=text,
        phone=phone,
        occurred_at=datetime.fromtimestamp(message.date, UTC) if message.date else now,
        now=now,
    )
    return Parsed(message=inbound)


def _callback(query: CallbackQuery, *, bot_id: str, now: datetime, max_bytes: int) -> Parsed:
    """A quick-reply button press reads as if the customer had typed the button's label."""
    answer = query.id
    if query.message is None:  # a button on an inline-mode message: not one of ours
        return Parsed(ignored="inline_callback", callback_query_id=answer)
    if query.from_.is_bot or query.message.chat.type != PRIVATE:
        return Parsed(ignored="not_private", callback_query_id=answer)
    text = clip(clean(_label(query)), max_bytes)
    if not text:
        return Parsed(ignored="empty", callback_query_id=answer)
    inbound = _inbound(
        provider_message_id=f"{bot_id}:cb:{query.id}",
        chat_id=query.message.chat.id,
        sender=query.from_,
        text=text,
        phone=None,
        occurred_at=now,
        now=now,
    )
    return Parsed(message=inbound, callback_query_id=answer)


def _label(query: CallbackQuery) -> str:
    """The pressed button's label (callback_data holds at most 64 bytes of it), found on the
    message it was attached to; the data itself when that message is too old to carry it."""
    data = query.data or ""
    markup = query.message.reply_markup if query.message else None
    for row in markup.inline_keyboard if markup else []:
        for button in row:
            if button.callback_data == data and button.text:
                return button.text
    return data


def _inbound(
    *,
    provider_message_id: str,
    chat_id: int,
    sender: User,
    text: str,
    phone: str | None,
    occurred_at: datetime,
    now: datetime,
) -> InboundMessage:
    """The provider id is bot + chat + message: unique for ever (update_id restarts at random
    after a week without updates, and another bot's chats reuse message numbers)."""
    name = clean(" ".join(p for p in (sender.first_name, sender.last_name) if p))[:MAX_NAME_CHARS]
    language = sender.language_code
    try:
        return InboundMessage(
            event_id=InboundMessage.make_id(PROVIDER, provider_message_id),
            trace_id=uuid.uuid4().hex,
            occurred_at=occurred_at,
            channel=NAME,
            provider=PROVIDER,
            provider_message_id=provider_message_id,
            conversation_key=f"{NAME}:{chat_id}",
            sender=Party(id=str(sender.id), name=name or None, phone=phone),
            text=text,
            language=language if language and BCP47.fullmatch(language) else None,
            received_at=now,
            route={"chat_id": str(chat_id)},
        )
    except ValidationError as exc:  # pragma: no cover - every field is bounded above
        raise Rejected(400, "bad_payload", first_error(exc)) from None


def _own_contact(message: Message, sender: User) -> bool:
    """The user shared their own account's number (Telegram checked it by SMS at sign-up and
    fills contact.user_id itself from the number): proof of the phone, unless forwarded."""
    contact = message.contact
    forwarded = message.forward_origin is not None or message.forward_date is not None
    return contact is not None and contact.user_id == sender.id and not forwarded


def _e164(raw: str) -> str | None:
    """Telegram gives the number in international form, usually without the '+'."""
    digits = raw.strip()
    if not digits.startswith("+"):
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

"""Block Kit payloads for the escalation desk: the card, the reply modal, thread posts.

Pure functions, no I/O: the desk posts what they return. The desk channel is read by a whole
team, so the customer's address is masked (a***@example.com, +1••••••0134) and so is every
address or phone number inside what they wrote. Everything that did not come from this
module is escaped for mrkdwn (& < >) and sent with `verbatim`, so a customer cannot ping
`<!channel>` or smuggle a link, and every text is cut to Block Kit's limits, so a 60 KB
e-mail still gets its card instead of an `invalid_blocks`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import phonenumbers

from channels.text import clean
from router.events import DeskCommand, Escalation, HandoffMessage, OrderFacts, Party, ShipmentFacts
from router.logging import mask

Block = dict[str, Any]
Payload = tuple[str, list[Block]]
"""(fallback text for notifications and old clients, blocks)."""

# Action ids of the card's buttons; every button's value is the escalation id.
SEND_SUGGESTED = "wismo_send_suggested"
REPLY = "wismo_reply"  # opens REPLY_MODAL rather than acting
APPROVE_RESHIP = "wismo_approve_reship"
APPROVE_REFUND = "wismo_approve_refund"
TAKE_OVER = "wismo_take_over"
RESOLVE = "wismo_resolve"
ACTIONS_BLOCK = "wismo_actions"

REPLY_MODAL = "wismo_reply_modal"
REPLY_BLOCK = "reply"
REPLY_INPUT = "text"

COMMANDS: dict[str, DeskCommand] = {
    SEND_SUGGESTED: DeskCommand.SEND_SUGGESTED,
    APPROVE_RESHIP: DeskCommand.APPROVE_RESHIP,
    APPROVE_REFUND: DeskCommand.APPROVE_REFUND,
    TAKE_OVER: DeskCommand.TAKE_OVER,
    RESOLVE: DeskCommand.RESOLVE,
}
"""What a button does; REPLY is not here: it opens a modal, whose submission is the reply."""

REMEDY_BUTTONS: dict[str, str] = {"reship": APPROVE_RESHIP, "refund": APPROVE_REFUND}

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30
MAX_MODAL_TITLE = 24
MAX_INPUT_CHARS = 3000

# How much of each text the card shows; the rest is one click away in the conversation.
CUSTOMER_EXCERPT = 600
SUGGESTED_EXCERPT = 1500
THREAD_EXCERPT = 1400
FALLBACK_CHARS = 300
SHORT = 120  # names, rules, carriers, locations
MAX_SHIPMENT_LINE = 400
MAX_MENTIONED = 10  # order and tracking numbers listed from the message

ELLIPSIS = "…"
DOT = "\u2022"  # the masking bullet
SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")
SPECIAL_MENTION = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
WORD_JOINER = "\u2060"
BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
WHITESPACE = re.compile(r"\s")
# How far past the shown length a long text is read (then cut at a space), so the address
# patterns never see a 60 KB word (their run time grows with its square) and no e-mail
# address is cut in half before it is masked.
MASK_MARGIN = 320


@dataclass(frozen=True)
class CardState:
    """Where the escalation stands in the desk: decides the card's buttons and footer."""

    state: Literal["open", "taken", "resolved"] = "open"
    taken_by: str | None = None  # Slack user id
    resolved_by: str | None = None
    approved: frozenset[str] = field(default_factory=frozenset)  # "reship", "refund"
    suggested_sent: bool = False


OPEN = CardState()


# -- text helpers ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters as entities, and @channel/@here/@everyone defanged:
    what a customer wrote is shown, never interpreted as a mention or a link."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return SPECIAL_MENTION.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def _units(text: str) -> int:
    """Length as Slack may count it (UTF-16 code units): never more than Python's len()."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit(text: str, limit: int) -> str:
    """At most `limit` characters (UTF-16 units), "…" marking a cut, never inside an entity
    (a cut "&am" would show as text) or between the halves of a surrogate pair."""
    if _units(text) <= limit:
        return text
    used, cut = 0, len(text)
    for i, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit - 1:
            cut = i
            break
    head = text[:cut]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and len(head) - amp < len("&amp;"):
        head = head[:amp]
    return head.rstrip() + ELLIPSIS


def _clip(text: str, limit: int) -> str:
    """Unescaped text (plain_text, or before escaping), cut to `limit` with "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def masked_excerpt(text: str, limit: int) -> str:
    """What someone wrote, cleaned, with e-mail addresses, phone numbers and street
    addresses masked, cut to `limit` visible characters. Not yet escaped."""
    text = BLANK_LINES.sub("\n\n", clean(text))
    cut = len(text) > limit
    if len(text) > limit + MASK_MARGIN:
        head = text[: limit + MASK_MARGIN]
        spaces = [m.start() for m in WHITESPACE.finditer(head, limit)]
        text = head[: spaces[-1]] if spaces else head
    shown = mask(text)
    if len(shown) > limit or cut:
        shown = shown[: limit - 1].rstrip() + ELLIPSIS
    return shown


def _quote(text: str) -> str:
    """mrkdwn block quote of already-escaped text, one ">" per line."""
    return "\n".join(">" + (" " + line if line.strip() else "") for line in text.split("\n"))


def quoted(text: str, limit: int) -> str:
    """A customer's (or anyone's) text as a masked, escaped quote."""
    return _quote(escape(masked_excerpt(text, limit)) or "_(empty)_")


def _code(text: str, limit: int = SHORT) -> str:
    """Inline code for ids and names; a backtick inside would end the span early."""
    inner = escape(_clip(text, limit).replace("`", "'")) or " "
    return f"`{inner}`"


def mention(user_id: str) -> str:
    """`<@U123>` for a real Slack id; anything else is shown, not linked."""
    if SLACK_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return _code(user_id, 40)


def slack_date(when: datetime) -> str:
    """Shown in each reader's own time zone; ISO for clients that cannot."""
    fallback = when.isoformat(timespec="minutes")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


# -- masking -----------------------------------------------------------------------------------


def mask_email(address: str) -> str:
    """a***@example.com: enough to tell two customers apart, not enough to write to one."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return mask(_clip(address, SHORT))
    return f"{local[:1]}***@{_clip(domain, SHORT)}"


def mask_phone(phone: str) -> str:
    """+1••••••0134: the country code and the last four digits."""
    digits = re.sub(r"\D", "", phone)[:20]
    if len(digits) < 7:
        return DOT * max(len(digits), 3)
    prefix, national = "", digits
    if phone.strip().startswith("+"):
        try:
            parsed = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and parsed.country_code:
            prefix = f"+{parsed.country_code}"
            national = digits[len(str(parsed.country_code)) :]
    return prefix + DOT * (len(national) - 4) + national[-4:]


def mask_name(name: str) -> str:
    """Initials only ("J*** D***"): the card is for the order, not the person."""
    words = name.split()[:4]
    return " ".join(w[:1] + "***" for w in words)


def _mask_address(value: str) -> str:
    if "@" in value:
        return mask_email(value)
    if re.fullmatch(r"\+?[\d\s().-]{7,24}", value.strip()):
        return mask_phone(value)
    value = value.strip()
    return DOT * 3 + value[-4:] if len(value) > 8 else DOT * 3


def customer_label(party: Party | None) -> str:
    """Who wrote, masked, as plain text (escape before use in mrkdwn)."""
    if party is None:
        return "unknown"
    parts: list[str] = []
    if party.name and party.name.strip():
        parts.append(mask_name(party.name))
    if party.email:
        parts.append(mask_email(party.email))
    if party.phone:
        parts.append(mask_phone(party.phone))
    if party.id and party.id not in (party.email, party.phone):
        parts.append(f"id {_mask_address(party.id)}")
    return " · ".join(parts) or "unknown"


# -- block helpers -----------------------------------------------------------------------------


def _mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": fit(text, limit) or " ", "verbatim": True}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, limit) or " ", "emoji": True}


def _safe_plain(text: str) -> str:
    """For plain_text built from facts: without & < > there is nothing to escape."""
    return re.sub(r"[&<>]", "", text)


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:10]]}


def _confirm(title: str, text: str, confirm: str) -> dict[str, Any]:
    return {
        "title": _plain(title, MAX_CONFIRM_TITLE),
        "text": _plain(text, MAX_CONFIRM_TEXT),
        "confirm": _plain(confirm, MAX_CONFIRM_BUTTON),
        "deny": _plain("Cancel", MAX_CONFIRM_BUTTON),
    }


def _button(
    action_id: str,
    text: str,
    value: str,
    *,
    style: Literal["primary", "danger"] | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(text, MAX_BUTTON_TEXT),
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style is not None:
        button["style"] = style
    if confirm is not None:
        button["confirm"] = confirm
    return button


def _lines_within(head: str, lines: Sequence[str], limit: int, noun: str) -> str:
    """`head` and as many whole lines as fit, then "…and N more <noun>"."""
    text = head
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        more = f"\n…and {rest + 1} more {noun}"
        if len(text) + 1 + len(line) + (len(more) if rest else 0) > limit:
            return text + more
        text += "\n" + line
    return text


# -- the escalation card -----------------------------------------------------------------------


def _remedies(escalation: Escalation) -> list[str]:
    """needs_approval without repeats, in order."""
    return list(dict.fromkeys(r.strip().lower() for r in escalation.needs_approval if r.strip()))


def _order_number(order: OrderFacts | None) -> str | None:
    return _clip(order.number, 64) if order is not None else None


def _header(escalation: Escalation, state: CardState) -> Block:
    title = {
        "open": "🚨 Needs a human",
        "taken": "🙋 Taken over",
        "resolved": "✅ Resolved",
    }[state.state]
    number = _order_number(escalation.order)
    if number:
        title += f": order #{_safe_plain(number.lstrip('#'))}"
    return {"type": "header", "text": _plain(title, MAX_HEADER_TEXT)}


def _why(escalation: Escalation) -> str:
    return (
        f"*Why:* {escape(_clip(escalation.reason, 500))} "
        f"(rule {_code(escalation.rule)}, intent {_code(escalation.intent)})"
    )


def _facts_fields(escalation: Escalation) -> Block:
    customer = escape(customer_label(escalation.recipient))
    confidence = f"{escalation.confidence:.0%}" if escalation.confidence is not None else "n/a"
    fields = [
        f"*Customer*\n{customer}",
        f"*Channel*\n{_code(escalation.channel)} via {_code(escalation.provider)}",
        f"*Language*\n{_code(escalation.language, 35)}",
        f"*Confidence*\n{confidence}",
    ]
    if escalation.classifier:
        fields.append(f"*Classifier*\n{_code(escalation.classifier)}")
    if escalation.received_at is not None:
        fields.append(f"*Received*\n{slack_date(escalation.received_at)}")
    return {
        "type": "section",
        "fields": [_mrkdwn(f, MAX_FIELD_TEXT) for f in fields[:MAX_FIELDS]],
    }


def _shipment_line(shipment: ShipmentFacts) -> str:
    parts: list[str] = []
    who = escape(_clip(shipment.carrier, SHORT)) if shipment.carrier else "carrier unknown"
    number = shipment.tracking_number
    tracking = _code(number, 64) if number else "no tracking number"
    url = shipment.tracking_url
    if number and url and re.fullmatch(r"https?://[^\s<>|]{1,300}", url):
        tracking += f" (<{url.replace('&', '&amp;')}|track>)"
    status = f"*{escape(shipment.status.value.replace('_', ' '))}*"
    if shipment.status_detail:
        status += f" ({escape(_clip(shipment.status_detail, SHORT))})"
    parts.append(f"• {who} {tracking}: {status}")
    if shipment.action_required:
        parts.append("⚠️ action required")
    if shipment.reason:
        parts.append(f"reason {escape(_clip(shipment.reason, SHORT))}")
    if shipment.last_scan_at is not None:
        scan = f"last scan {slack_date(shipment.last_scan_at)}"
        if shipment.last_location:
            scan += f" in {escape(_clip(shipment.last_location, SHORT))}"
        parts.append(scan)
    if shipment.delivered_at is not None:
        parts.append(f"delivered {slack_date(shipment.delivered_at)}")
    elif shipment.estimated_delivery is not None:
        parts.append(f"ETA {shipment.estimated_delivery.isoformat()}")
    line = " · ".join(parts)
    if len(line) > MAX_SHIPMENT_LINE and url:  # a cut link would show as broken markup
        return _shipment_line(shipment.model_copy(update={"tracking_url": None}))
    return fit(line, MAX_SHIPMENT_LINE)


def _order_section(order: OrderFacts | None) -> Block:
    if order is None:
        return _section("*Order:* none found for this message")
    head = [f"*Order #{escape(_clip(order.number.lstrip('#'), 64))}*"]
    if order.status:
        head.append(f"status {_code(order.status, 40)}")
    if order.fulfillment_status:
        head.append(f"fulfillment {_code(order.fulfillment_status, 40)}")
    if order.placed_at is not None:
        head.append(f"placed {slack_date(order.placed_at)}")
    if order.promised_by is not None:
        head.append(f"promised by {order.promised_by.isoformat()}")
    if order.expected_ship_by is not None:
        head.append(f"ships by {order.expected_ship_by.isoformat()}")
    lines = [_shipment_line(s) for s in order.shipments] or ["• no shipment yet"]
    return _section(_lines_within(" · ".join(head), lines, MAX_SECTION_TEXT, "shipments"))


def _mentioned(escalation: Escalation) -> str | None:
    """Order and tracking numbers the classifier found in the message."""
    entities = escalation.entities
    parts: list[str] = []
    orders = list(dict.fromkeys(entities.order_numbers))[:MAX_MENTIONED]
    if orders:
        parts.append("orders " + ", ".join(_code(n, 64) for n in orders))
    refs = entities.tracking_numbers[:MAX_MENTIONED]
    if refs:
        shown = [
            _code(r.number, 64) + (f" ({escape(_clip(r.carrier, 40))})" if r.carrier else "")
            for r in refs
        ]
        parts.append("tracking " + ", ".join(shown))
    return "*Found in the message:* " + " · ".join(parts) if parts else None


def _suggested(escalation: Escalation, state: CardState) -> str:
    if not escalation.suggested_reply:
        return "*No suggested reply:* write one with *Reply…*"
    label = "*Suggested reply* (sent ✓):" if state.suggested_sent else "*Suggested reply:*"
    return label + "\n" + quoted(escalation.suggested_reply, SUGGESTED_EXCERPT)


def _approvals(remedies: Sequence[str], state: CardState) -> str:
    shown = [
        escape(_clip(r, 40)) + (" (approved ✓)" if r in state.approved else "")
        for r in remedies[:10]
    ]
    return "*Needs approval:* " + ", ".join(shown)


def _status(escalation: Escalation, state: CardState) -> str:
    ref = f"id {_code(escalation.event_id, 512)}"
    if state.state == "resolved":
        who = f"by {mention(state.resolved_by)}" if state.resolved_by else "(no human activity)"
        return f"✅ Resolved {who} · {ref}"
    if state.state == "taken":
        who = mention(state.taken_by) if state.taken_by else "a human"
        return f"🙋 Taken over by {who}: the bot stays quiet · {ref}"
    return f"Waiting for a human · {ref}"


def _buttons(escalation: Escalation, remedies: Sequence[str], state: CardState) -> list[Block]:
    value = escalation.event_id
    number = _order_number(escalation.order)
    order = f"order #{_safe_plain(number.lstrip('#'))}" if number else "this order"
    buttons: list[dict[str, Any]] = []
    if escalation.suggested_reply and not state.suggested_sent:
        buttons.append(_button(SEND_SUGGESTED, "Send suggested reply", value, style="primary"))
    buttons.append(_button(REPLY, "Reply…", value))
    for remedy, action_id in REMEDY_BUTTONS.items():
        if remedy in remedies and remedy not in state.approved:
            what = {
                "reship": f"A replacement for {order} ships at the shop's cost.",
                "refund": f"{order[0].upper()}{order[1:]} is refunded.",
            }[remedy]
            confirm = _confirm(
                f"Approve the {remedy}?",
                f"{what} The customer is told.",
                f"Approve {remedy}",
            )
            buttons.append(_button(action_id, f"Approve {remedy}", value, confirm=confirm))
    if state.state == "open":
        buttons.append(_button(TAKE_OVER, "Take over", value))
    resolve = _confirm(
        "Resolve this escalation?",
        "The card closes and the bot answers this customer again.",
        "Resolve",
    )
    buttons.append(_button(RESOLVE, "Resolve", value, confirm=resolve))
    return [{"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons}]


def _fallback(escalation: Escalation, state: CardState) -> str:
    number = _order_number(escalation.order)
    parts = [
        {"open": "Escalation", "taken": "Escalation (taken)", "resolved": "Resolved"}[state.state]
        + f": {_clip(escalation.reason, 120)}",
        f"order #{number.lstrip('#')}" if number else "no order",
        f"{escalation.channel} via {escalation.provider}",
        customer_label(escalation.recipient),
    ]
    return fit(escape(mask(" · ".join(parts))), FALLBACK_CHARS)


def escalation_card(escalation: Escalation, state: CardState = OPEN) -> Payload:
    """The card a human acts on: who, what they asked, the facts, why the bot stepped back,
    what it would say, and the buttons that are still meaningful in `state`."""
    remedies = _remedies(escalation)
    blocks: list[Block] = [
        _header(escalation, state),
        _section(_why(escalation)),
        _facts_fields(escalation),
        _section("*Customer wrote:*\n" + quoted(escalation.customer_text, CUSTOMER_EXCERPT)),
        _order_section(escalation.order),
    ]
    found = _mentioned(escalation)
    if found:
        blocks.append(_section(found))
    blocks.append(_section(_suggested(escalation, state)))
    if remedies:
        blocks.append(_section(_approvals(remedies, state)))
    blocks.append(_context(_status(escalation, state)))
    if state.state != "resolved":
        blocks.extend(_buttons(escalation, remedies, state))
    return _fallback(escalation, state), blocks[:MAX_BLOCKS]


# -- the reply modal ---------------------------------------------------------------------------


def reply_modal(escalation_id: str, *, suggested: str | None) -> dict[str, Any]:
    """The views.open view for "Reply…": one text box, prefilled with the suggested reply.

    The text is what the customer gets, so it is not masked; private_metadata carries the
    escalation id back with the submission."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REPLY_INPUT,
        "multiline": True,
        "max_length": MAX_INPUT_CHARS,
        "placeholder": _plain("Write to the customer…", 150),
    }
    initial = clean(suggested or "")
    if initial:
        element["initial_value"] = _clip(initial, MAX_INPUT_CHARS)
    return {
        "type": "modal",
        "callback_id": REPLY_MODAL,
        "private_metadata": escalation_id,
        "title": _plain("Reply to the customer", MAX_MODAL_TITLE),
        "submit": _plain("Send", MAX_MODAL_TITLE),
        "close": _plain("Cancel", MAX_MODAL_TITLE),
        "blocks": [
            {
                "type": "input",
                "block_id": REPLY_BLOCK,
                "label": _plain("Your reply", 2000),
                "element": element,
                "hint": _plain("Sent as written, on the customer's own channel.", 2000),
            }
        ],
    }


# -- thread posts ------------------------------------------------------------------------------


def handoff_message_blocks(message: HandoffMessage) -> Payload:
    """A new customer message in the escalation's thread, and what the bot did about it."""
    blocks = [_section("*Customer wrote:*\n" + quoted(message.customer_text, THREAD_EXCERPT))]
    if message.bot_reply is not None:
        blocks.append(_section("*Bot answered:*\n" + quoted(message.bot_reply, THREAD_EXCERPT)))
    else:
        blocks.append(_context("_(the bot stayed quiet: a human holds this conversation)_"))
    fallback = "Customer wrote: " + escape(masked_excerpt(message.customer_text, 200))
    return fit(fallback, FALLBACK_CHARS), blocks


def human_reply_notice(user_id: str, text: str) -> Payload:
    """What a human sent to the customer, for the thread's record."""
    who = mention(user_id)
    blocks = [_section(f"{who} sent to the customer:\n" + quoted(text, THREAD_EXCERPT))]
    fallback = f"{who} sent to the customer: " + escape(masked_excerpt(text, 200))
    return fit(fallback, FALLBACK_CHARS), blocks


def action_notice(user_id: str | None, what: str) -> Payload:
    """A line like "<@U1> took this over" or "<@U1> approved the reship (R-1)"; without a
    user, a notice from the desk itself (an idle hand-back)."""
    text = escape(_clip(" ".join(what.split()), 1000))
    if user_id is not None:
        text = f"{mention(user_id)} {text}"
    return fit(text, FALLBACK_CHARS), [_section(text)]


def _duration(minutes: int) -> str:
    minutes = max(minutes, 0)
    if minutes < 60:
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def sla_ping(group_id: str | None, waited_minutes: int) -> Payload:
    """The reminder when nobody picked an escalation up in time. The mention is in the
    fallback text too: Slack notifies from that, not from the blocks."""
    who = f"<!subteam^{group_id}>" if group_id and SLACK_ID.fullmatch(group_id) else "<!here>"
    text = f"{who} this escalation has waited {_duration(waited_minutes)} for a human."
    return text, [_section(f"⏰ {text} *Take over* or *Reply…* on the card above.")]


def error_text(problem: str, *, hint: str | None = None) -> Payload:
    """An ephemeral "that did not work", for the one human who clicked."""
    text = "⚠️ " + escape(_clip(" ".join(problem.split()), 1000))
    blocks = [_section(text)]
    if hint:
        blocks.append(_context(escape(_clip(hint, 1000))))
    return fit(text, FALLBACK_CHARS), blocks

"""channels/slack/blocks.py: what each builder shows, which buttons each card state has, that
no customer address survives into the JSON, that no customer text is read as a mention, and
that huge inputs stay within Block Kit's limits. Every payload is parsed back with slack_sdk's
Block Kit models, so a typo in a block or a field fails here rather than in Slack."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from channels.slack import blocks
from channels.slack.blocks import CardState
from router.events import (
    DeskCommand,
    Entities,
    Escalation,
    HandoffMessage,
    OrderFacts,
    Party,
    ShipmentFacts,
    ShipmentStatus,
    TrackingRef,
)

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
EMAIL = "jane.doe@example.com"
PHONE = "+14155550134"
ESCALATION_ID = "escalation:twilio:SM0123456789abcdef0123456789abcdef"
INJECTION = "<!channel> <!here|here> <@U0ADMIN> <https://evil.example|click here> @everyone & co"
ALL_BUTTONS = [
    blocks.SEND_SUGGESTED,
    blocks.REPLY,
    blocks.APPROVE_RESHIP,
    blocks.APPROVE_REFUND,
    blocks.TAKE_OVER,
    blocks.RESOLVE,
]


def shipment(**over: Any) -> ShipmentFacts:
    values: dict[str, Any] = {
        "carrier": "UPS",
        "tracking_number": "1ZXK3DEG0359083017",
        "tracking_url": "https://ups.example/track?n=1ZXK3DEG0359083017&lang=en",
        "status": ShipmentStatus.IN_TRANSIT,
        "status_detail": "Departed facility",
        "last_scan_at": NOW - timedelta(hours=30),
        "last_location": "Memphis, TN",
        "estimated_delivery": date(2026, 3, 6),
        **over,
    }
    return ShipmentFacts(**values)


def escalation(**over: Any) -> Escalation:
    values: dict[str, Any] = {
        "event_id": ESCALATION_ID,
        "occurred_at": NOW,
        "inbound_id": "twilio:SM0123456789abcdef0123456789abcdef",
        "decision_id": "decision:twilio:SM0123456789abcdef0123456789abcdef",
        "conversation_key": f"sms:{PHONE}:+14155552671",
        "channel": "sms",
        "provider": "twilio",
        "reason": "The parcel has not moved for 30 hours",
        "rule": "stale_tracking",
        "intent": "where_is_my_order",
        "language": "en",
        "customer_text": f"Hi, where is order #1001? Write to {EMAIL} or call +1 415 555 0134.",
        "suggested_reply": "Your order #1001 is with UPS, due on March 6.",
        "order": OrderFacts(
            number="1001",
            placed_at=NOW - timedelta(days=5),
            status="open",
            fulfillment_status="fulfilled",
            promised_by=date(2026, 3, 5),
            shipments=[shipment()],
        ),
        "needs_approval": ["reship", "refund"],
        "recipient": Party(id=PHONE, name="Jane Doe", email=EMAIL, phone=PHONE),
        "entities": Entities(
            order_numbers=["1001"],
            tracking_numbers=[TrackingRef(number="1ZXK3DEG0359083017", carrier="ups")],
            emails=[EMAIL],
            phones=[PHONE],
        ),
        "confidence": 0.87,
        "classifier": "tfidf@3",
        "received_at": NOW,
        **over,
    }
    return Escalation(**values)


def validate(payload: list[dict[str, Any]]) -> None:
    """Each block parses as the Block Kit type it claims and survives a round trip through
    slack_sdk's models unchanged (they drop keys they do not know: a typo)."""
    assert payload
    for block in payload:
        model = Block.parse(block)
        assert model is not None, f"unknown block type: {block.get('type')}"
        model.validate_json()
        assert model.to_dict() == block


def validate_view(view: dict[str, Any]) -> None:
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view
    validate(view["blocks"])


def texts(node: Any) -> list[str]:
    """Every text object's text, anywhere in a payload."""
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") in ("mrkdwn", "plain_text") else []
        return found + [t for value in node.values() for t in texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in texts(value)]
    return []


def buttons(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in payload if b["type"] == "actions" for e in b["elements"]]


def action_ids(payload: list[dict[str, Any]]) -> list[str]:
    return [b["action_id"] for b in buttons(payload)]


def everything(payload: tuple[str, list[dict[str, Any]]]) -> str:
    return json.dumps(payload, ensure_ascii=False)


# -- constants ---------------------------------------------------------------------------------


def test_commands_map_buttons_to_desk_commands() -> None:
    assert blocks.COMMANDS == {
        blocks.SEND_SUGGESTED: DeskCommand.SEND_SUGGESTED,
        blocks.APPROVE_RESHIP: DeskCommand.APPROVE_RESHIP,
        blocks.APPROVE_REFUND: DeskCommand.APPROVE_REFUND,
        blocks.TAKE_OVER: DeskCommand.TAKE_OVER,
        blocks.RESOLVE: DeskCommand.RESOLVE,
    }
    assert blocks.REPLY not in blocks.COMMANDS  # it opens the modal
    assert len(set(ALL_BUTTONS)) == len(ALL_BUTTONS)
    assert (blocks.REPLY_MODAL, blocks.REPLY_BLOCK, blocks.REPLY_INPUT) == (
        "wismo_reply_modal",
        "reply",
        "text",
    )


# -- the escalation card -----------------------------------------------------------------------


def test_the_card_shows_what_a_human_needs() -> None:
    text, payload = blocks.escalation_card(escalation())
    validate(payload)
    shown = "\n".join(texts(payload))
    for expected in [
        "order #1001",
        "J*** D***",
        "j***@example.com",
        "+1••••••0134",
        "`sms` via `twilio`",
        "`en`",
        "*Customer wrote:*\n> Hi, where is order #1001?",
        "status `open`",
        "fulfillment `fulfilled`",
        "promised by 2026-03-05",
        "UPS `1ZXK3DEG0359083017`",
        "<https://ups.example/track?n=1ZXK3DEG0359083017&amp;lang=en|track>",
        "*in transit* (Departed facility)",
        "last scan <!date^",
        "in Memphis, TN",
        "ETA 2026-03-06",
        "intent `where_is_my_order`",
        "87%",
        "`tfidf@3`",
        "orders `1001`",
        "tracking `1ZXK3DEG0359083017` (ups)",
        "*Why:* The parcel has not moved for 30 hours (rule `stale_tracking`",
        "*Suggested reply:*\n> Your order #1001 is with UPS, due on March 6.",
        "*Needs approval:* reship, refund",
        ESCALATION_ID,
    ]:
        assert expected in shown, expected
    assert payload[0]["type"] == "header"
    assert text.startswith("Escalation: The parcel has not moved")
    assert "order #1001" in text


def test_a_card_without_order_customer_or_suggestion() -> None:
    bare = escalation(
        order=None,
        recipient=None,
        suggested_reply=None,
        needs_approval=[],
        entities=Entities(),
        confidence=None,
        classifier=None,
        received_at=None,
    )
    text, payload = blocks.escalation_card(bare)
    validate(payload)
    shown = "\n".join(texts(payload))
    assert "*Order:* none found" in shown
    assert "*No suggested reply:*" in shown
    assert "n/a" in shown
    assert "Needs approval" not in shown
    assert action_ids(payload) == [blocks.REPLY, blocks.TAKE_OVER, blocks.RESOLVE]
    assert "no order" in text


@pytest.mark.parametrize(
    ("over", "state", "expected"),
    [
        ({}, CardState(), ALL_BUTTONS),
        (
            {},
            CardState(state="taken", taken_by="U0TAKER01"),
            [b for b in ALL_BUTTONS if b != blocks.TAKE_OVER],
        ),
        (
            {},
            CardState(suggested_sent=True, approved=frozenset({"reship"})),
            [blocks.REPLY, blocks.APPROVE_REFUND, blocks.TAKE_OVER, blocks.RESOLVE],
        ),
        (
            {"needs_approval": ["refund"], "suggested_reply": None},
            CardState(),
            [blocks.REPLY, blocks.APPROVE_REFUND, blocks.TAKE_OVER, blocks.RESOLVE],
        ),
        (
            {"needs_approval": ["reship", "reship", "store credit"]},
            CardState(approved=frozenset({"refund"})),
            [
                blocks.SEND_SUGGESTED,
                blocks.REPLY,
                blocks.APPROVE_RESHIP,
                blocks.TAKE_OVER,
                blocks.RESOLVE,
            ],
        ),
        ({}, CardState(state="resolved", resolved_by="U0CLOSER1"), []),
    ],
)
def test_buttons_per_state(over: dict[str, Any], state: CardState, expected: list[str]) -> None:
    _, payload = blocks.escalation_card(escalation(**over), state)
    validate(payload)
    assert action_ids(payload) == expected
    assert len(payload) <= blocks.MAX_BLOCKS


def test_every_button_carries_the_escalation_id() -> None:
    _, payload = blocks.escalation_card(escalation())
    [actions] = [b for b in payload if b["type"] == "actions"]
    assert actions["block_id"] == blocks.ACTIONS_BLOCK
    by_id = {b["action_id"]: b for b in buttons(payload)}
    assert {b["value"] for b in by_id.values()} == {ESCALATION_ID}
    assert by_id[blocks.SEND_SUGGESTED]["style"] == "primary"
    assert by_id[blocks.SEND_SUGGESTED]["text"]["text"] == "Send suggested reply"
    assert by_id[blocks.REPLY]["text"]["text"] == "Reply…"
    for confirmed in (blocks.APPROVE_RESHIP, blocks.APPROVE_REFUND, blocks.RESOLVE):
        confirm = by_id[confirmed]["confirm"]
        assert confirm["confirm"]["text"]
        assert confirm["deny"]["text"] == "Cancel"
    assert "order #1001" in by_id[blocks.APPROVE_RESHIP]["confirm"]["text"]["text"]
    assert "confirm" not in by_id[blocks.TAKE_OVER]


def test_a_long_escalation_id_is_the_whole_value() -> None:
    long_id = "escalation:" + "x" * 500
    _, payload = blocks.escalation_card(escalation(event_id=long_id))
    validate(payload)
    assert {b["value"] for b in buttons(payload)} == {long_id}


def test_a_taken_card_says_who_took_it() -> None:
    state = CardState(state="taken", taken_by="U0TAKER01", approved=frozenset({"reship"}))
    text, payload = blocks.escalation_card(escalation(), state)
    shown = "\n".join(texts(payload))
    assert "Taken over by <@U0TAKER01>" in shown
    assert "reship (approved ✓)" in shown
    assert payload[0]["text"]["text"].startswith("🙋 Taken over")
    assert "(taken)" in text


def test_a_resolved_card_has_no_buttons_and_says_who_resolved_it() -> None:
    state = CardState(state="resolved", resolved_by="U0CLOSER1", suggested_sent=True)
    text, payload = blocks.escalation_card(escalation(), state)
    validate(payload)
    assert not [b for b in payload if b["type"] == "actions"]
    shown = "\n".join(texts(payload))
    assert "Resolved by <@U0CLOSER1>" in shown
    assert "*Suggested reply* (sent ✓):" in shown
    assert text.startswith("Resolved:")
    idle = blocks.escalation_card(escalation(), CardState(state="resolved"))[1]
    assert "no human activity" in "\n".join(texts(idle))


def test_a_malformed_user_id_is_shown_not_mentioned() -> None:
    state = CardState(state="taken", taken_by="<!channel>")
    _, payload = blocks.escalation_card(escalation(), state)
    assert "<!channel>" not in everything(("", payload))
    assert "`&lt;!channel&gt;`" in "\n".join(texts(payload))


# -- masking -----------------------------------------------------------------------------------


def assert_no_address(dumped: str) -> None:
    for secret in (EMAIL, "jane.doe", PHONE, "4155550134", "415 555 0134", "555-0134", "Jane Doe"):
        assert secret not in dumped, secret


@pytest.mark.parametrize(
    "party",
    [
        Party(id=PHONE, name="Jane Doe", email=EMAIL, phone=PHONE),
        Party(id=EMAIL, email=EMAIL),
        Party(id=EMAIL),
        Party(id=PHONE),
        Party(id="webchat-session-7f3a9c", name="Jane Doe", phone="+1 (415) 555-0134"),
    ],
)
def test_no_address_or_phone_reaches_the_card(party: Party) -> None:
    card = blocks.escalation_card(escalation(recipient=party))
    dumped = everything(card)
    assert_no_address(dumped)
    assert_no_address(json.dumps(card))  # as slack_sdk sends it (ASCII escapes)
    assert "j***@example.com" in dumped or "+1••••••0134" in dumped or "0134" in dumped


def test_addresses_in_what_the_customer_wrote_are_masked() -> None:
    text = f"My e-mail is {EMAIL}, phone 415-555-0134, I live at 12 Main Street."
    card = blocks.escalation_card(
        escalation(customer_text=text, suggested_reply=f"We wrote to {EMAIL}.")
    )
    dumped = everything(card)
    assert_no_address(dumped)
    assert "12 Main Street" not in dumped
    message = HandoffMessage(
        event_id="handoff:twilio:SM2",
        occurred_at=NOW,
        inbound_id="twilio:SM2",
        conversation_key="sms:x",
        channel="sms",
        provider="twilio",
        customer_text=text,
        bot_reply=f"Noted: {PHONE}",
    )
    assert_no_address(everything(blocks.handoff_message_blocks(message)))
    assert_no_address(everything(blocks.human_reply_notice("U0HUMAN01", text)))


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+14155550134", "+1••••••0134"),
        ("+447911123456", "+44••••••3456"),
        ("+1 (415) 555-0134", "+1••••••0134"),
        ("4155550134", "••••••0134"),
        ("12345", "•••••"),
        ("", "•••"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert blocks.mask_phone(phone) == masked


def test_mask_email_and_name() -> None:
    assert blocks.mask_email(EMAIL) == "j***@example.com"
    assert blocks.mask_email("a@b.example") == "a***@b.example"
    assert blocks.mask_name("Jane  Mary Doe") == "J*** M*** D***"
    assert blocks.customer_label(None) == "unknown"


# -- escaping ----------------------------------------------------------------------------------


def no_injection(dumped: str) -> None:
    for live in ("<!channel>", "<!here", "<@U0ADMIN>", "<https://evil.example", "@everyone"):
        assert live not in dumped, live


def test_customer_text_cannot_mention_or_link() -> None:
    card = blocks.escalation_card(
        escalation(
            customer_text=INJECTION,
            suggested_reply=INJECTION,
            reason=INJECTION,
            rule="rule`<!channel>`",
            language="<!here>",
            recipient=Party(id="x", name="<!channel>"),
            order=OrderFacts(number="<!channel>", shipments=[shipment(carrier=INJECTION)]),
            entities=Entities(
                order_numbers=["<!channel>"], tracking_numbers=[TrackingRef(number="<@U0ADMIN>")]
            ),
        )
    )
    validate(card[1])
    no_injection(everything(card))
    shown = "\n".join(texts(card[1]))
    assert "&lt;!channel&gt; &lt;!here|here&gt; &lt;@U0ADMIN&gt;" in shown
    assert "&amp; co" in shown
    assert "@\u2060everyone" in shown
    assert "&lt;!channel&gt;" in card[0]


def test_thread_posts_escape_too() -> None:
    message = HandoffMessage(
        event_id="handoff:twilio:SM3",
        occurred_at=NOW,
        inbound_id="twilio:SM3",
        conversation_key="sms:x",
        channel="sms",
        provider="twilio",
        customer_text=INJECTION,
        bot_reply=INJECTION,
    )
    for payload in (
        blocks.handoff_message_blocks(message),
        blocks.human_reply_notice("U0HUMAN01", INJECTION),
        blocks.action_notice("U0HUMAN01", INJECTION),
        blocks.action_notice(None, INJECTION),
        blocks.error_text(INJECTION, hint=INJECTION),
    ):
        validate(payload[1])
        no_injection(everything(payload))


@given(st.text(alphabet="a&<>;é😀 \n", max_size=300), st.integers(min_value=2, max_value=200))
def test_fit_never_splits_an_entity(text: str, limit: int) -> None:
    fitted = blocks.fit(blocks.escape(text), limit)
    assert len(fitted.encode("utf-16-le")) // 2 <= limit
    assert not re.search(r"&[a-z]{0,3}…$", fitted)
    assert not re.search(r"&(?!amp;|lt;|gt;)", fitted)


# -- limits ------------------------------------------------------------------------------------


def assert_within_limits(payload: list[dict[str, Any]]) -> None:
    assert len(payload) <= blocks.MAX_BLOCKS
    for block in payload:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= blocks.MAX_HEADER_TEXT
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= blocks.MAX_SECTION_TEXT
            for f in block.get("fields", []):
                assert len(f["text"]) <= blocks.MAX_FIELD_TEXT
            assert len(block.get("fields", [])) <= blocks.MAX_FIELDS
    for button in buttons(payload):
        assert len(button["text"]["text"]) <= blocks.MAX_BUTTON_TEXT
        assert len(button["value"]) <= blocks.MAX_BUTTON_VALUE
    assert all(len(t) <= blocks.MAX_SECTION_TEXT for t in texts(payload))


def test_huge_inputs_stay_within_block_kit_limits() -> None:
    huge = ("Where is my parcel & why <late>? " * 2000)[:60_000]
    long = "x" * 5000
    card = escalation(
        customer_text=huge,
        suggested_reply="&" * 60_000,
        reason=long,
        rule=long,
        classifier=long,
        order=OrderFacts(
            number="9" * 600,
            status=long,
            fulfillment_status=long,
            shipments=[
                shipment(
                    carrier=long,
                    tracking_number="T" * 500,
                    tracking_url="https://carrier.example/" + "a" * 290,
                    status_detail="&" * 5000,
                    reason=long,
                    last_location="<" * 5000,
                    action_required=True,
                )
                for _ in range(10)
            ],
        ),
        needs_approval=["reship", "refund", long] * 20,
        recipient=Party(id=long, name="N " * 5000, email="a" * 5000 + "@example.com"),
        entities=Entities(
            order_numbers=[f"{i}" * 100 for i in range(40)],
            tracking_numbers=[TrackingRef(number="Z" * 500, carrier=long)] * 40,
        ),
    )
    for state in (CardState(), CardState(state="taken", taken_by="U1"), CardState("resolved")):
        text, payload = blocks.escalation_card(card, state)
        validate(payload)
        assert_within_limits(payload)
        assert len(text) <= blocks.FALLBACK_CHARS
    shown = "\n".join(texts(blocks.escalation_card(card)[1]))
    assert "…and " in shown  # shipments that did not fit are counted, not dropped silently


def test_ten_ordinary_shipments_all_fit() -> None:
    order = OrderFacts(number="1001", shipments=[shipment() for _ in range(10)])
    _, payload = blocks.escalation_card(escalation(order=order))
    validate(payload)
    assert "\n".join(texts(payload)).count("UPS `1ZXK3DEG0359083017`") == 10


def test_the_customer_excerpt_is_cut_at_600_characters() -> None:
    text = "word " * 1000
    _, payload = blocks.escalation_card(escalation(customer_text=text))
    [quote] = [t for t in texts(payload) if t.startswith("*Customer wrote:*")]
    excerpt = quote.removeprefix("*Customer wrote:*\n> ")
    assert excerpt.endswith("…")
    assert len(excerpt) <= blocks.CUSTOMER_EXCERPT
    assert len(excerpt) > blocks.CUSTOMER_EXCERPT - 10


def test_the_suggested_reply_is_cut_at_1500_characters() -> None:
    _, payload = blocks.escalation_card(escalation(suggested_reply="y" * 4000))
    [quote] = [t for t in texts(payload) if t.startswith("*Suggested reply:*")]
    assert len(quote.removeprefix("*Suggested reply:*\n> ")) == blocks.SUGGESTED_EXCERPT


def test_a_60kb_word_is_masked_quickly() -> None:
    """The address patterns are quadratic in a word's length: only a bounded head is read."""
    started = datetime.now(UTC)
    blocks.escalation_card(escalation(customer_text="x" * 65_536, suggested_reply="y" * 65_536))
    assert datetime.now(UTC) - started < timedelta(seconds=1)


# -- the reply modal ---------------------------------------------------------------------------


def test_reply_modal() -> None:
    view = blocks.reply_modal(ESCALATION_ID, suggested="Your order is on its way.")
    validate_view(view)
    assert view["type"] == "modal"
    assert view["callback_id"] == blocks.REPLY_MODAL
    assert view["private_metadata"] == ESCALATION_ID
    assert len(view["title"]["text"]) <= blocks.MAX_MODAL_TITLE
    assert view["submit"]["text"] == "Send"
    assert view["close"]["text"] == "Cancel"
    [block] = view["blocks"]
    assert block["type"] == "input"
    assert block["block_id"] == blocks.REPLY_BLOCK
    element = block["element"]
    assert element["type"] == "plain_text_input"
    assert element["action_id"] == blocks.REPLY_INPUT
    assert element["multiline"] is True
    assert element["max_length"] == 3000
    assert element["initial_value"] == "Your order is on its way."


def test_reply_modal_without_or_with_a_huge_suggestion() -> None:
    empty = blocks.reply_modal("e1", suggested=None)
    validate_view(empty)
    assert "initial_value" not in empty["blocks"][0]["element"]
    assert "initial_value" not in blocks.reply_modal("e1", suggested="  ")["blocks"][0]["element"]
    huge = blocks.reply_modal("e1", suggested="z" * 10_000)
    validate_view(huge)
    assert len(huge["blocks"][0]["element"]["initial_value"]) == 3000


# -- thread posts ------------------------------------------------------------------------------


def handoff(bot_reply: str | None) -> HandoffMessage:
    return HandoffMessage(
        event_id="handoff:twilio:SM4",
        occurred_at=NOW,
        inbound_id="twilio:SM4",
        conversation_key="sms:x",
        channel="sms",
        provider="twilio",
        customer_text="Any news?",
        bot_reply=bot_reply,
    )


def test_handoff_message_with_the_bots_answer() -> None:
    text, payload = blocks.handoff_message_blocks(handoff("It is out for delivery."))
    validate(payload)
    shown = texts(payload)
    assert shown == ["*Customer wrote:*\n> Any news?", "*Bot answered:*\n> It is out for delivery."]
    assert text == "Customer wrote: Any news?"


def test_handoff_message_when_the_bot_stayed_quiet() -> None:
    _, payload = blocks.handoff_message_blocks(handoff(None))
    validate(payload)
    shown = "\n".join(texts(payload))
    assert "(the bot stayed quiet: a human holds this conversation)" in shown
    assert "Bot answered" not in shown


def test_handoff_message_with_a_huge_text() -> None:
    message = handoff("b" * 65_536).model_copy(update={"customer_text": "line\n" * 13_000})
    _, payload = blocks.handoff_message_blocks(message)
    validate(payload)
    assert_within_limits(payload)


def test_human_reply_notice() -> None:
    text, payload = blocks.human_reply_notice("U0HUMAN01", "It ships today.\nSorry!")
    validate(payload)
    assert texts(payload) == ["<@U0HUMAN01> sent to the customer:\n> It ships today.\n> Sorry!"]
    assert text.startswith("<@U0HUMAN01> sent to the customer: It ships today.")


def test_action_notice() -> None:
    text, payload = blocks.action_notice("U0HUMAN01", "approved the reship (ref R-1001)")
    validate(payload)
    assert text == "<@U0HUMAN01> approved the reship (ref R-1001)"
    assert texts(payload) == [text]
    text, payload = blocks.action_notice(None, "No human activity for 60 min.")
    validate(payload)
    assert text == "No human activity for 60 min."


@pytest.mark.parametrize(
    ("group", "minutes", "expected"),
    [
        ("S0DESK001", 15, "<!subteam^S0DESK001> this escalation has waited 15 minutes"),
        (None, 1, "<!here> this escalation has waited 1 minute"),
        ("not a group", 90, "<!here> this escalation has waited 1 h 30 min"),
        (None, 120, "<!here> this escalation has waited 2 h for a human."),
    ],
)
def test_sla_ping(group: str | None, minutes: int, expected: str) -> None:
    text, payload = blocks.sla_ping(group, minutes)
    validate(payload)
    assert text.startswith(expected) or expected in text
    assert expected.split(" ")[0] in texts(payload)[0]  # the mention is in the blocks too


def test_error_text() -> None:
    text, payload = blocks.error_text(
        "That escalation is already resolved.", hint="Reopen it from the conversation log."
    )
    validate(payload)
    assert text == "⚠️ That escalation is already resolved."
    assert texts(payload) == [text, "Reopen it from the conversation log."]
    assert blocks.error_text("Nope")[1] == [blocks.error_text("Nope")[1][0]]


# -- the validator itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typo",
    [
        {"type": "secton", "text": {"type": "mrkdwn", "text": "x"}},
        {"type": "section", "txt": {"type": "mrkdwn", "text": "x"}},
        {"type": "section", "text": {"type": "markdown", "text": "x"}},
        {"type": "actions", "elements": [{"type": "buton", "text": "x", "action_id": "a"}]},
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
    ],
)
def test_the_validator_catches_typos(typo: dict[str, Any]) -> None:
    with pytest.raises((AssertionError, SlackObjectFormationError)):
        validate([typo])

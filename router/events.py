"""The typed events on the stream: the only contract between roles and with other systems.

Every event is versioned. A published version is frozen by its JSON Schema file in
router/schemas/ (written by `wismo schema`), and tests/test_schemas.py fails when a change
would break a consumer of that version. Consumers ignore unknown fields, so adding an
optional field is always safe; removing, renaming, narrowing or adding a required field is
not — that needs a new version (a new class with SCHEMA_VERSION + 1).

The core knows events, not providers: channel and provider are plain names, so adding a
channel never changes a schema.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
"""A channel, provider, intent or rule name: lower-case, short, stable."""

EventId = Annotated[str, StringConstraints(min_length=1, max_length=512)]
Text = Annotated[str, StringConstraints(max_length=65_536)]

MAX_TEXT_CHARS = 65_536


class Model(BaseModel):
    """Frozen, and tolerant of fields a newer producer added."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(Model):
    """Common envelope fields; subclasses name their type and version."""

    EVENT_TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: EventId
    schema_version: int = 1
    trace_id: str = ""
    occurred_at: AwareDatetime

    @abstractmethod
    def key(self) -> str:
        """The partition key: events of one conversation (or parcel) stay in order."""


class Party(Model):
    """Who sent or receives a message, as the channel knows them."""

    id: str = Field(description="Channel address: session id, phone, e-mail, PSID, chat id")
    name: str | None = None
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164 when known")


class Attachment(Model):
    url: str
    content_type: str | None = None
    name: str | None = None


class InboundMessage(Event):
    """One customer message, verified and normalized by its channel adapter."""

    EVENT_TYPE: ClassVar[str] = "inbound_message"

    channel: Name
    provider: Name
    provider_message_id: str = Field(min_length=1, max_length=256)
    conversation_key: str = Field(min_length=1, max_length=512)
    sender: Party
    text: Text
    language: str | None = Field(default=None, description="Hint from the channel (BCP 47)")
    received_at: AwareDatetime
    route: dict[str, str] = Field(
        default_factory=dict, description="What the channel needs to reply (thread id, session…)"
    )
    attachments: list[Attachment] = Field(default_factory=list)

    @staticmethod
    def make_id(provider: str, provider_message_id: str) -> str:
        """The dedupe key: a provider retrying a webhook produces the same event id."""
        return f"{provider}:{provider_message_id}"

    def key(self) -> str:
        return self.conversation_key


class TrackingRef(Model):
    number: str
    carrier: str | None = None


class Entities(Model):
    order_numbers: list[str] = Field(default_factory=list)
    tracking_numbers: list[TrackingRef] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list, description="E.164")
    postcodes: list[str] = Field(default_factory=list)
    phone_last4: list[str] = Field(
        default_factory=list,
        description="Last four digits of a phone, when the customer gives them",
    )


class Classification(Event):
    """What the classifier found in one inbound message, and how sure it is."""

    EVENT_TYPE: ClassVar[str] = "classification"

    inbound_id: EventId
    conversation_key: str
    intent: Name
    wismo: bool
    confidence: float = Field(ge=0.0, le=1.0)
    unsure: bool = Field(description="Confidence below the configured threshold")
    language: str | None = None
    entities: Entities = Field(default_factory=Entities)
    classifier: str = Field(description="name@version of the classifier that produced this")

    def key(self) -> str:
        return self.conversation_key


class ShipmentStatus(StrEnum):
    """The canonical shipment vocabulary shared by replies and notices."""

    UNKNOWN = "unknown"
    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    ATTEMPT_FAILED = "attempt_failed"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURN_TO_SENDER = "return_to_sender"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Action(StrEnum):
    ANSWER = "answer"
    ASK = "ask"
    OFFER = "offer"
    ESCALATE = "escalate"


class FactSource(Model):
    """Where a fact came from, so every answer can be audited."""

    system: str = Field(description="e.g. sql, shopify, woocommerce, easypost")
    record_id: str
    fetched_at: AwareDatetime


class ShipmentFacts(Model):
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    status: ShipmentStatus = ShipmentStatus.UNKNOWN
    status_detail: str | None = None
    reason: str | None = None
    action_required: bool = False
    last_scan_at: AwareDatetime | None = None
    last_location: str | None = None
    estimated_delivery: date | None = None
    delivered_at: AwareDatetime | None = None


class OrderFacts(Model):
    number: str
    placed_at: AwareDatetime | None = None
    status: str | None = Field(default=None, description="open | cancelled | closed")
    fulfillment_status: str | None = None
    promised_by: date | None = None
    expected_ship_by: date | None = None
    shipments: list[ShipmentFacts] = Field(default_factory=list)


class IdentityCheck(Model):
    verified: bool
    method: str | None = Field(default=None, description="e.g. sender_email, sender_phone")


class Decision(Event):
    """One auditable decision per inbound message: what was asked, looked up, decided, said."""

    EVENT_TYPE: ClassVar[str] = "decision"

    inbound_id: EventId
    conversation_key: str
    channel: Name
    provider: Name
    intent: Name
    wismo: bool
    confidence: float = Field(ge=0.0, le=1.0)
    language: str
    entities: Entities = Field(default_factory=Entities)
    action: Action
    rule: str = Field(description="The policy rule that fired")
    notes: list[str] = Field(
        default_factory=list, description="What the facts mean: late, stale:<tracking>:<days>…"
    )
    identity: IdentityCheck
    asked_for: list[str] = Field(default_factory=list)
    order: OrderFacts | None = None
    facts: list[FactSource] = Field(default_factory=list)
    offers: list[str] = Field(
        default_factory=list, description="Remedies offered (reship, refund) or awaiting approval"
    )
    reply_text: Text
    classifier: str

    @staticmethod
    def make_id(inbound_id: str) -> str:
        return f"decision:{inbound_id}"

    def key(self) -> str:
        return self.conversation_key


class Link(Model):
    label: str
    url: str


class OutboundMessage(Event):
    """One message to send on a channel; its id makes redelivery harmless."""

    EVENT_TYPE: ClassVar[str] = "outbound_message"

    inbound_id: EventId | None = None
    decision_id: EventId | None = None
    conversation_key: str
    channel: Name
    provider: Name
    recipient: Party
    route: dict[str, str] = Field(default_factory=dict)
    text: Text
    subject: str | None = None
    html: Text | None = None
    links: list[Link] = Field(default_factory=list)
    quick_replies: list[str] = Field(default_factory=list)
    received_at: AwareDatetime | None = Field(
        default=None, description="When the inbound message arrived (end-to-end latency)"
    )
    author: Literal["bot", "human"] = Field(
        default="bot",
        description="Who wrote it: messaging windows differ (Messenger's HUMAN_AGENT tag)",
    )

    @staticmethod
    def make_id(inbound_id: str) -> str:
        return f"reply:{inbound_id}"

    def key(self) -> str:
        return self.conversation_key


class Escalation(Event):
    """A conversation a human should take over, with everything they need."""

    EVENT_TYPE: ClassVar[str] = "escalation"

    inbound_id: EventId
    decision_id: EventId
    conversation_key: str
    channel: Name
    provider: Name
    reason: str
    rule: str
    intent: Name
    language: str
    customer_text: Text
    suggested_reply: Text | None = None
    order: OrderFacts | None = None
    needs_approval: list[str] = Field(
        default_factory=list, description="Remedies a human must approve (reship, refund)"
    )
    recipient: Party | None = Field(
        default=None, description="Who a human's answer goes to (the customer's channel address)"
    )
    route: dict[str, str] = Field(
        default_factory=dict, description="What the channel needs to reply (thread id, session…)"
    )
    entities: Entities = Field(default_factory=Entities)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    classifier: str | None = None
    received_at: AwareDatetime | None = None

    @staticmethod
    def make_id(inbound_id: str) -> str:
        return f"escalation:{inbound_id}"

    def key(self) -> str:
        return self.conversation_key


class HandoffMessage(Event):
    """A customer message in a conversation a human desk holds, for its thread; with the bot's
    answer when the bot still answered (the handoff was not taken over)."""

    EVENT_TYPE: ClassVar[str] = "handoff_message"

    inbound_id: EventId
    conversation_key: str
    channel: Name
    provider: Name
    customer_text: Text
    bot_reply: Text | None = Field(
        default=None, description="None: the bot stayed quiet because a human holds it"
    )

    @staticmethod
    def make_id(inbound_id: str) -> str:
        return f"handoff:{inbound_id}"

    def key(self) -> str:
        return self.conversation_key


class DeskCommand(StrEnum):
    """What a human did on an escalation in the desk (Slack)."""

    SEND_SUGGESTED = "send_suggested"
    REPLY = "reply"
    APPROVE_RESHIP = "approve_reship"
    APPROVE_REFUND = "approve_refund"
    TAKE_OVER = "take_over"
    RESOLVE = "resolve"
    NOTE = "note"


class DeskAction(Event):
    """A human's action on an escalation, verified by the desk adapter and put on the stream
    before the desk is answered; the desk role carries it out."""

    EVENT_TYPE: ClassVar[str] = "desk_action"

    escalation_id: EventId
    conversation_key: str
    desk: Name
    command: DeskCommand
    user_id: str = Field(min_length=1, max_length=128)
    user_name: str | None = None
    text: Text | None = None
    acted_at: AwareDatetime
    reply_to: dict[str, str] = Field(
        default_factory=dict, description="Where the desk shows errors to that human"
    )

    def key(self) -> str:
        return self.conversation_key


class TrackingUpdate(Event):
    """One carrier scan or status change, normalized to the canonical vocabulary."""

    EVENT_TYPE: ClassVar[str] = "tracking_update"

    tracking_number: str = Field(min_length=1, max_length=64)
    carrier: str | None = None
    status: ShipmentStatus
    reason: str | None = None
    action_required: bool = False
    source: Name
    source_status: str | None = None
    source_substatus: str | None = None
    message: str | None = None
    location: str | None = None
    estimated_delivery: date | None = None
    at_delivery_facility: bool = Field(
        default=False,
        description="The scan is at the facility that delivers the parcel (EasyPost "
        "status_detail arrived_at_destination, Shippo transit003): its last stop before the door",
    )

    def key(self) -> str:
        return self.tracking_number


EVENT_TYPES: dict[str, type[Event]] = {
    cls.EVENT_TYPE: cls
    for cls in (
        InboundMessage,
        Classification,
        Decision,
        OutboundMessage,
        Escalation,
        HandoffMessage,
        DeskAction,
        TrackingUpdate,
    )
}
"""Every published event type, by the name carried in the `event-type` header."""

"""Tables: the processed-event ledger, conversations, messages, decisions, deliveries, and the
project's own shop tables (orders, shipments, tracking events) that the demo store uses.

Schema changes go through Alembic (router/store/migrations); these models are the source the
migrations are written from.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — also on SQLite, which stores naive text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store keeps timezone-aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class ProcessedEvent(Base):
    """Idempotence: a consumer records each event id it finished, in the same transaction."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    processed_at: Mapped[datetime]


class Conversation(Base):
    __tablename__ = "conversations"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Message(Base):
    """Every message in and out; `seq` orders a conversation and is the chat mailbox cursor."""

    __tablename__ = "messages"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(512), unique=True)
    conversation_key: Mapped[str] = mapped_column(ForeignKey("conversations.key"))
    direction: Mapped[str] = mapped_column(String(8))  # "in" | "out"
    channel: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_messages_conversation_seq", "conversation_key", "seq"),)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(512), primary_key=True)
    inbound_id: Mapped[str] = mapped_column(String(512), unique=True)
    conversation_key: Mapped[str] = mapped_column(String(512), index=True)
    order_number: Mapped[str | None] = mapped_column(String(64), index=True)
    intent: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(128))
    wismo: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime] = mapped_column(index=True)


class Delivery(Base):
    """One outbound message's fate: what we did, then what the provider reported."""

    __tablename__ = "deliveries"

    outbound_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # "sent" | "failed" | "suppressed"
    provider_message_id: Mapped[str | None] = mapped_column(String(256))
    error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime]
    # From status callbacks / delivery receipts: delivered, read, undelivered, failed, …
    provider_status: Mapped[str | None] = mapped_column(String(32))
    provider_status_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_deliveries_channel_provider_id", "channel", "provider_message_id"),)


class InboundReceipt(Base):
    """Inbound messages already on the bus, by event id: a provider retry is not a second event."""

    __tablename__ = "inbound_receipts"

    event_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(index=True)


class Contact(Base):
    """What a channel must remember about one address: opt-out (SMS STOP), and when they last
    wrote (the 24-hour windows of WhatsApp, Messenger and Instagram)."""

    __tablename__ = "contacts"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opted_out_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    # Where they last wrote from: a proactive notice goes into that conversation, by that route.
    last_conversation_key: Mapped[str | None] = mapped_column(String(512))
    last_route: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class ThreadRef(Base):
    """A provider's thread reference (an e-mail Message-ID, …) → our conversation."""

    __tablename__ = "thread_refs"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    ref: Mapped[str] = mapped_column(String(998), primary_key=True)
    conversation_key: Mapped[str] = mapped_column(String(512), index=True)
    created_at: Mapped[datetime]


class Handoff(Base):
    """One escalation handed to a human desk, and where it stands.

    ``state``: ``open`` (waiting for a human; the bot still answers), ``taken`` (a human took
    it over or answered: the bot stays quiet until ``resolved`` or the idle timeout).
    ``desk_ref`` is where the desk keeps it (Slack: channel + thread ts), set once, so a
    redelivered escalation never opens a second thread; ``posting_since`` marks a post in
    flight, so a rebalanced consumer looks before it posts again.
    """

    __tablename__ = "handoffs"

    escalation_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    conversation_key: Mapped[str] = mapped_column(String(512), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | taken | resolved
    escalation: Mapped[dict[str, Any]]  # the Escalation event as published
    desk: Mapped[str] = mapped_column(String(64))
    desk_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    posting_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    picked_up_at: Mapped[datetime | None]
    picked_up_by: Mapped[str | None] = mapped_column(String(128))
    last_human_at: Mapped[datetime | None]
    last_ping_at: Mapped[datetime | None]
    pings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(128))


class HandoffAction(Base):
    """Every human action on a handoff, for the audit trail: who did what, when, with what
    result (an approval's order-system reference, a reply's outbound id)."""

    __tablename__ = "handoff_actions"

    event_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    escalation_id: Mapped[str] = mapped_column(ForeignKey("handoffs.escalation_id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(256))
    text: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class ShopAction(Base):
    """Remedies the demo store carried out (reship, refund) when a human approved them."""

    __tablename__ = "shop_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reship | refund
    idempotency_key: Mapped[str] = mapped_column(String(512), unique=True)
    requested_by: Mapped[str] = mapped_column(String(256))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class ShopOrder(Base):
    """The project's own order table (the demo shop; also usable as a real source)."""

    __tablename__ = "shop_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    placed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32))  # open | cancelled | closed
    fulfillment_status: Mapped[str] = mapped_column(String(32))  # unfulfilled | partial | ...
    promised_by: Mapped[date | None] = mapped_column(Date)
    expected_ship_by: Mapped[date | None] = mapped_column(Date)
    total: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    ship_city: Mapped[str] = mapped_column(String(128))
    ship_postcode: Mapped[str] = mapped_column(String(16))
    ship_country: Mapped[str] = mapped_column(String(2))
    # Where the customer wants to hear from us first (sms | whatsapp | email), if they said.
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]

    shipments: Mapped[list[ShopShipment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="ShopShipment.id"
    )


class ShopShipment(Base):
    __tablename__ = "shop_shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_orders.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)
    tracking_url: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(32))
    status_detail: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(32))
    action_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    estimated_delivery: Mapped[date | None] = mapped_column(Date)
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # The lane the transit-time model learns per: carrier x service x origin x destination.
    service: Mapped[str | None] = mapped_column(String(64))
    origin_region: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]

    order: Mapped[ShopOrder] = relationship(back_populates="shipments")
    events: Mapped[list[ShopTrackingEvent]] = relationship(
        back_populates="shipment",
        cascade="all, delete-orphan",
        order_by="ShopTrackingEvent.occurred_at",
    )


class ShopTrackingEvent(Base):
    __tablename__ = "shop_tracking_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shop_shipments.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(256))

    shipment: Mapped[ShopShipment] = relationship(back_populates="events")


class ShipmentState(Base):
    """The latest carrier state of one parcel, from tracking webhooks and wismo.tracking.v1.
    The carrier's own event time orders updates: an older or repeated one changes nothing."""

    __tablename__ = "shipment_states"

    tracking_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    carrier: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str | None] = mapped_column(String(64))
    action_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    estimated_delivery: Mapped[date | None] = mapped_column(Date)
    message: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(256))
    source: Mapped[str] = mapped_column(String(64))
    last_event_id: Mapped[str] = mapped_column(String(512))
    last_event_at: Mapped[datetime]  # the carrier's time of the latest update applied
    first_seen_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # Where the parcel is on its way, for the lane model's "last leg": the latest scan in
    # transit before it reached the facility that delivers it, and when it reached that.
    last_hub_at: Mapped[datetime | None]
    at_facility_at: Mapped[datetime | None]


class Notice(Base):
    """One proactive notice: at most one per parcel per kind (the unique key is the ledger).

    ``state``: pending (waiting for daytime, or to be sent), sent, or a final reason it was
    not: redundant (the customer asked first and was answered), suppressed (opted out, no
    channel), expired (no longer true when its time came). ``held`` while a human holds the
    customer's conversation.
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tracking_number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    order_number: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    detected_at: Mapped[datetime]
    not_before: Mapped[datetime]
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    channel: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(320))
    conversation_key: Mapped[str | None] = mapped_column(String(512), index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    outbound_id: Mapped[str | None] = mapped_column(String(512))
    text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(128))
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("uq_notices_tracking_number_kind", "tracking_number", "kind", unique=True),
    )

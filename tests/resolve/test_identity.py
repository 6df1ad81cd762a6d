"""Identity before disclosure: who may see an order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from router.classify.entities import extract
from router.events import Entities, FactSource, IdentityCheck, Party
from router.orders.base import Order
from router.resolve.identity import (
    normalize_email,
    normalize_phone,
    normalize_postcode,
    offered_second_factor,
    verify,
)

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
ANONYMOUS = Party(id="webchat-session-1")
NOT_VERIFIED = IdentityCheck(verified=False, method=None)


def make_order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "number": "1001",
        "customer_name": "Alice Johnson",
        "email": "Alice.Johnson@Example.com",
        "phone": "+14155550134",
        "placed_at": datetime(2026, 11, 15, 9, 0, tzinfo=UTC),
        "status": "open",
        "fulfillment_status": "fulfilled",
        "total": 89.90,
        "currency": "USD",
        "ship_city": "San Francisco",
        "ship_postcode": "94107",
        "ship_country": "US",
        "source": FactSource(system="sql", record_id="order:1001", fetched_at=NOW),
    }
    fields.update(changes)
    return Order(**fields)


# --- normalisation ---------------------------------------------------------------------------


def test_normalize_email() -> None:
    assert normalize_email("  Alice.Johnson@Example.COM ") == "alice.johnson@example.com"
    assert normalize_email("") is None
    assert normalize_email(None) is None


@pytest.mark.parametrize(
    "raw",
    [
        "+14155550134",
        "(415) 555-0134",
        "415-555-0134",
        "415.555.0134",
        "+1 415 555 0134",
        "4155550134",
    ],
)
def test_normalize_us_phone(raw: str) -> None:
    assert normalize_phone(raw) == "+14155550134"


def test_normalize_phone_region() -> None:
    assert normalize_phone("+44 7911 123456") == "+447911123456"
    assert normalize_phone("07911 123456", region="GB") == "+447911123456"


@pytest.mark.parametrize("raw", [None, "", "not a phone", "+"])
def test_normalize_phone_rejects_garbage(raw: str | None) -> None:
    assert normalize_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("94107", "94107"), ("sw1a 1aa", "SW1A1AA"), ("SW1A1AA", "SW1A1AA"), ("K1A-0B1", "K1A0B1")],
)
def test_normalize_postcode(raw: str, normal: str) -> None:
    assert normalize_postcode(raw) == normal


# --- channel-verified sender -----------------------------------------------------------------


@pytest.mark.parametrize("named_by_number", [True, False])
def test_sender_email_from_the_channel_proves_identity(named_by_number: bool) -> None:
    sender = Party(id="mail-1", email="alice.johnson@example.com ")
    assert verify(make_order(), sender, Entities(), named_by_number=named_by_number) == (
        IdentityCheck(verified=True, method="sender_email")
    )


@pytest.mark.parametrize("named_by_number", [True, False])
def test_sender_phone_from_the_channel_proves_identity(named_by_number: bool) -> None:
    sender = Party(id="sms-1", phone="(415) 555-0134")
    assert verify(make_order(), sender, Entities(), named_by_number=named_by_number) == (
        IdentityCheck(verified=True, method="sender_phone")
    )


def test_sender_email_is_checked_before_sender_phone() -> None:
    sender = Party(id="x", email="alice.johnson@example.com", phone="+14155550134")
    assert verify(make_order(), sender, Entities(), named_by_number=False).method == "sender_email"


def test_someone_elses_sender_address_is_not_proof() -> None:
    sender = Party(id="x", email="ben.carter@example.com", phone="+12025550147")
    assert verify(make_order(), sender, Entities(), named_by_number=True) == NOT_VERIFIED


def test_order_without_phone_is_not_matched_by_a_sender_without_phone() -> None:
    assert verify(make_order(phone=None), ANONYMOUS, Entities(), named_by_number=False) == (
        NOT_VERIFIED
    )


# --- order number + a typed second factor --------------------------------------------------------


def test_number_plus_typed_email() -> None:
    entities = Entities(order_numbers=["1001"], emails=["ALICE.johnson@example.com"])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True) == IdentityCheck(
        verified=True, method="order_number+email"
    )


def test_number_plus_typed_phone() -> None:
    entities = Entities(order_numbers=["1001"], phones=["+14155550134"])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True) == IdentityCheck(
        verified=True, method="order_number+phone"
    )


@pytest.mark.parametrize(
    ("ship_postcode", "typed"),
    [("94107", "94107"), ("SW1A 1AA", "SW1A1AA"), ("SW1A 1AA", "sw1a 1aa"), ("K1A 0B1", "K1A0B1")],
)
def test_number_plus_typed_postcode(ship_postcode: str, typed: str) -> None:
    entities = Entities(order_numbers=["1001"], postcodes=[typed])
    order = make_order(ship_postcode=ship_postcode)
    assert verify(order, ANONYMOUS, entities, named_by_number=True) == IdentityCheck(
        verified=True, method="order_number+postcode"
    )


def test_email_factor_is_checked_before_phone_and_postcode() -> None:
    entities = Entities(
        emails=["alice.johnson@example.com"], phones=["+14155550134"], postcodes=["94107"]
    )
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True).method == (
        "order_number+email"
    )


def test_one_matching_factor_among_several_is_enough() -> None:
    entities = Entities(emails=["someone@else.com", "alice.johnson@example.com"])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True).verified


def test_typed_factors_without_the_order_number_are_not_proof() -> None:
    """Anyone can type someone else's e-mail into a chat box."""
    entities = Entities(
        emails=["alice.johnson@example.com"], phones=["+14155550134"], postcodes=["94107"]
    )
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=False) == NOT_VERIFIED


@pytest.mark.parametrize(
    "entities",
    [
        Entities(emails=["ben.carter@example.com"]),
        Entities(phones=["+12025550147"]),
        Entities(postcodes=["20001"]),
        Entities(),
    ],
)
def test_wrong_second_factor(entities: Entities) -> None:
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True) == NOT_VERIFIED


def test_offered_second_factor() -> None:
    assert not offered_second_factor(Entities())
    assert not offered_second_factor(Entities(order_numbers=["1001"]))
    assert offered_second_factor(Entities(emails=["a@example.com"]))
    assert offered_second_factor(Entities(phones=["+14155550134"]))
    assert offered_second_factor(Entities(postcodes=["94107"]))
    assert offered_second_factor(Entities(phone_last4=["0134"]))


# --- the last four digits of the order's phone ---------------------------------------------------


def test_number_plus_the_phones_last_four_digits() -> None:
    entities = Entities(order_numbers=["1001"], phone_last4=["0134"])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True) == IdentityCheck(
        verified=True, method="order_number+phone_last4"
    )


def test_last_four_digits_of_a_phone_typed_in_another_format() -> None:
    order = make_order(phone="(415) 555-0134")
    entities = Entities(phone_last4=["9999", "0134"])
    assert verify(order, ANONYMOUS, entities, named_by_number=True).method == (
        "order_number+phone_last4"
    )


@pytest.mark.parametrize("last4", ["0135", "4155", "5550", "134", "00134"])
def test_wrong_last_four_digits(last4: str) -> None:
    entities = Entities(order_numbers=["1001"], phone_last4=[last4])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True) == NOT_VERIFIED


def test_last_four_digits_without_the_order_number_are_not_proof() -> None:
    entities = Entities(phone_last4=["0134"])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=False) == NOT_VERIFIED


def test_last_four_digits_cannot_match_an_order_without_a_phone() -> None:
    entities = Entities(order_numbers=["1001"], phone_last4=["0134"])
    assert verify(make_order(phone=None), ANONYMOUS, entities, named_by_number=True) == (
        NOT_VERIFIED
    )
    # An order phone that does not parse is no phone either.
    garbage = make_order(phone="+")
    assert verify(garbage, ANONYMOUS, entities, named_by_number=True) == NOT_VERIFIED


def test_full_phone_is_checked_before_its_last_four_digits() -> None:
    entities = Entities(phones=["+14155550134"], phone_last4=["0134"], postcodes=["94107"])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True).method == (
        "order_number+phone"
    )


def test_last_four_digits_are_checked_before_the_postcode() -> None:
    entities = Entities(phone_last4=["0134"], postcodes=["94107"])
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True).method == (
        "order_number+phone_last4"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Where is order #1001? The last 4 digits of my phone are 0134",
        "order 1001, phone number ending in 0134",
        "#1001 last four digits: 0134",
    ],
)
def test_last_four_digits_from_a_message(text: str) -> None:
    entities = extract(text)
    assert entities.order_numbers == ["1001"]
    assert entities.phone_last4 == ["0134"]
    assert verify(make_order(), ANONYMOUS, entities, named_by_number=True).method == (
        "order_number+phone_last4"
    )

"""Entity extraction: order numbers, tracking numbers, e-mails, phones, postcodes."""

from __future__ import annotations

import pytest

from router.classify.entities import Span, extract
from router.events import Entities, TrackingRef

# Tracking numbers of the demo shop (router/orders/demo.py), valid check digits.
UPS = "1ZXK3DEG0359083017"
USPS = "9400111423667127684262"
FEDEX = "388853933638"
DHL = "2057986825"


# --- order numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is #1001?", ["1001"]),
        ("where is # 1001?", ["1001"]),
        ("order 1001 please", ["1001"]),
        ("Order 1001", ["1001"]),
        ("order no. 1001", ["1001"]),
        ("order number: 1001", ["1001"]),
        ("ORDER #1001", ["1001"]),
        ("order nr 1001", ["1001"]),
        ("order id 1001", ["1001"]),
        ("order number: a-1001", ["A-1001"]),
        ("my Amazon ref 123-1234567-1234567", ["123-1234567-1234567"]),
        ("123-1234567-1234567 hasn't arrived", ["123-1234567-1234567"]),
        ("mi pedido 1001", ["1001"]),
        ("ma commande 1001", ["1001"]),
        ("meine Bestellung nr 1001", ["1001"]),
        ("#1002 and order 1001, then #1002 again", ["1002", "1001"]),
        ("first order 1003, then #1001", ["1003", "1001"]),
    ],
)
def test_order_numbers(text: str, expected: list[str]) -> None:
    assert extract(text).order_numbers == expected


@pytest.mark.parametrize(
    "text",
    [
        "my Amazon order 123-1234567-1234567",
        "order number 123-1234567-1234567",
        "Amazon order #123-1234567-1234567",
    ],
)
def test_amazon_number_after_order_keyword(text: str) -> None:
    assert extract(text).order_numbers == ["123-1234567-1234567"]


def test_order_numbers_in_order_of_appearance_without_duplicates() -> None:
    assert extract("#1005, #1001 and order 1005").order_numbers == ["1005", "1001"]


def test_bare_number_is_an_order_only_when_we_asked_for_one() -> None:
    assert extract("1001").order_numbers == []
    assert extract("1001", expect_order=True) == Entities(order_numbers=["1001"])
    assert extract("it's 1001, thanks", expect_order=True).order_numbers == ["1001"]
    assert extract("A-1001", expect_order=True).order_numbers == ["A-1001"]


def test_too_short_or_too_long_numbers_are_not_orders() -> None:
    assert extract("#12").order_numbers == []
    assert extract("12", expect_order=True).order_numbers == []
    assert extract("order 123456789012345678901").order_numbers == []  # over 20 digits


# --- tracking numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "carrier"),
    [(UPS, "UPS"), (USPS, "USPS"), (FEDEX, "FedEx"), (DHL, "DHL")],
)
def test_tracking_number_with_its_carrier(number: str, carrier: str) -> None:
    entities = extract(f"my tracking number is {number}")
    assert entities.tracking_numbers == [TrackingRef(number=number, carrier=carrier)]
    assert entities.order_numbers == []
    assert entities.phones == []


def test_several_tracking_numbers_in_order() -> None:
    entities = extract(f"usps {USPS} and fedex {FEDEX} and ups {UPS}")
    assert entities.tracking_numbers == [
        TrackingRef(number=USPS, carrier="USPS"),
        TrackingRef(number=FEDEX, carrier="FedEx"),
        TrackingRef(number=UPS, carrier="UPS"),
    ]


def test_spaced_tracking_number_is_normalized() -> None:
    entities = extract("tracking 1Z XK3 DEG 03 5908 3017 please")
    assert entities.tracking_numbers == [TrackingRef(number=UPS, carrier="UPS")]
    assert entities.order_numbers == []
    assert entities.phones == []


def test_tracking_number_is_not_also_an_order_number() -> None:
    entities = extract(f"order #1001, tracking #{FEDEX}")
    assert entities.order_numbers == ["1001"]
    assert entities.tracking_numbers == [TrackingRef(number=FEDEX, carrier="FedEx")]


def test_lower_case_tracking_number_is_upper_cased() -> None:
    assert extract("tracking 1zxk3deg0359083017").tracking_numbers == [
        TrackingRef(number=UPS, carrier="UPS")
    ]


def test_duplicate_tracking_numbers_collapse() -> None:
    assert extract(f"{UPS} / {UPS}").tracking_numbers == [TrackingRef(number=UPS, carrier="UPS")]


def test_wrong_check_digit_is_not_a_tracking_number() -> None:
    assert extract("tracking 1ZXK3DEG0359083018").tracking_numbers == []


# --- e-mails -----------------------------------------------------------------------------------


def test_emails_are_case_folded_and_deduplicated() -> None:
    entities = extract(
        "I'm ALICE@Example.COM (or alice@example.com), cc ben.carter+x@mail.example.co.uk"
    )
    assert entities.emails == ["alice@example.com", "ben.carter+x@mail.example.co.uk"]


def test_email_digits_are_not_orders_or_phones() -> None:
    entities = extract("write to order1001@example.com or 4155550134@sms.example.com")
    assert entities.emails == ["order1001@example.com", "4155550134@sms.example.com"]
    assert entities.order_numbers == []
    assert entities.phones == []


def test_not_an_email() -> None:
    assert extract("alice@localhost or @handle or a@b.c").emails == []


# --- phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("call me at (415) 555-0134", "+14155550134"),
        ("my number is 415-555-0134", "+14155550134"),
        ("+1 415 555 0134", "+14155550134"),
        ("phone 4155550134", "+14155550134"),
        ("UK mobile +44 7911 123456", "+447911123456"),
        ("Handy +49 159 01234567", "+4915901234567"),
    ],
)
def test_phones_in_e164(text: str, e164: str) -> None:
    entities = extract(text)
    assert entities.phones == [e164]
    assert entities.order_numbers == []
    assert entities.tracking_numbers == []


def test_phone_after_order_keyword_is_still_a_phone() -> None:
    entities = extract("order 1001, call +1 415 555 0134")
    assert entities.order_numbers == ["1001"]
    assert entities.phones == ["+14155550134"]


def test_national_number_uses_the_region() -> None:
    assert extract("07911 123456", region="GB").phones == ["+447911123456"]
    assert extract("07911 123456").phones == []


# --- postcodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zip 94107", ["94107"]),
        ("ZIP: 94107", ["94107"]),
        ("zip code 94107-1234", ["94107-1234"]),
        ("postcode SW1A 1AA", ["SW1A 1AA"]),
        ("I live in London SW1A 1AA", ["SW1A 1AA"]),
        ("M1 1AE", ["M1 1AE"]),
        ("Ottawa K1A 0B1", ["K1A 0B1"]),
        ("Ottawa K1A0B1", ["K1A0B1"]),
    ],
)
def test_postcodes(text: str, expected: list[str]) -> None:
    entities = extract(text)
    assert entities.postcodes == expected
    assert entities.order_numbers == []


def test_five_digits_without_zip_keyword_are_not_a_postcode() -> None:
    assert extract("I live at 94107").postcodes == []


@pytest.mark.parametrize("text", ["postcode sw1a 1aa", "my postal code is k1a 0b1"])
def test_lower_case_postcodes(text: str) -> None:
    assert extract(text).postcodes != []


# --- negatives ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "call me on 415-555-0134",
        "+1 415 555 0134",
        "it was due 2024-05-01",
        "it cost $1,299.00",
        "I paid $129.00 for it",
        "case 12345678",
        "case id 12345678",
        "ticket CS-20240501",
        "at 10:30 on 12.05.2024",
        "I have 2 orders and 3 boxes",
    ],
)
def test_not_order_or_tracking_numbers(text: str) -> None:
    entities = extract(text)
    assert entities.order_numbers == []
    assert entities.tracking_numbers == []


@pytest.mark.parametrize("text", ["2024-05-01", "415-555-0134", "+1 415 555 0134"])
def test_not_order_numbers_even_when_we_asked(text: str) -> None:
    assert extract(text, expect_order=True).order_numbers == []


def test_date_next_to_an_order_number() -> None:
    assert extract("order 1001 placed 2024-05-01").order_numbers == ["1001"]


@pytest.mark.parametrize("text", ["it cost $1,299.00", "I paid $129.00"])
def test_prices_are_not_orders_when_we_asked(text: str) -> None:
    assert extract(text, expect_order=True).order_numbers == []


def test_zip_is_a_postcode_when_we_asked_for_an_order() -> None:
    entities = extract("#1001 zip 94107", expect_order=True)
    assert entities.order_numbers == ["1001"]
    assert entities.postcodes == ["94107"]


@pytest.mark.parametrize("text", ["re: Case #00012345", "ticket #4821"])
def test_hash_case_ids_are_not_orders(text: str) -> None:
    assert extract(text).order_numbers == []


# --- everything at once ------------------------------------------------------------------------


def test_full_message() -> None:
    text = (
        f"Hi, order #1001 (tracking {UPS}) hasn't arrived. I'm Alice@Example.com, "
        "+1 415 555 0134, zip 94107."
    )
    assert extract(text) == Entities(
        order_numbers=["1001"],
        tracking_numbers=[TrackingRef(number=UPS, carrier="UPS")],
        emails=["alice@example.com"],
        phones=["+14155550134"],
        postcodes=["94107"],
    )


def test_empty_text() -> None:
    assert extract("") == Entities()


def test_span_overlap() -> None:
    assert Span(0, 5).overlaps(Span(4, 6))
    assert Span(4, 6).overlaps(Span(0, 5))
    assert not Span(0, 5).overlaps(Span(5, 8))
    assert Span(0, 10).overlaps(Span(2, 3))

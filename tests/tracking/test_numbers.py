"""Tracking-number validation and extraction.

The vectors are the vendored specification's own test numbers (every ``test_numbers.valid`` /
``test_numbers.invalid`` entry of ``router/tracking/data/tracking_numbers/couriers/*.json``),
read here independently of the module under test.
"""

from __future__ import annotations

import json
import re
from dataclasses import FrozenInstanceError
from importlib import resources
from typing import NamedTuple

import pytest

from router.tracking.numbers import TrackingMatch, find_in_text, is_valid, validate

DATA = resources.files("router.tracking") / "data" / "tracking_numbers"


class Vector(NamedTuple):
    courier_code: str
    type_id: str
    number: str
    valid: bool


def _vectors() -> list[Vector]:
    vectors: list[Vector] = []
    for entry in sorted((DATA / "couriers").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        courier = json.loads(entry.read_text(encoding="utf-8"))
        for spec in courier["tracking_numbers"]:
            type_id = spec.get("id") or spec["name"]
            for valid in (True, False):
                for number in spec["test_numbers"]["valid" if valid else "invalid"]:
                    vectors.append(Vector(courier["courier_code"], type_id, number, valid))
    return vectors


VECTORS = _vectors()
VALID = [v for v in VECTORS if v.valid]
INVALID = [v for v in VECTORS if not v.valid]


def _id(vector: Vector) -> str:
    return f"{vector.courier_code}/{vector.type_id}/{vector.number.strip()}"


def _own(vector: Vector) -> list[TrackingMatch]:
    return [
        m
        for m in validate(vector.number)
        if m.courier_code == vector.courier_code and m.type_id == vector.type_id
    ]


def _normalised(number: str) -> str:
    return re.sub(r"\s+", "", number).upper()


# --- vendored data -----------------------------------------------------------------------


def test_vendored_data_ships_with_its_licence() -> None:
    assert "MIT License" in (DATA / "LICENSE").read_text(encoding="utf-8")
    assert (DATA / "SOURCE_COMMIT.txt").read_text(encoding="utf-8").startswith("b79ce4b")


def test_vector_counts() -> None:
    # 280 numbers (192 valid, 88 invalid) at jkeen/tracking_number_data@b79ce4b; a data
    # update that changes these should be looked at, not silently absorbed.
    assert (len(VECTORS), len(VALID), len(INVALID)) == (280, 192, 88)


# --- the data's own vectors ----------------------------------------------------------------


@pytest.mark.parametrize("vector", VALID, ids=_id)
def test_valid_number_validates_for_its_own_type(vector: Vector) -> None:
    own = _own(vector)
    assert len(own) == 1
    assert own[0].number == _normalised(vector.number)
    assert is_valid(vector.number)
    assert is_valid(vector.number, carrier=vector.courier_code)


@pytest.mark.parametrize("vector", INVALID, ids=_id)
def test_invalid_number_does_not_validate_for_its_own_type(vector: Vector) -> None:
    assert _own(vector) == []


@pytest.mark.parametrize("vector", VALID, ids=_id)
def test_valid_number_is_found_in_a_sentence(vector: Vector) -> None:
    number = _normalised(vector.number)
    found = find_in_text(f"Hi, my tracking number is {number}. Where is it?")
    assert [m.number for m in found] == [number]
    assert found[0] == validate(number)[0]


# --- validate / is_valid -------------------------------------------------------------------


def test_match_fields_and_normalisation() -> None:
    (match,) = validate(" 1z5r 8939 0357 5671 27 ")
    assert match.number == "1Z5R89390357567127"
    assert (match.courier_code, match.courier_name, match.type_id, match.type_name) == (
        "ups",
        "UPS",
        "ups",
        "UPS",
    )
    assert match.carrier == "UPS"
    assert match.tracking_url is not None
    assert match.tracking_url.endswith("trackNums=1Z5R89390357567127")
    with pytest.raises(FrozenInstanceError):
        match.carrier = "DHL"  # type: ignore[misc]


def test_service_lookup() -> None:
    (match,) = validate("1Z879E930346834440")
    assert match.service == "UPS United States Ground"
    assert ("Service Type", "UPS United States Ground") in match.details


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("RB123456785GB", "Royal Mail Group plc"),
        ("RB123456785US", "USPS"),
        ("RB123456785CV", "Correios de Cabo Verde"),
    ],
)
def test_s10_carrier_is_the_issuing_postal_operator(number: str, carrier: str) -> None:
    (match,) = validate(number)
    assert (match.courier_code, match.carrier) == ("s10", carrier)


def test_s10_requires_a_known_country() -> None:
    assert validate("RB123456785XX") == []


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        # 8*1 + 7*2 = 22 = 0 (mod 11): 11 - 0 = 11 is written 5
        ("RR100000025GB", True),
        ("RR100000021GB", False),
        # 8*1 + 9*1 + 7*4 = 45 = 1 (mod 11): 11 - 1 = 10 is written 0
        ("RR100000140GB", True),
        ("RR100000141GB", False),
    ],
)
def test_s10_two_digit_results(number: str, valid: bool) -> None:
    assert is_valid(number, carrier="s10") is valid


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("1Z5R89390357567127", "UPS"),
        ("9400111206206406260787", "USPS"),
        ("986578788855", "FedEx"),
        ("3318810025", "DHL"),
        ("TBA000000000000", "Amazon Logistics"),
        ("C11031500001879", "OnTrac"),
        ("LX17635036", "LaserShip"),
        ("0998 0000 0200 34D", "DPD"),
        ("0073938000549297", "Canada Post"),
        ("KYV009956937", "Purolator"),
        ("D576002440000001718010", "Canpar"),
        ("LTN74207623N1", "Landmark"),
        ("GFUS01011884214464", "GOFO"),
        ("SP029692510000920746", "Speedee"),
        ("07209562763", "Old Dominion"),
        ("JJD0002257639032011", "Yodel"),
        ("YT2229521272164446", "YunExpress"),
    ],
)
def test_canonical_carrier(number: str, expected: str) -> None:
    assert validate(number)[0].carrier == expected
    assert is_valid(number, carrier=expected)
    assert is_valid(number, carrier=expected.upper())


def test_is_valid_with_another_carrier() -> None:
    assert is_valid("1Z5R89390357567127", carrier="ups")
    assert not is_valid("1Z5R89390357567127", carrier="FedEx")
    assert not is_valid("1Z5R89390357567128")
    assert not is_valid("")
    assert validate("   ") == []


@pytest.mark.parametrize(
    ("number", "first", "second"),
    [
        # same check-digit strength: the regex that fixes more characters wins
        ("4201028200009261290113185417468510", "usps_impb_c", "fedex_34"),
        ("JFV247545960", "dhl_express_piece_id", "purolator_alpha"),
        # a Luhn check digit beats DHL Express's mod 7
        ("78045768393", "Old Dominion", "dhl_express"),
        # nothing in the data separates these two: data order (fedex.json before purolator.json)
        ("287809468872", "fedex_12", "purolator_numeric"),
    ],
)
def test_most_specific_match_first(number: str, first: str, second: str) -> None:
    assert [m.type_id for m in validate(number)] == [first, second]
    assert find_in_text(f"number {number} please")[0].type_id == first


# --- find_in_text ---------------------------------------------------------------------------


def test_finds_a_number_in_a_sentence_with_its_carrier() -> None:
    found = find_in_text("Hi, my UPS tracking number is 1Z5R89390357567127, where is it??")
    assert [(m.number, m.carrier) for m in found] == [("1Z5R89390357567127", "UPS")]


def test_finds_spaced_numbers_but_not_the_label_before_them() -> None:
    text = "USPS 9400 1112 0108 0805 4830 16 and TRACKING: 1Z 5R8 939 035 7567 127 PLEASE"
    found = find_in_text(text)
    assert [(m.number, m.carrier) for m in found] == [
        ("9400111201080805483016", "USPS"),
        ("1Z5R89390357567127", "UPS"),
    ]


def test_several_numbers_in_order_of_appearance_deduplicated() -> None:
    text = (
        "first 986578788855, then RB 123 456 785 GB,\n"
        "again 986578788855 and LX 176 35035 (lasership) and 1LS7119013618127-1."
    )
    assert [(m.number, m.carrier) for m in find_in_text(text)] == [
        ("986578788855", "FedEx"),
        ("RB123456785GB", "Royal Mail Group plc"),
        ("LX17635035", "LaserShip"),
        ("1LS7119013618127-1", "LaserShip"),
    ]


def test_number_inside_a_hyphenated_token() -> None:
    found = find_in_text("ref UPS-1Z5R89390357567127")
    assert [m.number for m in found] == ["1Z5R89390357567127"]


def test_lower_case_number_is_found() -> None:
    assert [m.number for m in find_in_text("it's 1z5r89390357567127")] == ["1Z5R89390357567127"]


def test_not_glued_across_a_line_break_or_punctuation() -> None:
    assert find_in_text("9400 1112 0108\n0805 4830 16") == []
    assert find_in_text("9400 1112 0108, 0805 4830 16") == []


@pytest.mark.parametrize(
    "text",
    [
        "Call me on +1 415 555 0134 please",
        "Call me on (415) 555-0134 please",
        "Call me on 415-555-0134 or 415 555 0134 or 4155550134",
        "or +254711303113",
        "Ordered on 2024-05-01, 2024/05/01 or 01.05.2024",
        "It cost $1,299.00 (1299.00 USD)",
        "Order #1001 and order 1001",
        "card 4111 1111 1111 1111 or 4111111111111111",
        "card 5555-5555-5555-4444",
    ],
)
def test_other_numbers_are_not_tracking_numbers(text: str) -> None:
    assert find_in_text(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "WHERE IS MY 1234 5678 9012 34 PARCEL",
        "UPS 123456789",
        "I WAS IN 1234567890 ROOMS",
    ],
)
def test_words_and_labels_are_not_glued_onto_numbers(text: str) -> None:
    assert find_in_text(text) == []


def test_phone_number_that_passes_a_check_digit_by_coincidence() -> None:
    # 6505550100 passes DHL Express's mod 7 (1 in 7 ten-digit numbers do): written as one
    # token it is a valid DHL Express number, but phone-style spellings are never glued.
    assert [m.type_id for m in validate("6505550100")] == ["dhl_express"]
    assert [m.number for m in find_in_text("waybill 6505550100")] == ["6505550100"]
    for text in ["(650) 555-0100", "650 555 0100", "650-555-0100", "+1 650 555 0100"]:
        assert find_in_text(text) == [], text


def test_glued_digits_need_a_real_check_digit() -> None:
    # DHL eCommerce (14) has no check digit: any 14 digits match, so only one unbroken token
    # counts; spaced digit groups would otherwise turn every digit run into one.
    assert [m.type_id for m in find_in_text("60120172242323")] == ["dhl_ecommerce_14"]
    assert find_in_text("6012 0172 2423 23") == []


def test_empty_and_plain_text() -> None:
    assert find_in_text("") == []
    assert find_in_text("where is my order? it was due yesterday") == []

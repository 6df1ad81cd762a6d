"""The status crosswalk (router/tracking/data/crosswalk.json) and normalize().

Every rule in the JSON is checked through normalize(), read here independently of the module.
The spot checks below are copied by hand from /work/shared/reference/tracking-status.md
(section 2 table and section 3 lists), so a wrong or missing JSON entry fails them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any, NamedTuple

import pytest

from router.events import ShipmentStatus as S
from router.tracking import status as status_module
from router.tracking.status import (
    REASONS,
    SOURCES,
    Normalized,
    format_location,
    normalize,
    parse_date,
    parse_timestamp,
)

CROSSWALK: dict[str, Any] = json.loads(
    (resources.files("router.tracking") / "data" / "crosswalk.json").read_text(encoding="utf-8")
)


class Rule(NamedTuple):
    source: str
    kind: str
    value: str
    expected: Normalized


def _rules() -> list[Rule]:
    rules: list[Rule] = []
    for source, table in CROSSWALK["sources"].items():
        for kind in ("status", "substatus"):
            for value, raw in table[kind].items():
                expected = Normalized(S(raw["status"]), raw["reason"], raw["action_required"])
                rules.append(Rule(source, kind, value, expected))
    return rules


RULES = _rules()


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.source}-{r.kind}-{r.value}" for r in RULES])
def test_every_crosswalk_rule(rule: Rule) -> None:
    if rule.kind == "status":
        assert normalize(rule.source, rule.value) == rule.expected
    else:
        assert normalize(rule.source, None, rule.value) == rule.expected


SUBSTATUS_RULES = [r for r in RULES if r.kind == "substatus"]


@pytest.mark.parametrize(
    "rule", SUBSTATUS_RULES, ids=[f"{r.source}-{r.value}" for r in SUBSTATUS_RULES]
)
def test_substatus_rule_beats_every_status(rule: Rule) -> None:
    for status in CROSSWALK["sources"][rule.source]["status"]:
        assert normalize(rule.source, status, rule.value) == rule.expected, status


# (source, status, substatus, canonical, reason) from tracking-status.md, typed by hand.
SPOT_CHECKS: list[tuple[str, str | None, str | None, S, str | None]] = [
    ("easypost", "unknown", None, S.UNKNOWN, None),
    ("easypost", "error", None, S.UNKNOWN, "tracking_error"),
    ("easypost", "pre_transit", None, S.PRE_TRANSIT, None),
    ("easypost", "in_transit", None, S.IN_TRANSIT, None),
    ("easypost", "out_for_delivery", None, S.OUT_FOR_DELIVERY, None),
    ("easypost", "available_for_pickup", None, S.AVAILABLE_FOR_PICKUP, None),
    ("easypost", "delivered", None, S.DELIVERED, None),
    ("easypost", "return_to_sender", None, S.RETURN_TO_SENDER, None),
    ("easypost", "failure", None, S.FAILURE, None),
    ("easypost", "cancelled", None, S.CANCELLED, None),
    ("aftership", "Pending", "Pending_001", S.UNKNOWN, None),
    ("aftership", "InfoReceived", "InfoReceived_001", S.PRE_TRANSIT, None),
    ("aftership", "InTransit", "InTransit_005", S.IN_TRANSIT, None),
    ("aftership", "InTransit", "InTransit_007", S.IN_TRANSIT, None),
    ("aftership", "OutForDelivery", "OutForDelivery_004", S.OUT_FOR_DELIVERY, None),
    ("aftership", "AvailableForPickup", "AvailableForPickup_001", S.AVAILABLE_FOR_PICKUP, None),
    ("aftership", "AttemptFail", "AttemptFail_002", S.ATTEMPT_FAILED, None),
    ("aftership", "Delivered", "Delivered_005", S.DELIVERED, None),
    ("aftership", "Exception", "Exception_002", S.EXCEPTION, "address_issue"),
    ("aftership", "Exception", "Exception_003", S.EXCEPTION, "refused"),
    ("aftership", "Exception", "Exception_004", S.EXCEPTION, "delayed_customs"),
    ("aftership", "Exception", "Exception_006", S.EXCEPTION, "held_for_payment"),
    ("aftership", "Exception", "Exception_007", S.EXCEPTION, "address_issue"),
    ("aftership", "Exception", "Exception_010", S.RETURN_TO_SENDER, None),
    ("aftership", "Exception", "Exception_011", S.RETURN_TO_SENDER, None),
    ("aftership", "Exception", "Exception_012", S.FAILURE, "damaged"),
    ("aftership", "Exception", "Exception_013", S.FAILURE, "lost"),
    ("aftership", "Exception", "Exception_016", S.EXCEPTION, "delayed_carrier"),
    ("aftership", "Exception", "Exception_017", S.EXCEPTION, "delayed_weather"),
    ("aftership", "Exception", "Exception_018", S.EXCEPTION, "documents_missing"),
    ("aftership", "Expired", "Expired_001", S.EXPIRED, None),
    ("shippo", "UNKNOWN", None, S.UNKNOWN, None),
    ("shippo", "PRE_TRANSIT", "information_received", S.PRE_TRANSIT, None),
    ("shippo", "TRANSIT", None, S.IN_TRANSIT, None),
    ("shippo", "TRANSIT", "out_for_delivery", S.OUT_FOR_DELIVERY, None),
    ("shippo", "TRANSIT", "pickup_available", S.AVAILABLE_FOR_PICKUP, None),
    ("shippo", None, "delivery_attempted", S.ATTEMPT_FAILED, None),
    ("shippo", "DELIVERED", None, S.DELIVERED, None),
    ("shippo", "RETURNED", None, S.RETURN_TO_SENDER, None),
    ("shippo", "FAILURE", None, S.FAILURE, None),
    ("trackingmore", "pending", None, S.UNKNOWN, None),
    ("trackingmore", "notfound", "notfound002", S.UNKNOWN, None),
    ("trackingmore", "notfound", "notfound001", S.PRE_TRANSIT, None),
    ("trackingmore", "inforeceived", "inforeceived001", S.PRE_TRANSIT, None),
    ("trackingmore", "transit", "transit007", S.IN_TRANSIT, None),
    ("trackingmore", "pickup", None, S.OUT_FOR_DELIVERY, None),
    ("trackingmore", "pickup", "pickup001", S.OUT_FOR_DELIVERY, None),
    ("trackingmore", "pickup", "pickup002", S.AVAILABLE_FOR_PICKUP, None),
    ("trackingmore", "pickup", "pickup003", S.OUT_FOR_DELIVERY, None),
    ("trackingmore", "undelivered", None, S.ATTEMPT_FAILED, None),
    ("trackingmore", "delivered", "delivered004", S.DELIVERED, None),
    ("trackingmore", "exception", "exception004", S.EXCEPTION, "unclaimed"),
    ("trackingmore", "exception", "exception005", S.RETURN_TO_SENDER, None),
    ("trackingmore", "exception", "exception006", S.EXCEPTION, "delayed_customs"),
    ("trackingmore", "exception", "exception007", S.FAILURE, None),
    ("trackingmore", "exception", "exception008", S.CANCELLED, None),
    ("trackingmore", "exception", "exception009", S.EXCEPTION, "refused"),
    ("trackingmore", "exception", "exception010", S.RETURN_TO_SENDER, None),
    ("trackingmore", "exception", "exception011", S.RETURN_TO_SENDER, None),
    ("trackingmore", "expired", None, S.EXPIRED, None),
    ("shopify", "label_printed", None, S.PRE_TRANSIT, None),
    ("shopify", "CONFIRMED", None, S.PRE_TRANSIT, None),
    ("shopify", "CARRIER_PICKED_UP", None, S.IN_TRANSIT, None),
    ("shopify", "ready_for_pickup", None, S.AVAILABLE_FOR_PICKUP, None),
    ("shopify", "ATTEMPTED_DELIVERY", None, S.ATTEMPT_FAILED, None),
    ("shopify", "PICKED_UP", None, S.DELIVERED, None),
    ("shopify", "DELAYED", None, S.EXCEPTION, "delayed_carrier"),
    ("shopify", "FAILURE", None, S.EXCEPTION, None),
    ("shopify", "failure", None, S.EXCEPTION, None),
    ("shopify", "CANCELED", None, S.CANCELLED, None),
    ("shopify", "LABEL_VOIDED", None, S.CANCELLED, None),
    ("shopify", "CANCELLED", None, S.CANCELLED, None),
    ("shopify", "SUBMITTED", None, S.PRE_TRANSIT, None),
    ("shopify", "NOT_DELIVERED", None, S.EXCEPTION, None),
]


@pytest.mark.parametrize(("source", "status", "substatus", "canonical", "reason"), SPOT_CHECKS)
def test_reference_table(
    source: str, status: str | None, substatus: str | None, canonical: S, reason: str | None
) -> None:
    got = normalize(source, status, substatus)
    assert (got.status, got.reason) == (canonical, reason)


def test_every_subtag_the_reference_lists_is_in_the_data() -> None:
    """tracking-status.md section 3 subtag and substatus lists, typed by hand."""
    aftership = (
        ["Pending_001", "InfoReceived_001", "AvailableForPickup_001", "Expired_001"]
        + [f"InTransit_00{n}" for n in range(1, 10)]
        + [f"OutForDelivery_00{n}" for n in (1, 3, 4)]
        + [f"AttemptFail_00{n}" for n in (1, 2, 3)]
        + [f"Delivered_00{n}" for n in range(1, 6)]
        + [f"Exception_0{n:02d}" for n in [*range(1, 14), 16, 17, 18]]
    )
    trackingmore = (
        ["notfound001", "notfound002", "inforeceived001"]
        + [f"transit00{n}" for n in range(1, 8)]
        + [f"pickup00{n}" for n in (1, 2, 3)]
        + [f"delivered00{n}" for n in range(1, 5)]
        + [f"exception0{n:02d}" for n in range(1, 12)]
    )
    assert set(aftership) <= set(CROSSWALK["sources"]["aftership"]["substatus"])
    assert set(trackingmore) <= set(CROSSWALK["sources"]["trackingmore"]["substatus"])
    shopify = CROSSWALK["sources"]["shopify"]["status"]
    for value in ("LABEL_PURCHASED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "READY_FOR_PICKUP"):
        assert value in shopify
    for value in ("label_purchased", "in_transit", "out_for_delivery", "attempted_delivery"):
        assert value in shopify


def test_unverified_entries_are_kept_and_marked() -> None:
    """Values tracking-status.md tags [unverified] stay in the data with verified: false."""
    sources = CROSSWALK["sources"]
    unverified = [
        sources["easypost"]["status"]["error"],  # meaning is third-party only
        sources["aftership"]["substatus"]["Exception_013"],
        sources["aftership"]["substatus"]["OutForDelivery_003"],
        sources["shippo"]["substatus"]["out_for_delivery"],
        sources["shippo"]["substatus"]["pickup_available"],
        sources["shippo"]["substatus"]["delivery_attempted"],
        sources["shippo"]["action_required_flag"]["rule"],
        sources["trackingmore"]["substatus"]["exception009"],
        sources["shopify"]["status"]["PICKED_UP"],
        sources["shopify"]["status"]["FAILURE"],
        sources["shopify"]["status"]["label_printed"],
    ]
    assert all(rule["verified"] is False for rule in unverified)
    verified = [
        sources["aftership"]["substatus"]["Exception_017"],
        sources["aftership"]["status"]["Delivered"],
        sources["shippo"]["status"]["TRANSIT"],
        sources["easypost"]["status"]["delivered"],
    ]
    assert all(rule["verified"] is True for rule in verified)


def test_data_uses_only_canonical_values_and_short_reasons() -> None:
    assert set(CROSSWALK["reasons"]) == REASONS
    assert set(CROSSWALK["sources"]) == SOURCES
    for rule in RULES:
        assert rule.expected.reason is None or rule.expected.reason in REASONS
    canonical_used = {rule.expected.status for rule in RULES}
    assert canonical_used == set(S), "every canonical status is reachable from some vendor"


def test_loader_rejects_bad_rules() -> None:
    good = {"status": "exception", "reason": None, "action_required": False, "verified": True}
    status_module._rule("ok", good)
    with pytest.raises(ValueError, match="short list"):
        status_module._rule("x", {**good, "reason": "gremlins"})
    with pytest.raises(ValueError, match="teleported"):
        status_module._rule("x", {**good, "status": "teleported"})
    with pytest.raises(ValueError, match="booleans"):
        status_module._rule("x", {**good, "verified": "yes"})


# --- precedence and fallbacks ---------------------------------------------------------------


def test_subtag_beats_tag() -> None:
    got = normalize("aftership", "Exception", "Exception_010")
    assert got == Normalized(S.RETURN_TO_SENDER)
    assert normalize("aftership", "Exception") == Normalized(S.EXCEPTION)


def test_trackingmore_pickup_needs_the_substatus_to_mean_pickup() -> None:
    assert normalize("trackingmore", "pickup", "pickup002").status is S.AVAILABLE_FOR_PICKUP
    assert normalize("trackingmore", "pickup").status is S.OUT_FOR_DELIVERY


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Exception", "Exception_019", S.EXCEPTION),  # added 2026-07, not in the data
        ("InTransit", "InTransit_013", S.IN_TRANSIT),
        ("OutForDelivery", "OutForDelivery_002", S.OUT_FOR_DELIVERY),
        ("Pending", "Pending_004", S.UNKNOWN),
        # the subtag's own prefix wins over a different tag, as a subtag rule would
        ("InTransit", "Exception_021", S.EXCEPTION),
        (None, "Delivered_099", S.DELIVERED),
        # an unknown prefix falls back to the tag, and without one to unknown
        ("Delivered", "Teleported_001", S.DELIVERED),
        (None, "Teleported_001", S.UNKNOWN),
        (None, "Exception", S.UNKNOWN),
    ],
)
def test_aftership_unknown_subtag_maps_by_prefix(tag: str | None, subtag: str, expected: S) -> None:
    got = normalize("aftership", tag, subtag)
    assert got.status is expected
    if expected is not S.UNKNOWN and subtag not in CROSSWALK["sources"]["aftership"]["substatus"]:
        assert got.reason is None


def test_prefix_fallback_is_aftership_only() -> None:
    assert normalize("trackingmore", None, "transit_009") == Normalized(S.UNKNOWN)
    assert normalize("trackingmore", "transit", "transit_009").status is S.IN_TRANSIT


def test_shippo_action_required_flag() -> None:
    # an action-required substatus with no rule of its own, under TRANSIT or UNKNOWN
    assert normalize("shippo", "TRANSIT", "mystery", action_required=True) == Normalized(
        S.EXCEPTION, None, True
    )
    assert normalize("shippo", "UNKNOWN", None, action_required=True).status is S.EXCEPTION
    # the flag never changes a mapped substatus or another status, it only adds the flag
    assert normalize("shippo", "TRANSIT", "pickup_available", action_required=True) == (
        Normalized(S.AVAILABLE_FOR_PICKUP, None, True)
    )
    assert normalize("shippo", "DELIVERED", None, action_required=True) == Normalized(
        S.DELIVERED, None, True
    )
    assert normalize("shippo", "TRANSIT", "mystery", action_required=False) == Normalized(
        S.IN_TRANSIT
    )
    # the flag is Shippo's: other sources ignore it for the status
    assert normalize("easypost", "in_transit", None, action_required=True) == Normalized(
        S.IN_TRANSIT, None, True
    )


@pytest.mark.parametrize(
    ("source", "status", "substatus"),
    [
        ("easypost", "teleported", None),
        ("easypost", "DELIVERED", None),  # EasyPost spells it delivered
        ("aftership", "delivered", None),  # AfterShip spells it Delivered
        ("aftership", "Delivered ", None),
        ("shippo", "Delivered", None),
        ("shippo", "OUT_FOR_DELIVERY", None),  # not a Shippo status
        ("trackingmore", "Delivered", None),
        ("shopify", "Delivered", None),
        ("shopify", "OPEN", None),  # deprecated FulfillmentStatus, deliberately unmapped
        ("fedex", "delivered", None),  # not a source
        ("easypost", None, None),
        ("easypost", "", ""),
    ],
)
def test_unmapped_is_unknown_never_a_guess(
    source: str, status: str | None, substatus: str | None
) -> None:
    assert normalize(source, status, substatus) == Normalized(S.UNKNOWN, None, False)


def test_unmapped_substatus_falls_back_to_the_status() -> None:
    assert normalize("trackingmore", "pickup", "PICKUP002") == Normalized(S.OUT_FOR_DELIVERY)
    assert normalize("easypost", "in_transit", "arrived_at_facility") == Normalized(S.IN_TRANSIT)


# --- value parsers --------------------------------------------------------------------------


def test_parse_timestamp() -> None:
    assert parse_timestamp("2024-08-02T19:26:52.000Z") == datetime(
        2024, 8, 2, 19, 26, 52, tzinfo=UTC
    )
    local = parse_timestamp("2026-02-12T09:15:00-05:00")
    assert local == datetime(2026, 2, 12, 14, 15, tzinfo=UTC)
    assert local is not None
    assert local.utcoffset() == timedelta(0)
    assert parse_timestamp("2026-02-12T09:15:00") is None  # no zone: not placed on UTC
    for bad in ("", "yesterday", 1770920772, None):
        with pytest.raises(ValueError, match="not a timestamp"):
            parse_timestamp(bad)


def test_parse_date_reads_the_written_day() -> None:
    assert parse_date("2024-08-05T00:00:00Z") == date(2024, 8, 5)
    assert parse_date("2024-08-05T23:00:00-08:00") == date(2024, 8, 5)
    assert parse_date("2024-08-05") == date(2024, 8, 5)
    for bad in ("08/05/2024", "2024-13-01", None, 20240805):
        with pytest.raises(ValueError, match="not a date"):
            parse_date(bad)


def test_format_location() -> None:
    assert format_location("ORLANDO", "FL", "US") == "ORLANDO, FL, US"
    assert format_location(None, "", "US") == "US"
    assert format_location(" Edison ", None, None) == "Edison"
    assert format_location(None, None, None) is None
    assert format_location(1, None, None) is None


def test_normalized_is_frozen() -> None:
    value = Normalized(S.DELIVERED)
    with pytest.raises(AttributeError):
        value.status = S.UNKNOWN  # type: ignore[misc]


@pytest.mark.parametrize(
    ("source", "substatus", "expected"),
    [
        ("easypost", "arrived_at_destination", True),
        ("easypost", "ARRIVED_AT_DESTINATION", True),
        ("easypost", "arrived_at_facility", False),
        ("shippo", "transit003", True),
        ("shippo", "transit002", False),
        ("aftership", "InTransit_003", False),  # any arrival scan, not the delivery facility
        ("easypost", None, False),
    ],
)
def test_delivery_facility_stage(source: str, substatus: str | None, expected: bool) -> None:
    from router.tracking.base import TrackingInfo
    from router.tracking.status import update_from_info

    info = TrackingInfo(
        tracking_number="1Z999AA10123456784",
        status=S.IN_TRANSIT,
        source=source,
        source_substatus=substatus,
        record_id="trk_1",
        fetched_at=datetime(2026, 11, 27, tzinfo=UTC),
    )
    update = update_from_info(
        info,
        event_id="evt_1",
        occurred_at=datetime(2026, 11, 27, tzinfo=UTC),
        message=None,
        location=None,
    )
    assert update.at_delivery_facility is expected

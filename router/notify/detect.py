"""What about one parcel is worth telling its customer before they ask (pure, clock injected).

Each finding is a kind (the notice ledger allows one per parcel per kind) and the facts the
notice may state: nothing that is not in the carrier's or the shop's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from router.events import ShipmentStatus
from router.notify.lanes import (
    Estimate,
    Lane,
    LaneModel,
    add_business_hours,
    business_hours,
    destination_region,
    fulfilment_start,
)
from router.notify.quiet import promise_deadline as promise_deadline
from router.resolve.reasoning import add_business_days, business_days_between
from router.settings import NotifySettings
from router.tracking.status import DELAY_REASONS

S = ShipmentStatus
FINISHED = frozenset({S.DELIVERED, S.CANCELLED, S.EXPIRED, S.FAILURE, S.RETURN_TO_SENDER})
MOVING = frozenset({S.PRE_TRANSIT, S.IN_TRANSIT, S.UNKNOWN, S.OUT_FOR_DELIVERY})
EVENT_KINDS = {
    S.EXCEPTION: "exception",
    S.ATTEMPT_FAILED: "attempt_failed",
    S.RETURN_TO_SENDER: "return_to_sender",
    S.AVAILABLE_FOR_PICKUP: "available_for_pickup",
}


@dataclass(frozen=True, slots=True)
class Parcel:
    """One shipment as the notify role sees it: the shop's record and the carrier's latest."""

    tracking_number: str
    carrier: str
    service: str | None
    origin_region: str | None
    status: ShipmentStatus
    reason: str | None
    message: str | None
    location: str | None
    estimated_delivery: date | None
    shipped_at: datetime | None
    last_event_at: datetime | None  # the carrier's latest scan
    delivered_at: datetime | None
    last_hub_at: datetime | None = None  # its latest scan in transit before the facility
    at_facility_at: datetime | None = None  # reached the facility that delivers it


@dataclass(frozen=True, slots=True)
class OrderFacts:
    number: str
    status: str  # open | cancelled | closed
    promised_by: date | None
    country: str
    postcode: str
    expected_ship_by: date | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)


def detect(
    parcel: Parcel,
    order: OrderFacts,
    lanes: LaneModel,
    *,
    now: datetime,
    zone: ZoneInfo,
    cfg: NotifySettings,
    lost_after: int | None = None,
) -> list[Finding]:
    """`lost_after`: the shop's rule (business days without a scan) for treating a parcel as
    lost and offering a remedy; None when it offers none. A silent parcel's notice names the
    day that rule comes due, and on that day the `lost` notice replaces `stale`."""
    if order.status == "cancelled" or parcel.status == S.DELIVERED:
        return []
    if parcel.shipped_at is None:
        return _not_shipped(order, lanes, now=now, zone=zone, cfg=cfg)
    base: dict[str, Any] = {
        "carrier": parcel.carrier,
        "tracking": parcel.tracking_number,
        "status": parcel.status.value,
        "promised_by": order.promised_by.isoformat() if order.promised_by else None,
    }
    found: list[Finding] = []
    recent = parcel.last_event_at is not None and now - parcel.last_event_at <= timedelta(
        days=cfg.max_event_age_days
    )
    kind = EVENT_KINDS.get(parcel.status)
    # An in-transit scan with a delay reason is the carrier reporting a problem, even though
    # the status is still "in transit" (UPS "Delay: weather", …).
    if kind is None and parcel.status in MOVING and parcel.reason in DELAY_REASONS:
        kind = "exception"
    if kind is not None and recent:
        facts = base | {"reason": parcel.message or parcel.reason, "place": parcel.location}
        if _states_a_new_day(parcel.estimated_delivery, order.promised_by, now):
            facts["day"] = str(parcel.estimated_delivery)
        found.append(Finding(kind, facts))
    if parcel.status in FINISHED:
        return found
    deadline = promise_deadline(order.promised_by, zone) if order.promised_by else None
    edd = parcel.estimated_delivery
    if order.promised_by is not None and edd is not None and edd > order.promised_by and recent:
        found.append(Finding("edd_past_promise", base | {"day": edd.isoformat()}))
    if parcel.status in MOVING and parcel.last_event_at is not None:
        silent = business_days_between(
            parcel.last_event_at.astimezone(zone).date(), now.astimezone(zone).date(), order.country
        )
        if silent >= cfg.stale_after_business_days:
            last_day = parcel.last_event_at.astimezone(zone).date()
            silence = base | {"last_scan": last_day.isoformat(), "business_days": silent}
            if lost_after is not None and silent >= lost_after:
                found.append(Finding("lost", silence))
            else:
                if lost_after is not None:
                    act_on = add_business_days(last_day, lost_after, order.country)
                    silence["act_on"] = act_on.isoformat()
                found.append(Finding("stale", silence))
    predicted = _predicted_late(
        parcel, order, lanes, now=now, zone=zone, deadline=deadline, cfg=cfg
    )
    if predicted is not None and not any(f.kind == "edd_past_promise" for f in found):
        found.append(Finding("predicted_late", base | predicted))
    return found


def _not_shipped(
    order: OrderFacts, lanes: LaneModel, *, now: datetime, zone: ZoneInfo, cfg: NotifySettings
) -> list[Finding]:
    """An order not yet handed to a carrier, while its promise is still ahead: told once its
    ship-by day has ended (the shop's own plan, ship by then and the quoted transit, no longer
    reaches the promised date, and no carrier will ever say so), or earlier, on the ship-by
    day, once the shop's own history says orders still waiting this late were mostly late."""
    if order.expected_ship_by is None or order.promised_by is None:
        return []
    if now >= promise_deadline(order.promised_by, zone):
        return []
    facts: dict[str, Any] = {
        "status": "not_shipped",
        "ship_by": order.expected_ship_by.isoformat(),
        "promised_by": order.promised_by.isoformat(),
    }
    if now.astimezone(zone).date() > order.expected_ship_by:
        return [Finding("predicted_late", facts)]
    start = fulfilment_start(order.expected_ship_by)
    if now <= start:
        return []
    estimate = lanes.fulfilment(business_hours(start, now, order.country))
    if estimate is None or estimate.late_probability < cfg.predicted_late_probability:
        return []
    facts |= {
        "probability": round(estimate.late_probability, 3),
        "samples": estimate.samples,
        "basis": "fulfilment",
    }
    return [Finding("predicted_late", facts)]


def _predicted_late(
    parcel: Parcel,
    order: OrderFacts,
    lanes: LaneModel,
    *,
    now: datetime,
    zone: ZoneInfo,
    deadline: datetime | None,
    cfg: NotifySettings,
) -> dict[str, Any] | None:
    """Likely to miss the promise although the carrier has not said so (its EDD, if any, is
    still in time): only while the deadline is ahead, so the notice comes before it passes."""
    if deadline is None or parcel.shipped_at is None or now >= deadline:
        return None
    if parcel.status not in MOVING or parcel.status == S.OUT_FOR_DELIVERY:
        return None
    lane = Lane(
        parcel.carrier,
        parcel.service,
        parcel.origin_region,
        destination_region(order.country, order.postcode),
    )
    country = order.country
    options: list[tuple[datetime, str, Estimate | None]] = [
        (
            parcel.shipped_at,
            "transit",
            lanes.estimate(
                lane,
                business_hours(parcel.shipped_at, now, country),
                business_hours(parcel.shipped_at, deadline, country),
            ),
        )
    ]
    hub = parcel.last_hub_at
    if parcel.status == S.IN_TRANSIT and parcel.at_facility_at is None and hub is not None:
        leg = lanes.last_leg(
            lane, business_hours(hub, now, country), business_hours(hub, deadline, country)
        )
        options.append((hub, "last_leg", leg))
    found = [(start, basis, e) for start, basis, e in options if e is not None]
    if not found:
        return None
    start, basis, estimate = max(found, key=lambda option: option[2].late_probability)
    if estimate.late_probability < cfg.predicted_late_probability:
        return None
    expected = add_business_hours(start, estimate.expected_hours, country)
    local = expected.astimezone(zone).date()
    day = max(local, (order.promised_by or local) + timedelta(days=1))
    return {
        "day": day.isoformat(),
        "probability": round(estimate.late_probability, 3),
        "samples": estimate.samples,
        "lane_level": estimate.level,
        "basis": basis,
    }


def _states_a_new_day(edd: date | None, promised_by: date | None, now: datetime) -> bool:
    """After a problem, the carrier's date is worth repeating only once it is still ahead and
    already moved past the promise (so it includes the delay). An unchanged date after an
    exception is the one most likely to pass unkept: better no date than a wrong one."""
    if edd is None or edd < now.date():
        return False
    return promised_by is None or edd > promised_by

"""The report's arithmetic on hand-made runs: every number checked against a count by hand."""

from __future__ import annotations

import json
from datetime import timedelta

from router.events import ShipmentStatus as S
from router.simulate.report import (
    build_report,
    deterministic,
    median,
    percentile,
    summarize,
    table,
    targets,
)
from router.simulate.run import (
    CustomerMessage,
    NoticeRow,
    Options,
    OurMessage,
    RunResult,
    Simulation,
    Verdict,
)
from router.simulate.shop import START, Shop, SimOrder
from tests.simulate.factory import MONDAY, at, order, scan

THURSDAY = MONDAY + timedelta(days=3)
FRIDAY = MONDAY + timedelta(days=4)
ANSWER = Verdict("answer", "answer.status", "wismo.status", True)
ESCALATE = Verdict("escalate", "escalate.repeat_contact", "wismo.status", True)
ASK = Verdict("ask", "ask.order_number", "wismo.status", True)


def parcel_orders() -> tuple[SimOrder, ...]:
    """Four orders promised Thursday: two on time, two late (one of them lost)."""
    on_time = at(THURSDAY, 14)
    late = at(FRIDAY, 14)
    return (
        order([scan(MONDAY, 10, S.PRE_TRANSIT)], number="20001", arrived_at=on_time),
        order([scan(MONDAY, 10, S.PRE_TRANSIT)], number="20002", arrived_at=on_time),
        order([scan(MONDAY, 10, S.PRE_TRANSIT)], number="20003", arrived_at=late, fate="delay"),
        order([scan(MONDAY, 10, S.PRE_TRANSIT)], number="20004", arrived_at=None, fate="lost"),
    )


def shop() -> Shop:
    return Shop(
        seed=1, days=4, orders_per_day=1, warmup_days=0, start=START, orders=parcel_orders()
    )


def message(number: str, when: float, day: int, inbound: str, **kw: bool | int) -> CustomerMessage:
    return CustomerMessage(
        number,
        at(MONDAY + timedelta(days=day), when),
        "where is my order?",
        inbound,
        int(kw.get("contact", 1)),
        bool(kw.get("follow_up", False)),
    )


def reply(m: CustomerMessage, minutes: float = 0) -> OurMessage:
    when = m.at + timedelta(minutes=minutes)
    return OurMessage(m.order, when, "On its way.", f"reply:{m.inbound_id}", m.inbound_id)


def notice(number: str, token: str, day: int, hour: float) -> OurMessage:
    return OurMessage(number, at(MONDAY + timedelta(days=day), hour), "Late.", token, None)


def run_with_notices() -> RunResult:
    """#20003 (late) noticed Wednesday, before its customer wrote Friday; #20004 (late) noticed
    Friday, after its customer wrote Thursday; #20001 (on time) got a false alarm. #20004's
    second contact was escalated and answered by the desk 90 minutes later."""
    m1 = message("20003", 12, 4, "twilio:a")
    m2 = message("20004", 12, 3, "twilio:b")
    m3 = message("20004", 12.05, 3, "twilio:c", follow_up=True)
    m4 = message("20004", 9, 5, "twilio:d", contact=2)
    result = RunResult(notices_enabled=True)
    result.messages = [m1, m2, m3, m4]
    result.verdicts = {
        "twilio:a": ANSWER,
        "twilio:b": ASK,
        "twilio:c": ANSWER,
        "twilio:d": ESCALATE,
    }
    result.desk_answers = {"twilio:d": m4.at + timedelta(minutes=90)}
    result.sent = [
        notice("20003", "notice:1", 2, 10),
        notice("20001", "notice:2", 2, 11),
        notice("20004", "notice:3", 4, 10),
        notice("20004", "notice:3", 4, 10),  # the provider got it twice
        reply(m1),
        reply(m2),
        reply(m3),
        reply(m4),
    ]
    result.notices = [
        NoticeRow("notice:1", "edd_past_promise", "1ZTEST20003", "20003", "sent", None),
        NoticeRow("notice:2", "predicted_late", "1ZTEST20001", "20001", "sent", None),
        NoticeRow("notice:3", "stale", "1ZTEST20004", "20004", "sent", None),
        NoticeRow(None, "stale", "1ZTEST20002", "20002", "expired", None),
    ]
    return result


def test_percentiles_and_medians() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 99) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([0.0, 0.0, 0.0, 120.0], 99) == 120.0
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert median([]) is None


def test_lateness_is_judged_at_the_end_of_the_promised_day() -> None:
    orders = parcel_orders()
    assert [o.late for o in orders] == [False, False, True, True]
    assert orders[0].deadline == at(FRIDAY, 0)


def test_a_run_with_notices_adds_up() -> None:
    s = summarize(shop(), run_with_notices(), total_days=7)
    assert s["contacts"] == 3  # the follow-up is part of #20004's first contact
    assert s["messages"] == 4
    assert s["contacts_per_100_orders"] == 75.0
    assert (s["contacts_about_late"], s["contacts_about_on_time"]) == (3, 0)
    assert s["customers_who_wrote"] == 2
    assert s["notices_sent"] == 3
    assert s["notices_by_kind"] == {"edd_past_promise": 1, "predicted_late": 1, "stale": 1}
    assert s["notices_by_state"] == {"expired": 1, "sent": 3}
    assert s["notices_per_shipment"] == 0.75
    assert s["notices_per_late_shipment"] == 1.0
    assert s["max_notices_per_shipment_kind"] == 2
    assert s["duplicate_notice_deliveries"] == 1
    assert s["on_time_shipments_notified"] == 1
    assert s["late_shipments"] == 2
    assert s["late_noticed"] == 2
    # #20003: noticed Wednesday 10:00, before its Thursday deadline and before Friday's text.
    # #20004: noticed Friday 10:00, after the deadline and after Thursday's text.
    assert s["late_noticed_before_promise"] == 0.5
    assert s["late_noticed_before_customer"] == 0.5
    assert s["late_noticed_in_time"] == 0.5
    # Leads: Friday 00:00 - Wednesday 10:00 = 38 h; Friday 00:00 - Friday 10:00 = -10 h.
    assert s["median_lead_hours"] == 14.0
    assert s["automation_rate"] == 0.75
    assert s["escalations"] == 1
    assert s["escalations_per_100_orders"] == 25.0
    assert s["escalations_by_rule"] == {"escalate.repeat_contact": 1}
    assert (s["frt_p50_minutes"], s["frt_p99_minutes"]) == (0.0, 90.0)
    assert s["contacts_per_day"] == [0, 0, 0, 1, 1, 1, 0]
    assert s["unanswered_messages"] == 0


def test_a_run_without_notices_notices_nothing() -> None:
    result = RunResult(notices_enabled=False)
    m = message("20003", 12, 4, "twilio:a")
    result.messages, result.verdicts, result.sent = [m], {"twilio:a": ANSWER}, [reply(m)]
    s = summarize(shop(), result, total_days=7)
    assert s["notices_sent"] == 0
    assert s["late_noticed_in_time"] == 0.0
    assert s["median_lead_hours"] is None
    assert s["contacts_per_100_orders"] == 25.0


def test_targets_are_judged_on_the_run_with_notices() -> None:
    on = {
        "late_noticed_in_time": 0.95,
        "median_lead_hours": 30.0,
        "max_notices_per_shipment_kind": 1,
        "contacts_per_100_orders": 5.0,
    }
    off = {"contacts_per_100_orders": 12.0}
    met = targets(on, off)
    assert all(t["met"] for t in met.values())
    assert met["contacts_ratio"]["value"] == 0.4167
    missed = targets(on | {"median_lead_hours": 20.0, "contacts_per_100_orders": 7.0}, off)
    assert not missed["median_lead_hours"]["met"]
    assert not missed["contacts_ratio"]["met"]
    assert missed["late_noticed_in_time"]["met"]


def test_the_report_keeps_wall_clock_figures_apart() -> None:
    options = Options(seed=1, days=4, orders_per_day=1, warmup_days=0, tail_days=3)
    without = RunResult(notices_enabled=False, wall_s=1.5, reply_ms=[3.0])
    report = build_report(Simulation(shop(), options, without, run_with_notices()))
    assert set(report) == {
        "seed", "options", "start", "world", "without_notices", "with_notices", "targets",
        "parameters", "timing",
    }  # fmt: skip
    assert report["timing"]["without_notices"] == {
        "run_s": 1.5,
        "reply_path_p50_ms": 3.0,
        "reply_path_p99_ms": 3.0,
    }
    assert "timing" not in deterministic(report)
    json.dumps(report)  # one JSON object
    assert report["world"]["late"] == 2
    text = table(report)
    assert "WISMO contacts per 100 orders" in text
    assert "75.0" in text
    assert "timing (wall clock, not part of the facts)" in text

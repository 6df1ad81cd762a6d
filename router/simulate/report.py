"""The numbers a simulation is for, from what the service actually sent and decided.

Definitions (docs/simulation.md has the reasoning):

- a *contact* is a customer starting a conversation (a follow-up that answers our question is
  a message of the same contact); WISMO contacts per 100 orders counts the measured orders'.
- a *late* shipment arrived after the end of its promised day (customer's local time) or never.
- a late shipment is *noticed in time* when its first notice reached the customer before that
  deadline and before they first wrote; the *lead* is deadline minus first notice, in hours.
- *FRT* is per customer message: the bot's reply (immediate in simulated time), or for an
  escalation the modelled desk's answer.
- the *automation rate* is the share of customer messages whose decision was not `escalate`.

Everything here is a pure function of the shop and the two runs; wall-clock figures live under
the `timing` key only, so the rest of the JSON is identical for a seed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from router.simulate.customers import Behaviour, Desk
from router.simulate.run import RunResult, Simulation
from router.simulate.shop import Risks, Shop

TARGETS = {
    "late_noticed_in_time": 0.9,  # share, at least
    "median_lead_hours": 24.0,  # at least
    "max_notices_per_shipment_kind": 1,  # at most
    "contacts_ratio": 0.5,  # with / without, at most
}


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (no interpolation: a value that occurred)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def share(part: int, whole: int) -> float | None:
    return _r(part / whole) if whole else None


def world(shop: Shop) -> dict[str, Any]:
    """The shop both runs share."""
    orders = shop.orders
    late = [o for o in orders if o.late]
    lanes = Counter(
        (o.parcel.carrier, o.parcel.service, o.parcel.origin_region, o.customer.city.postcode)
        for o in shop.history
        if o.parcel.arrived_at is not None
    )
    return {
        "orders": len(orders),
        "late": len(late),
        "late_share": share(len(late), len(orders)),
        "fates": dict(sorted(Counter(o.parcel.fate for o in orders).items())),
        "late_by_fate": dict(sorted(Counter(o.parcel.fate for o in late).items())),
        "history_parcels": len(shop.history),
        "lanes": len(lanes),
        "lanes_with_20_samples": sum(1 for n in lanes.values() if n >= 20),
    }


def summarize(shop: Shop, run: RunResult, total_days: int) -> dict[str, Any]:
    """One run's metrics."""
    orders = {o.number: o for o in shop.orders}
    n_orders = len(orders)
    contacts = [m for m in run.messages if not m.follow_up]
    first_contact: dict[str, datetime] = {}
    for m in contacts:
        first_contact.setdefault(m.order, m.at)
    replies = {m.reply_to: m for m in run.sent if m.reply_to is not None}
    kinds = {n.outbound_id: n for n in run.notices if n.outbound_id}
    ours = [m for m in run.sent if m.reply_to is None]
    received = Counter(m.token for m in ours)
    notice_messages = [m for m in ours if m.token in kinds]
    distinct = {m.token: m for m in notice_messages}
    first_notice: dict[str, datetime] = {}
    for sent in sorted(distinct.values(), key=lambda s: s.at):
        if sent.order is not None:
            first_notice.setdefault(sent.order, sent.at)
    per_kind = Counter(
        (kinds[token].tracking_number, kinds[token].kind)
        for token in received.elements()
        if token in kinds
    )

    late = [o for o in shop.orders if o.late]
    on_time = [o for o in shop.orders if not o.late]
    noticed = [o for o in late if o.number in first_notice]
    before_deadline = [o for o in noticed if first_notice[o.number] < o.deadline]
    before_customer = [
        o
        for o in noticed
        if o.number not in first_contact or first_notice[o.number] < first_contact[o.number]
    ]
    early = {o.number for o in before_customer}
    in_time = [o for o in before_deadline if o.number in early]
    leads = [(o.deadline - first_notice[o.number]) / timedelta(hours=1) for o in noticed]

    decided = [
        (m, run.verdicts[m.inbound_id]) for m in run.messages if m.inbound_id in run.verdicts
    ]
    escalated = [(m, v) for m, v in decided if v.action == "escalate"]
    frt: list[float] = []
    unanswered = 0
    for m, v in decided:
        if v.action == "escalate" and m.inbound_id in run.desk_answers:
            frt.append((run.desk_answers[m.inbound_id] - m.at) / timedelta(minutes=1))
        elif m.inbound_id in replies:
            frt.append((replies[m.inbound_id].at - m.at) / timedelta(minutes=1))
        else:
            unanswered += 1

    per_day = [0] * total_days
    for m in contacts:
        day = int((m.at - shop.start) / timedelta(days=1))
        if 0 <= day < total_days:
            per_day[day] += 1

    return {
        "contacts": len(contacts),
        "contacts_per_100_orders": _r(100 * len(contacts) / n_orders if n_orders else 0.0, 2),
        "contacts_about_late": sum(1 for m in contacts if orders[m.order].late),
        "contacts_about_on_time": sum(1 for m in contacts if not orders[m.order].late),
        "customers_who_wrote": len(first_contact),
        "messages": len(run.messages),
        "replies": len(replies),
        "unanswered_messages": unanswered + len(run.messages) - len(decided),
        "notices_sent": len(distinct),
        "notices_by_kind": dict(sorted(Counter(kinds[t].kind for t in distinct).items())),
        "notices_by_state": dict(sorted(Counter(n.state for n in run.notices).items())),
        "notices_per_shipment": _r(len(distinct) / n_orders if n_orders else 0.0),
        "notices_per_late_shipment": _r(
            sum(1 for m in distinct.values() if m.order and orders[m.order].late) / len(late)
            if late
            else 0.0
        ),
        "max_notices_per_shipment_kind": max(per_kind.values(), default=0),
        "duplicate_notice_deliveries": sum(n - 1 for n in received.values() if n > 1),
        "on_time_shipments_notified": sum(1 for o in on_time if o.number in first_notice),
        "late_shipments": len(late),
        "late_noticed": len(noticed),
        "late_noticed_before_promise": share(len(before_deadline), len(late)),
        "late_noticed_before_customer": share(len(before_customer), len(late)),
        "late_noticed_in_time": share(len(in_time), len(late)),
        "median_lead_hours": _r(median(leads), 2),
        "frt_p50_minutes": _r(percentile(frt, 50), 2),
        "frt_p99_minutes": _r(percentile(frt, 99), 2),
        "automation_rate": share(len(decided) - len(escalated), len(decided)),
        "escalations": len(escalated),
        "escalations_per_100_orders": _r(100 * len(escalated) / n_orders if n_orders else 0.0, 2),
        "escalations_by_rule": dict(sorted(Counter(v.rule for _, v in escalated).items())),
        "decisions_by_rule": dict(sorted(Counter(v.rule for _, v in decided).items())),
        "contacts_per_day": per_day,
        "checks": list(run.checks),
    }


def targets(on: dict[str, Any], off: dict[str, Any]) -> dict[str, Any]:
    """The notify engine's targets, measured on the run with notices."""
    ratio = (
        on["contacts_per_100_orders"] / off["contacts_per_100_orders"]
        if off["contacts_per_100_orders"]
        else None
    )

    def at_least(value: float | None, goal: float) -> dict[str, Any]:
        return {
            "value": value,
            "target": f">= {goal:g}",
            "met": value is not None and value >= goal,
        }

    def at_most(value: float | None, goal: float) -> dict[str, Any]:
        return {
            "value": value,
            "target": f"<= {goal:g}",
            "met": value is not None and value <= goal,
        }

    return {
        "late_noticed_in_time": at_least(
            on["late_noticed_in_time"], TARGETS["late_noticed_in_time"]
        ),
        "median_lead_hours": at_least(on["median_lead_hours"], TARGETS["median_lead_hours"]),
        "max_notices_per_shipment_kind": at_most(
            on["max_notices_per_shipment_kind"], TARGETS["max_notices_per_shipment_kind"]
        ),
        "contacts_ratio": at_most(_r(ratio), TARGETS["contacts_ratio"]),
    }


def build_report(sim: Simulation) -> dict[str, Any]:
    """One JSON-able object: the deterministic facts, then `timing` (wall clock) apart."""
    options = sim.options
    total_days = options.days + options.tail_days
    off = summarize(sim.shop, sim.without, total_days)
    on = summarize(sim.shop, sim.with_notices, total_days)
    return {
        "seed": options.seed,
        "options": asdict(options),
        "start": sim.shop.start.date().isoformat(),
        "world": world(sim.shop),
        "without_notices": off,
        "with_notices": on,
        "targets": targets(on, off),
        "parameters": {
            "risks": asdict(Risks()),
            "behaviour": asdict(Behaviour()),
            "desk": asdict(Desk()),
        },
        "timing": timing(sim),
    }


def timing(sim: Simulation) -> dict[str, Any]:
    """Wall-clock figures: they differ run to run and are never part of the facts."""
    out: dict[str, Any] = {}
    for name, run in (("without_notices", sim.without), ("with_notices", sim.with_notices)):
        out[name] = {
            "run_s": round(run.wall_s, 1),
            "reply_path_p50_ms": _r(percentile(run.reply_ms, 50), 1),
            "reply_path_p99_ms": _r(percentile(run.reply_ms, 99), 1),
        }
    return out


def deterministic(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its wall-clock part: what two runs of a seed agree on."""
    return {k: v for k, v in report.items() if k != "timing"}


ROWS: tuple[tuple[str, str, str], ...] = (
    # (label, key, format)
    ("WISMO contacts per 100 orders", "contacts_per_100_orders", "{:.1f}"),
    ("  contacts about late / on-time parcels", "contacts_split", "{}"),
    ("customer messages (incl. follow-ups)", "messages", "{}"),
    ("late shipments noticed before the promise date", "late_noticed_before_promise", "%"),
    ("late shipments noticed before the customer wrote", "late_noticed_before_customer", "%"),
    ("late shipments noticed in time (both)", "late_noticed_in_time", "%"),
    ("median lead time (h)", "median_lead_hours", "{:.1f}"),
    ("notices sent", "notices_sent", "{}"),
    ("notices per shipment", "notices_per_shipment", "{:.2f}"),
    ("max notices per shipment per kind", "max_notices_per_shipment_kind", "{}"),
    ("on-time shipments notified", "on_time_shipments_notified", "{}"),
    ("FRT p50 / p99 (min)", "frt", "{}"),
    ("automation rate", "automation_rate", "%"),
    ("escalations", "escalations", "{}"),
)


def _cell(summary: dict[str, Any], key: str, fmt: str) -> str:
    if key == "contacts_split":
        return f"{summary['contacts_about_late']} / {summary['contacts_about_on_time']}"
    if key == "frt":
        p50, p99 = summary["frt_p50_minutes"], summary["frt_p99_minutes"]
        return "-" if p50 is None else f"{p50:.0f} / {p99:.0f}"
    value = summary[key]
    if value is None:
        return "-"
    if fmt == "%":
        return f"{100 * value:.1f} %"
    return fmt.format(value)


def table(report: dict[str, Any]) -> str:
    """The report for people: one line per metric, the two runs side by side."""
    w, o = report["world"], report["options"]
    off, on = report["without_notices"], report["with_notices"]
    lines = [
        f"wismo simulate: seed {report['seed']}, {o['days']} days x {o['orders_per_day']} "
        f"orders/day from {report['start']} (+{o['tail_days']} days to finish), "
        f"{w['orders']} orders, {w['late']} late ({100 * (w['late_share'] or 0):.1f} %), "
        f"lanes learned from {w['history_parcels']} earlier parcels",
        "",
        f"{'metric':<52}{'notices off':>14}{'notices on':>14}",
    ]
    for label, key, fmt in ROWS:
        lines.append(f"{label:<52}{_cell(off, key, fmt):>14}{_cell(on, key, fmt):>14}")
    lines.append("")
    lines.append("targets (notices on):")
    for name, result in report["targets"].items():
        mark = "met" if result["met"] else "NOT met"
        lines.append(f"  {name:<34} {result['value']!s:>8}  {result['target']:<8} {mark}")
    kinds = ", ".join(f"{k} {n}" for k, n in on["notices_by_kind"].items()) or "none"
    lines.append(f"notices by kind (on): {kinds}")
    for name, summary in (("off", off), ("on", on)):
        for check in summary["checks"]:
            lines.append(f"check ({name}): {check}")
    t = report["timing"]
    lines.append("")
    lines.append(
        "timing (wall clock, not part of the facts): "
        f"run {t['without_notices']['run_s']} s off, {t['with_notices']['run_s']} s on; "
        f"reply path p50 {t['with_notices']['reply_path_p50_ms']} ms, "
        f"p99 {t['with_notices']['reply_path_p99_ms']} ms"
    )
    return "\n".join(lines)

"""A short simulation through the real service (memory bus, simulated clock, fake Twilio):
the report has its shape, and a seed gives the same facts twice."""

from __future__ import annotations

from typing import Any

import pytest

from router.events import ShipmentStatus as S
from router.simulate.report import build_report, deterministic
from router.simulate.run import Options, SimClock, settings_for, simulate, update_for
from router.simulate.shop import START, build

OPTIONS = Options(seed=5, days=2, orders_per_day=5, warmup_days=30, tail_days=6)
SUMMARY_KEYS = {
    "contacts", "contacts_per_100_orders", "contacts_about_late", "contacts_about_on_time",
    "customers_who_wrote", "messages", "replies", "unanswered_messages", "notices_sent",
    "notices_by_kind", "notices_by_state", "notices_per_shipment", "notices_per_late_shipment",
    "max_notices_per_shipment_kind", "duplicate_notice_deliveries",
    "on_time_shipments_notified", "late_shipments", "late_noticed",
    "late_noticed_before_promise", "late_noticed_before_customer", "late_noticed_in_time",
    "median_lead_hours", "frt_p50_minutes", "frt_p99_minutes", "automation_rate", "escalations",
    "escalations_per_100_orders", "escalations_by_rule", "decisions_by_rule", "contacts_per_day",
    "checks",
}  # fmt: skip


async def report() -> dict[str, Any]:
    return build_report(await simulate(OPTIONS))


@pytest.mark.timeout(300)
async def test_a_short_run_through_the_real_service_is_deterministic() -> None:
    first = await report()
    second = await report()
    assert deterministic(first) == deterministic(second)

    assert first["world"]["orders"] == 10
    off, on = first["without_notices"], first["with_notices"]
    for summary in (off, on):
        assert set(summary) == SUMMARY_KEYS
        assert len(summary["contacts_per_day"]) == OPTIONS.days + OPTIONS.tail_days
        assert summary["checks"] == []
        assert summary["unanswered_messages"] == 0
        assert summary["replies"] == summary["messages"]
        assert summary["late_shipments"] == first["world"]["late"]
    assert off["notices_sent"] == 0
    assert off["late_noticed_in_time"] == 0.0
    assert set(first["targets"]) == {
        "late_noticed_in_time",
        "median_lead_hours",
        "max_notices_per_shipment_kind",
        "contacts_ratio",
    }
    timing = first["timing"]
    assert timing["with_notices"]["run_s"] > 0


def test_the_service_is_configured_for_a_simulation() -> None:
    settings = settings_for("/tmp/x", "http://127.0.0.1:1", "t" * 32, notices=False)
    assert settings.bus.backend == "memory"
    assert settings.bus.memory_partitions == 1
    assert settings.notify.enabled is False
    assert settings.notify.check_interval_s == 86_400
    assert settings.sources.cache_ttl_s == 0
    assert "notify" in settings.roles
    assert settings.channels["sms"]["api_base_url"] == "http://127.0.0.1:1"
    assert settings.demo is False


def test_carrier_scans_become_tracking_updates() -> None:
    shop = build(2, days=1, orders_per_day=1, warmup_days=0)
    order = shop.orders[0]
    update = update_for(order, 0)
    assert update.tracking_number == order.parcel.tracking_number
    assert update.status == S.PRE_TRANSIT
    assert update.occurred_at == order.parcel.scans[0].at
    assert update.estimated_delivery == order.parcel.scans[0].eta
    assert update.event_id != update_for(order, 1).event_id


def test_the_simulated_clock_only_moves_when_told() -> None:
    clock = SimClock(START)
    assert clock() == START
    clock.now = START.replace(hour=5)
    assert clock().hour == 5

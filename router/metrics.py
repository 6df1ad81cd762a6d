"""Prometheus metrics, on a registry of our own (one per service, so tests stay independent)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from router.bus import BusStats

PICKUP_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 86400.0)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _BusCollector(Collector):
    """Reads the bus counters at scrape time: nothing to keep in sync."""

    def __init__(self, stats: BusStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        dlq = CounterMetricFamily(
            "wismo_dlq_records", "Records sent to the dead-letter topic", labels=["topic"]
        )
        for topic, count in sorted(self.stats.dead_letter_by_topic.items()):
            dlq.add_metric([topic], count)
        yield dlq
        yield CounterMetricFamily(
            "wismo_bus_published_records",
            "Records acknowledged by the bus",
            value=self.stats.published,
        )
        yield CounterMetricFamily(
            "wismo_bus_retries", "Handler attempts after the first", value=self.stats.retried
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.inbound = Counter(
            "wismo_inbound_messages",
            "Customer messages accepted onto the bus",
            ["channel"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "wismo_inbound_rejected",
            "Inbound requests refused (bad input, bad signature, bus unavailable)",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.ignored = Counter(
            "wismo_inbound_ignored",
            "Valid inbound messages deliberately not answered (auto-replies, bounces, lists)",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "wismo_inbound_duplicates",
            "Inbound messages already on the bus (provider retries), acknowledged, not published",
            ["channel"],
            registry=self.registry,
        )
        self.delivery_status = Counter(
            "wismo_delivery_status",
            "Outbound outcomes: sent, suppressed, failed; and provider receipts",
            ["channel", "status"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "wismo_decisions",
            "Decisions made by the pipeline",
            ["intent", "action"],
            registry=self.registry,
        )
        self.outbound = Counter(
            "wismo_outbound_messages",
            "Messages delivered through a channel",
            ["channel"],
            registry=self.registry,
        )
        self.errors = Counter(
            "wismo_errors",
            "Handler errors (each attempt)",
            ["role", "kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wismo_end_to_end_latency_seconds",
            "From the customer's message reaching us to our reply being delivered",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.escalations_waiting = Gauge(
            "wismo_escalations_waiting",
            "Escalations in the desk nobody has picked up yet (updated by the desk role)",
            registry=self.registry,
        )
        self.escalation_pickup = Histogram(
            "wismo_escalation_pickup_seconds",
            "From an escalation reaching the desk to the first human action on it",
            buckets=PICKUP_BUCKETS,
            registry=self.registry,
        )
        self.desk_actions = Counter(
            "wismo_desk_actions",
            "Human actions in the desk by command and outcome (done, refused, failed)",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.notices = Counter(
            "wismo_notices",
            "Proactive notices by kind and outcome (queued, sent, held, redundant, suppressed, "
            "expired)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.escalation_pings = Counter(
            "wismo_escalation_pings",
            "Reminders posted for escalations nobody picked up within the SLA",
            registry=self.registry,
        )

    def watch_bus(self, stats: BusStats) -> None:
        self.registry.register(_BusCollector(stats))

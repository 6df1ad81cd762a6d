"""router/metrics.py: our counters and histogram in the exposition, and the bus collector."""

from __future__ import annotations

from prometheus_client import generate_latest

from router.bus import BusStats
from router.metrics import LATENCY_BUCKETS, Metrics


def scrape(metrics: Metrics) -> list[str]:
    return generate_latest(metrics.registry).decode().splitlines()


def test_counters_appear_with_their_labels() -> None:
    metrics = Metrics()
    metrics.inbound.labels(channel="webchat").inc()
    metrics.inbound.labels(channel="webchat").inc()
    metrics.inbound.labels(channel="sms").inc()
    metrics.rejected.labels(channel="webchat", reason="too_long").inc()
    metrics.decisions.labels(intent="wismo.status", action="answer").inc(3)
    metrics.outbound.labels(channel="webchat").inc()
    metrics.errors.labels(role="dispatch", kind="TimeoutError").inc()
    lines = scrape(metrics)
    for expected in (
        'wismo_inbound_messages_total{channel="webchat"} 2.0',
        'wismo_inbound_messages_total{channel="sms"} 1.0',
        'wismo_inbound_rejected_total{channel="webchat",reason="too_long"} 1.0',
        'wismo_decisions_total{action="answer",intent="wismo.status"} 3.0',
        'wismo_outbound_messages_total{channel="webchat"} 1.0',
        'wismo_errors_total{kind="TimeoutError",role="dispatch"} 1.0',
    ):
        assert expected in lines
    assert "# TYPE wismo_inbound_messages_total counter" in lines


def test_latency_histogram_buckets_count_and_sum() -> None:
    metrics = Metrics()
    metrics.latency.labels(channel="webchat").observe(0.03)
    metrics.latency.labels(channel="webchat").observe(2.0)
    lines = scrape(metrics)
    assert "# TYPE wismo_end_to_end_latency_seconds histogram" in lines
    prefix = 'wismo_end_to_end_latency_seconds_bucket{channel="webchat",le='
    assert f'{prefix}"0.025"}} 0.0' in lines
    assert f'{prefix}"0.05"}} 1.0' in lines
    assert f'{prefix}"1.0"}} 1.0' in lines
    assert f'{prefix}"2.5"}} 2.0' in lines
    assert f'{prefix}"+Inf"}} 2.0' in lines
    assert 'wismo_end_to_end_latency_seconds_count{channel="webchat"} 2.0' in lines
    assert 'wismo_end_to_end_latency_seconds_sum{channel="webchat"} 2.03' in lines
    buckets = [line for line in lines if line.startswith(prefix)]
    assert len(buckets) == len(LATENCY_BUCKETS) + 1


def test_bus_collector_reports_dead_letters_per_topic() -> None:
    metrics = Metrics()
    stats = BusStats(
        published=7,
        retried=2,
        dead_letter_by_topic={"wismo.outbound.v1": 1, "wismo.inbound.v1": 3},
    )
    metrics.watch_bus(stats)
    lines = scrape(metrics)
    assert 'wismo_dlq_records_total{topic="wismo.inbound.v1"} 3.0' in lines
    assert 'wismo_dlq_records_total{topic="wismo.outbound.v1"} 1.0' in lines
    assert "wismo_bus_published_records_total 7.0" in lines
    assert "wismo_bus_retries_total 2.0" in lines


def test_bus_collector_reads_the_stats_at_scrape_time() -> None:
    metrics = Metrics()
    stats = BusStats()
    metrics.watch_bus(stats)
    assert not any(line.startswith("wismo_dlq_records_total{") for line in scrape(metrics))
    assert "wismo_bus_published_records_total 0.0" in scrape(metrics)
    stats.published += 5
    stats.dead_letter_by_topic["wismo.tracking.v1"] = 2
    lines = scrape(metrics)
    assert "wismo_bus_published_records_total 5.0" in lines
    assert 'wismo_dlq_records_total{topic="wismo.tracking.v1"} 2.0' in lines


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.inbound.labels(channel="webchat").inc()
    assert 'wismo_inbound_messages_total{channel="webchat"} 1.0' in scrape(first)
    assert not any(line.startswith("wismo_inbound_messages_total{") for line in scrape(second))

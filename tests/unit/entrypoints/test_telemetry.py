"""Metrics: what services count comes out of /metrics under Prometheus names."""

from __future__ import annotations

import pytest

from trading_bot.core.ports import Metrics
from trading_bot.entrypoints.telemetry import Telemetry, setup_telemetry
from trading_bot.testing.metrics import RecordingMetrics


def exposition(telemetry: Telemetry) -> str:
    body, _ = telemetry.render_metrics()
    return body.decode("utf-8")


def test_increment_when_counted_appears_as_a_prometheus_total_with_its_labels() -> None:
    telemetry = Telemetry("news-fetcher")
    metrics: Metrics = telemetry.metrics()

    metrics.increment("articles_scored", source="rss")
    metrics.increment("articles_scored", 2, source="rss")
    metrics.increment("articles_scored", source="reddit")

    text = exposition(telemetry)
    assert 'articles_scored_total{source="rss"} 3.0' in text
    assert 'articles_scored_total{source="reddit"} 1.0' in text


def test_observe_when_recorded_appears_as_a_histogram() -> None:
    telemetry = Telemetry("sentiment-analyzer")

    telemetry.metrics().observe("inference_latency", 0.02, model="lexicon")
    telemetry.metrics().observe("inference_latency", 3.0, model="lexicon")

    text = exposition(telemetry)
    assert 'inference_latency_count{model="lexicon"} 2.0' in text
    assert 'inference_latency_sum{model="lexicon"} 3.02' in text
    assert 'inference_latency_bucket{le="0.025",model="lexicon"} 1.0' in text


def test_render_metrics_when_asked_names_the_prometheus_content_type_and_the_service() -> None:
    telemetry = Telemetry("trade-executor")
    telemetry.metrics().increment("signals_received")

    body, content_type = telemetry.render_metrics()

    assert content_type.startswith("text/plain")
    assert b'service_name="trade-executor"' in body
    assert b"process_cpu_seconds_total" in body


def test_instruments_when_asked_twice_by_name_are_the_same_object() -> None:
    telemetry = Telemetry("svc")

    assert telemetry.counter("orders") is telemetry.counter("orders")
    assert telemetry.histogram("latency") is telemetry.histogram("latency")
    assert telemetry.up_down_counter("in_flight") is telemetry.up_down_counter("in_flight")


def test_up_down_counter_when_moved_both_ways_reports_the_level() -> None:
    telemetry = Telemetry("svc")
    gauge = telemetry.up_down_counter("orders_in_flight", "orders sent, not yet final")

    gauge.add(3)
    gauge.add(-1)

    assert "orders_in_flight 2.0" in exposition(telemetry)


def test_metric_when_reused_as_another_kind_is_refused() -> None:
    telemetry = Telemetry("svc")
    telemetry.metrics().increment("fills")

    with pytest.raises(ValueError, match="'fills' is a counter, not a histogram"):
        telemetry.metrics().observe("fills", 1.0)


@pytest.mark.parametrize("name", ["", "1st", "has space", "é"])
def test_metric_when_named_invalidly_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="metric name"):
        Telemetry("svc").metrics().increment(name)


def test_increment_when_negative_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot go down"):
        Telemetry("svc").metrics().increment("fills", -1)


def test_telemetry_when_disabled_reports_nothing_of_ours() -> None:
    telemetry = Telemetry("svc", enabled=False)

    telemetry.metrics().increment("articles_scored")

    assert exposition(telemetry) == ""


def test_setup_telemetry_when_called_twice_returns_the_same_telemetry() -> None:
    first = setup_telemetry("trading-bot")

    assert setup_telemetry("trading-bot") is first
    assert setup_telemetry("another-name") is first


def test_recording_metrics_when_counted_sums_over_matching_labels() -> None:
    recording = RecordingMetrics()
    metrics: Metrics = recording

    metrics.increment("trades_executed", side="BUY", status="FILLED")
    metrics.increment("trades_executed", 2, side="SELL", status="FILLED")
    metrics.increment("trades_executed", side="BUY", status="REJECTED")

    assert recording.count("trades_executed") == 4
    assert recording.count("trades_executed", status="FILLED") == 3
    assert recording.count("trades_executed", side="BUY", status="REJECTED") == 1
    assert recording.count("never_reported") == 0


def test_recording_metrics_when_observed_keeps_values_in_order() -> None:
    recording = RecordingMetrics()

    recording.observe("fill_latency", 0.5, venue="paper")
    recording.observe("fill_latency", 0.25, venue="alpaca")
    recording.observe("fill_latency", 0.75, venue="paper")

    assert recording.values("fill_latency") == [0.5, 0.25, 0.75]
    assert recording.values("fill_latency", venue="paper") == [0.5, 0.75]
    assert recording.names == {"fill_latency"}


def test_recording_metrics_when_decremented_refuses_like_production() -> None:
    with pytest.raises(ValueError, match="cannot go down"):
        RecordingMetrics().increment("fills", -1)

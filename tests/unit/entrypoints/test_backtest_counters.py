"""A backtest's counters, as its results file reports them."""

from __future__ import annotations

from trading_bot.entrypoints.backtest_bus import CountingMetrics


def test_counting_metrics_keeps_counters_with_and_without_labels_apart_and_sums_them() -> None:
    metrics = CountingMetrics()

    metrics.increment("bars_received")
    metrics.increment("bars_received", 2)
    metrics.increment("risk_rejections", reason="COOLDOWN")
    metrics.increment("risk_rejections", reason="MAX_POSITIONS")
    metrics.increment("risk_rejections", reason="COOLDOWN")
    metrics.increment("signals_generated", direction="LONG", trigger="bar")
    metrics.increment("signals_generated", trigger="bar", direction="LONG")  # labels in any order

    assert metrics.total("bars_received") == 3.0
    assert metrics.total("risk_rejections") == 3.0
    assert metrics.by_label("risk_rejections", "reason") == {"COOLDOWN": 2.0, "MAX_POSITIONS": 1.0}
    assert metrics.by_label("bars_received", "reason") == {"": 3.0}
    assert metrics.counts == {
        ("bars_received", ()): 3.0,
        ("risk_rejections", (("reason", "COOLDOWN"),)): 2.0,
        ("risk_rejections", (("reason", "MAX_POSITIONS"),)): 1.0,
        ("signals_generated", (("direction", "LONG"), ("trigger", "bar"))): 2.0,
    }
    assert metrics.total("never_counted") == 0

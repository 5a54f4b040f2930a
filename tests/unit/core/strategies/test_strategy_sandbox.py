"""The sandbox: a failing or nonsensical strategy is logged, counted and skipped."""

from __future__ import annotations

import logging

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.market_state import MarketSnapshot, MarketState
from trading_bot.core.model import Direction, StrategyOpinion
from trading_bot.core.strategies.sandbox import FAILURE_METRIC, StrategySandbox
from trading_bot.testing.bar_series import bars_from_closes
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import DEFAULT_NOW, ScriptedStrategy, make_opinion

CLOCK = SimulatedClock(DEFAULT_NOW)


def market() -> MarketSnapshot:
    return MarketState([]).update(bars_from_closes([100.0])[0])


def test_sandbox_when_a_strategy_raises_skips_it_and_keeps_the_others() -> None:
    good = make_opinion("good", Direction.LONG, 0.4)
    metrics = RecordingMetrics()
    sandbox = StrategySandbox(
        [
            ScriptedStrategy("broken", error=ZeroDivisionError("division by zero")),
            ScriptedStrategy("good", opinion=good),
        ],
        metrics,
    )

    opinions = sandbox.evaluate("AAPL", market(), None, CLOCK)

    assert opinions == [good]
    assert metrics.count(FAILURE_METRIC, strategy="broken", kind="exception") == 1


def test_sandbox_when_a_strategy_raises_logs_its_name_the_ticker_and_the_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = StrategySandbox([ScriptedStrategy("broken", error=KeyError("sma(close,20)"))])

    with caplog.at_level(logging.WARNING):
        sandbox.evaluate("MSFT", market(), None, CLOCK)

    (record,) = caplog.records
    assert "broken" in record.getMessage()
    assert "MSFT" in record.getMessage()
    assert "sma(close,20)" in record.getMessage()


@pytest.mark.parametrize(
    ("returned", "problem"),
    [
        (
            StrategyOpinion.model_construct(
                strategy="odd", direction=Direction.LONG, strength=float("nan")
            ),
            "outside [0, 1]",
        ),
        (
            StrategyOpinion.model_construct(
                strategy="odd", direction=Direction.SHORT, strength=2.0
            ),
            "outside [0, 1]",
        ),
        (make_opinion("someone_else"), "signed 'someone_else'"),
        (0.7, "not a StrategyOpinion"),
        (
            StrategyOpinion.model_construct(
                strategy="odd",
                direction="UP",  # type: ignore[arg-type]  # an invalid direction on purpose
                strength=0.5,
            ),
            "not a Direction",
        ),
    ],
    ids=["nan", "above-one", "wrong-name", "not-an-opinion", "bad-direction"],
)
def test_sandbox_when_a_strategy_returns_an_invalid_opinion_skips_and_counts_it(
    returned: object, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = RecordingMetrics()
    sandbox = StrategySandbox([ScriptedStrategy("odd", opinion=returned)], metrics)

    with caplog.at_level(logging.WARNING):
        opinions = sandbox.evaluate("AAPL", market(), None, CLOCK)

    assert opinions == []
    assert metrics.count(FAILURE_METRIC, strategy="odd", kind="invalid_opinion") == 1
    assert problem in caplog.text


def test_sandbox_when_a_strategy_has_no_opinion_counts_nothing() -> None:
    metrics = RecordingMetrics()
    sandbox = StrategySandbox([ScriptedStrategy("quiet")], metrics)

    assert sandbox.evaluate("AAPL", market(), None, CLOCK) == []
    assert FAILURE_METRIC not in metrics.names


def test_sandbox_without_metrics_still_skips_failures() -> None:
    good = make_opinion("good")
    sandbox = StrategySandbox(
        [ScriptedStrategy("good", opinion=good), ScriptedStrategy("bad", error=RuntimeError())]
    )

    assert sandbox.evaluate("AAPL", market(), None, CLOCK) == [good]


def test_sandbox_asks_every_strategy_in_order_even_after_a_failure() -> None:
    first = ScriptedStrategy("first", error=ValueError("no"))
    second = ScriptedStrategy("second", opinion=make_opinion("second"))
    sandbox = StrategySandbox([first, second])

    sandbox.evaluate("AAPL", market(), None, CLOCK)
    sandbox.evaluate("TSLA", market(), None, CLOCK)

    assert first.calls == ["AAPL", "TSLA"]
    assert second.calls == ["AAPL", "TSLA"]
    assert [s.name for s in sandbox.strategies] == ["first", "second"]

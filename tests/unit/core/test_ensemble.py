"""The weighted ensemble: arithmetic on hand-computed cases, the threshold, weights and sources."""

from __future__ import annotations

import math
import uuid

import pytest

from trading_bot.core.ensemble import Ensemble
from trading_bot.core.model import Direction, StrategyOpinion, StrategySource, TradeSignal
from trading_bot.testing.signals import DEFAULT_NOW, make_opinion

LONG, SHORT, NEUTRAL = Direction.LONG, Direction.SHORT, Direction.NEUTRAL


def combine(
    ensemble: Ensemble, opinions: list[StrategyOpinion], weights: dict[str, float]
) -> TradeSignal | None:
    return ensemble.combine("AAPL", opinions, weights, 187.5, DEFAULT_NOW)


def test_ensemble_with_one_opinion_passes_its_strength_through() -> None:
    signal = combine(Ensemble(), [make_opinion("momentum", LONG, 0.5)], {"momentum": 0.4})

    assert signal is not None
    assert (signal.direction, signal.strength) == (LONG, 0.5)


def test_ensemble_weighs_opinions_and_divides_by_the_weights_of_those_with_an_opinion() -> None:
    opinions = [make_opinion("momentum", LONG, 0.8), make_opinion("mean_reversion", SHORT, 0.4)]
    weights = {"momentum": 0.5, "mean_reversion": 0.25, "news_driven": 0.25}

    signal = combine(Ensemble(), opinions, weights)

    # (0.8 x 0.5 - 0.4 x 0.25) / (0.5 + 0.25) = 0.3 / 0.75
    assert signal is not None
    assert signal.direction is LONG
    assert signal.strength == pytest.approx(0.4)


def test_ensemble_when_the_combination_points_down_emits_short() -> None:
    opinions = [make_opinion("momentum", LONG, 0.2), make_opinion("news_driven", SHORT, 0.9)]

    signal = combine(Ensemble(), opinions, {"momentum": 0.5, "news_driven": 0.5})

    # (0.2 - 0.9) / 2 = -0.35
    assert signal is not None
    assert signal.direction is SHORT
    assert signal.strength == pytest.approx(0.35)


def test_ensemble_when_combined_strength_equals_the_threshold_emits() -> None:
    opinions = [make_opinion("momentum", LONG, 0.6), make_opinion("mean_reversion", NEUTRAL, 0.9)]

    signal = combine(Ensemble(threshold=0.3), opinions, {"momentum": 1.0, "mean_reversion": 1.0})

    assert signal is not None
    assert signal.strength == pytest.approx(0.3)


def test_ensemble_when_combined_strength_is_just_below_the_threshold_stays_quiet() -> None:
    opinions = [make_opinion("momentum", LONG, 0.58), make_opinion("mean_reversion", NEUTRAL, 0.9)]

    signal = combine(Ensemble(threshold=0.3), opinions, {"momentum": 1.0, "mean_reversion": 1.0})

    assert signal is None


def test_ensemble_when_equal_opposing_opinions_cancel_stays_quiet() -> None:
    opinions = [make_opinion("momentum", LONG, 0.9), make_opinion("news_driven", SHORT, 0.9)]

    assert combine(Ensemble(), opinions, {"momentum": 0.5, "news_driven": 0.5}) is None


def test_ensemble_when_every_weight_is_zero_stays_quiet() -> None:
    opinions = [make_opinion("momentum", LONG, 1.0), make_opinion("news_driven", LONG, 1.0)]

    assert combine(Ensemble(), opinions, {"momentum": 0.0, "news_driven": 0.0}) is None


def test_ensemble_ignores_a_zero_weight_strategy_in_both_sum_and_divisor() -> None:
    opinions = [make_opinion("momentum", LONG, 0.5), make_opinion("news_driven", SHORT, 1.0)]

    signal = combine(Ensemble(), opinions, {"momentum": 0.7, "news_driven": 0.0})

    assert signal is not None
    assert (signal.direction, signal.strength) == (LONG, 0.5)


def test_ensemble_gives_an_unweighed_strategy_the_mean_of_the_known_weights() -> None:
    opinions = [make_opinion("momentum", LONG, 0.9), make_opinion("newcomer", SHORT, 0.3)]

    signal = combine(Ensemble(), opinions, {"momentum": 0.6, "mean_reversion": 0.2})

    # newcomer weighs (0.6 + 0.2) / 2 = 0.4: (0.9 x 0.6 - 0.3 x 0.4) / 1.0
    assert signal is not None
    assert signal.strength == pytest.approx(0.42)
    assert {s.strategy: s.weight for s in signal.sources}["newcomer"] == pytest.approx(0.4)


def test_ensemble_with_no_weights_at_all_weighs_everyone_equally() -> None:
    opinions = [make_opinion("momentum", LONG, 0.9), make_opinion("news_driven", SHORT, 0.3)]

    signal = combine(Ensemble(), opinions, {})

    assert signal is not None
    assert signal.strength == pytest.approx(0.3)


def test_ensemble_with_default_weight_zero_ignores_unweighed_strategies() -> None:
    opinions = [make_opinion("momentum", LONG, 0.5), make_opinion("newcomer", SHORT, 1.0)]

    signal = combine(Ensemble(default_weight=0.0), opinions, {"momentum": 0.3})

    assert signal is not None
    assert (signal.direction, signal.strength) == (LONG, 0.5)


def test_ensemble_signal_carries_every_opinion_with_its_weight_for_attribution() -> None:
    opinions = [
        make_opinion("momentum", LONG, 0.8),
        make_opinion("mean_reversion", NEUTRAL, 0.0),
        make_opinion("news_driven", SHORT, 0.1),
    ]
    weights = {"momentum": 0.5, "mean_reversion": 0.3, "news_driven": 0.2}
    signal_id = uuid.uuid4()

    signal = Ensemble().combine(
        "AAPL",
        opinions,
        weights,
        187.5,
        DEFAULT_NOW,
        sentiment_score=-0.4,
        article_ids=("a" * 64,),
        signal_id=signal_id,
    )

    assert signal is not None
    assert signal.sources == (
        StrategySource(strategy="momentum", direction=LONG, strength=0.8, weight=0.5),
        StrategySource(strategy="mean_reversion", direction=NEUTRAL, strength=0.0, weight=0.3),
        StrategySource(strategy="news_driven", direction=SHORT, strength=0.1, weight=0.2),
    )
    assert (signal.ticker, signal.price, signal.generated_at) == ("AAPL", 187.5, DEFAULT_NOW)
    assert (signal.sentiment_score, signal.article_ids) == (-0.4, ("a" * 64,))
    assert signal.signal_id == signal_id


def test_ensemble_without_opinions_stays_quiet() -> None:
    assert combine(Ensemble(), [], {"momentum": 1.0}) is None


@pytest.mark.parametrize("weight", [1.5, -0.1, math.nan, math.inf, "0.5"])
def test_ensemble_when_a_weight_is_out_of_range_refuses_it_naming_the_strategy(
    weight: float,
) -> None:
    with pytest.raises(ValueError, match="weight of strategy 'momentum'"):
        combine(Ensemble(), [make_opinion("momentum")], {"momentum": weight})


def test_ensemble_when_a_strategy_gives_two_opinions_refuses_them() -> None:
    opinions = [make_opinion("momentum", LONG, 0.8), make_opinion("momentum", LONG, 0.9)]

    with pytest.raises(ValueError, match="one opinion per ticker"):
        combine(Ensemble(), opinions, {"momentum": 1.0})


@pytest.mark.parametrize("threshold", [0.0, 1.01, -0.3, math.nan])
def test_ensemble_when_threshold_is_outside_zero_to_one_refuses_it(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        Ensemble(threshold=threshold)

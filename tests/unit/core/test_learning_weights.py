"""The bandit weight update: rewards, each guardrail on its own, normalisation, determinism."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from trading_bot.core.errors import ConfigurationError, DataError
from trading_bot.core.learning_weights import (
    LearningRules,
    adjust_weights,
    recency_weights,
    squash,
    strategy_evidence,
    water_fill,
)
from trading_bot.core.model import TradeOutcome
from trading_bot.testing.learning import scored_outcome

T0 = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
THIRD = 1 / 3
EQUAL = {"mean_reversion": THIRD, "momentum": THIRD, "news_driven": THIRD}

# Every guardrail but the one under test switched off: no minimum, no cap, no floor, no decay.
OPEN = {
    "learning_rate": 1.0,
    "min_trades": 0,
    "max_shift": 1.0,
    "weight_floor": 0.0,
    "half_life_trades": None,
}


def rules(**overrides: object) -> LearningRules:
    return LearningRules.model_validate({**OPEN, **overrides})


def history(strategy: str, returns: Sequence[float], *, credit: float = 1.0) -> list[TradeOutcome]:
    """Return one outcome per return, crediting ``strategy``, an hour apart, oldest first."""
    return [
        scored_outcome(
            {strategy: credit}, risk_adjusted_return=r, closed_at=T0 + timedelta(hours=i)
        )
        for i, r in enumerate(returns)
    ]


def reward_of(mean: float, scale: float = 0.02) -> float:
    return 0.5 * (1 + math.tanh(mean / scale))


def assert_on_simplex(weights: Mapping[str, float], floor: float = 0.0) -> None:
    assert math.fsum(weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert min(weights.values()) >= floor


# Rewards -------------------------------------------------------------------------------------


def test_squash_when_mean_is_zero_is_neutral_and_stays_inside_zero_one() -> None:
    assert squash(0.0, 0.02) == 0.5
    assert squash(0.02, 0.02) == pytest.approx(0.5 * (1 + math.tanh(1)))  # about 0.88
    assert 0.0 <= squash(-10.0, 0.02) < squash(10.0, 0.02) <= 1.0


def test_strategy_evidence_when_credits_differ_weighs_returns_by_credit() -> None:
    outcomes = [
        scored_outcome({"momentum": 0.75}, risk_adjusted_return=0.04, closed_at=T0),
        scored_outcome({"momentum": -0.25}, risk_adjusted_return=0.04, closed_at=T0),
    ]

    evidence = strategy_evidence("momentum", outcomes, rules())

    # (0.75 x 0.04 - 0.25 x 0.04) / (0.75 + 0.25) = 0.02
    assert evidence.trades == 2
    assert evidence.reward == pytest.approx(reward_of(0.02))


def test_strategy_evidence_when_strategy_has_no_outcomes_has_no_reward() -> None:
    evidence = strategy_evidence("momentum", history("news_driven", [0.01]), rules())

    assert (evidence.trades, evidence.reward) == (0, None)


def test_strategy_evidence_when_window_is_full_uses_only_the_newest_trades() -> None:
    outcomes = history("momentum", [-0.5, 0.01, 0.01])

    evidence = strategy_evidence("momentum", outcomes, rules(window_trades=2))

    assert evidence.trades == 2
    assert evidence.reward == pytest.approx(reward_of(0.01))


# Guardrail: recency decay --------------------------------------------------------------------


def test_recency_weights_when_half_life_is_one_trade_halves_per_trade() -> None:
    assert recency_weights(3, 1.0) == [0.25, 0.5, 1.0]
    assert recency_weights(3, None) == [1.0, 1.0, 1.0]
    assert recency_weights(0, 5.0) == []


def test_recency_decay_when_on_makes_the_newest_trade_count_more() -> None:
    loss_then_win = history("momentum", [-0.02, 0.02])
    win_then_loss = history("momentum", [0.02, -0.02])
    decayed = rules(half_life_trades=1.0)

    improving = strategy_evidence("momentum", loss_then_win, decayed)
    worsening = strategy_evidence("momentum", win_then_loss, decayed)

    # Weights 0.5 (older) and 1 (newer): (0.5 x -0.02 + 1 x 0.02) / 1.5 = +0.00667.
    assert improving.reward == pytest.approx(reward_of(0.01 / 1.5))
    assert worsening.reward == pytest.approx(reward_of(-0.01 / 1.5))


def test_recency_decay_when_off_weighs_every_trade_alike() -> None:
    evidence = strategy_evidence("momentum", history("momentum", [-0.02, 0.02]), rules())

    assert evidence.reward == pytest.approx(0.5)


def test_recency_decay_when_on_changes_the_weights_the_update_gives() -> None:
    outcomes = history("momentum", [-0.02, 0.02]) + history("news_driven", [0.02, -0.02])
    weights = {"momentum": 0.5, "news_driven": 0.5}

    flat = adjust_weights(weights, outcomes, rules(learning_rate=0.5))
    decayed = adjust_weights(weights, outcomes, rules(learning_rate=0.5, half_life_trades=1.0))

    assert flat.changes == ()  # both rewards are 0.5: nothing to learn without decay
    assert decayed.weights["momentum"] > 0.5 > decayed.weights["news_driven"]


# Guardrail: minimum trades -------------------------------------------------------------------


def test_min_trades_when_a_strategy_has_too_few_keeps_its_weight_exactly() -> None:
    outcomes = (
        history("momentum", [0.05] * 20)
        + history("mean_reversion", [-0.05] * 20)
        + history("news_driven", [0.05] * 19)
    )

    adjustment = adjust_weights(EQUAL, outcomes, rules(min_trades=20, learning_rate=0.1))

    assert adjustment.weights["news_driven"] == THIRD
    assert adjustment.weights["momentum"] > THIRD > adjustment.weights["mean_reversion"]
    assert [c.strategy for c in adjustment.changes] == ["mean_reversion", "momentum"]
    assert adjustment.reasons["news_driven"] == "news_driven: 19 of 20 trades needed, unchanged"
    assert_on_simplex(adjustment.weights)


def test_min_trades_when_reached_lets_the_strategy_move() -> None:
    outcomes = history("momentum", [0.05] * 20) + history("mean_reversion", [-0.05] * 20)

    adjustment = adjust_weights(EQUAL, outcomes, rules(min_trades=20, learning_rate=0.1))

    assert adjustment.weights["momentum"] > THIRD
    assert adjustment.evidence["momentum"].trades == 20


def test_min_trades_when_no_strategy_qualifies_changes_nothing() -> None:
    outcomes = history("momentum", [0.05] * 5)

    adjustment = adjust_weights(EQUAL, outcomes, rules(min_trades=20))

    assert adjustment.changes == ()
    assert adjustment.weights == EQUAL


# Guardrail: most shift per cycle -------------------------------------------------------------


def test_max_shift_when_target_is_far_moves_at_most_the_cap() -> None:
    outcomes = history("momentum", [1.0]) + history("news_driven", [-1.0])
    weights = {"momentum": 0.5, "news_driven": 0.5}

    uncapped = adjust_weights(weights, outcomes, rules())
    capped = adjust_weights(weights, outcomes, rules(max_shift=0.1))

    assert uncapped.weights["momentum"] == pytest.approx(1.0)
    assert capped.weights == pytest.approx({"momentum": 0.6, "news_driven": 0.4})
    assert "(capped at 0.1 shift)" in capped.reasons["momentum"]


def test_max_shift_when_normalisation_would_push_further_still_holds() -> None:
    # Only momentum is rewarded, but the sum must stay 1: the others fall, each by at most 0.05.
    outcomes = history("momentum", [1.0]) + history("news_driven", [0.0])
    outcomes += history("mean_reversion", [0.0])

    adjustment = adjust_weights(EQUAL, outcomes, rules(max_shift=0.05))

    for name, weight in adjustment.weights.items():
        assert abs(weight - EQUAL[name]) <= 0.05 + 1e-12
    assert_on_simplex(adjustment.weights)


# Guardrail: weight floor ---------------------------------------------------------------------


def test_weight_floor_when_reward_is_nil_keeps_the_floor() -> None:
    outcomes = history("momentum", [1.0]) + history("news_driven", [-1.0])
    outcomes += history("mean_reversion", [-1.0])

    unfloored = adjust_weights(EQUAL, outcomes, rules())
    floored = adjust_weights(EQUAL, outcomes, rules(weight_floor=0.05))

    assert unfloored.weights["news_driven"] == pytest.approx(0.0, abs=1e-12)
    assert floored.weights == pytest.approx(
        {"mean_reversion": 0.05, "momentum": 0.9, "news_driven": 0.05}
    )
    assert "held at floor 0.05" in floored.reasons["news_driven"]


def test_weight_floor_when_normalising_still_holds_after_it() -> None:
    # Dividing by the sum would take (1, 0.1, 0.1) to (0.83, 0.083, 0.083) and then a floor of
    # 0.09 would break the sum; water-filling keeps both.
    weights = {"a": 0.5, "b": 0.25, "c": 0.25}
    outcomes = history("a", [1.0]) + history("b", [-0.02]) + history("c", [-0.02])

    adjustment = adjust_weights(weights, outcomes, rules(weight_floor=0.09))

    assert_on_simplex(adjustment.weights, floor=0.09)
    assert adjustment.weights["a"] == pytest.approx(0.82)


def test_weight_floor_when_too_high_for_the_strategies_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="exceeds 1"):
        adjust_weights(EQUAL, [], rules(weight_floor=0.4))


# Guardrail: normalisation --------------------------------------------------------------------


def test_normalisation_when_targets_overshoot_subtracts_one_common_level() -> None:
    outcomes = history("momentum", [0.02]) + history("news_driven", [0.0])
    outcomes += history("mean_reversion", [-0.02])

    adjustment = adjust_weights(EQUAL, outcomes, rules(learning_rate=0.5))

    targets = {
        n: 0.5 * THIRD + 0.5 * reward_of(r)
        for n, r in {"momentum": 0.02, "news_driven": 0.0, "mean_reversion": -0.02}.items()
    }
    level = (math.fsum(targets.values()) - 1) / 3
    assert adjustment.weights == pytest.approx({n: t - level for n, t in targets.items()})
    assert_on_simplex(adjustment.weights)


def test_normalisation_when_stored_weights_do_not_sum_to_one_renormalises_and_says_so() -> None:
    weights = {"momentum": 0.3, "news_driven": 0.3, "mean_reversion": 0.3}
    outcomes = history("momentum", [0.0] * 3)

    adjustment = adjust_weights(weights, outcomes, rules(min_trades=3, max_shift=0.01))

    assert_on_simplex(adjustment.weights)
    assert "renormalised (stored weights summed to 0.9000)" in adjustment.reasons["news_driven"]


@settings(max_examples=150, deadline=None)
@given(
    raw=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=6),
    returns=st.lists(st.floats(-0.2, 0.2), min_size=6, max_size=6),
    trades=st.lists(st.integers(0, 4), min_size=6, max_size=6),
)
def test_adjust_weights_when_anything_goes_keeps_every_guardrail(
    raw: list[float], returns: list[float], trades: list[int]
) -> None:
    total = math.fsum(raw)
    floor = 0.02
    weights = {f"s{i}": floor + (1 - floor * len(raw)) * w / total for i, w in enumerate(raw)}
    outcomes = [
        o for i, name in enumerate(weights) for o in history(name, [returns[i]] * trades[i])
    ]
    rule = LearningRules(min_trades=2, max_shift=0.03, weight_floor=floor, learning_rate=0.5)

    adjustment = adjust_weights(weights, outcomes, rule)

    assert_on_simplex(adjustment.weights, floor=floor)
    for name, weight in adjustment.weights.items():
        assert abs(weight - weights[name]) <= 0.03 + 1e-9
        if adjustment.evidence[name].trades < 2:
            assert weight == weights[name]


# Reasons, determinism, bad input -------------------------------------------------------------


def test_adjust_weights_when_a_weight_changes_records_why() -> None:
    outcomes = history("momentum", [0.01] * 24) + history("news_driven", [-0.01] * 24)
    weights = {"momentum": 0.5, "news_driven": 0.5}

    adjustment = adjust_weights(weights, outcomes, LearningRules())

    change = {c.strategy: c for c in adjustment.changes}["momentum"]
    reward = reward_of(0.01)
    delta = change.new_weight - 0.5
    assert change.reason == (
        f"momentum: 24 trades, reward {reward:.2f} -> {delta:+.4f} (0.5000 to "
        f"{change.new_weight:.4f})"
    )
    assert change.reward == pytest.approx(reward)
    assert change.trades_considered == 24


def test_adjust_weights_when_fed_the_same_outcomes_in_any_order_gives_identical_results() -> None:
    outcomes = (
        history("momentum", [0.03, -0.01, 0.02, 0.015] * 6, credit=0.7)
        + history("mean_reversion", [-0.02, 0.01, 0.005] * 8, credit=-0.3)
        + history("news_driven", [0.001 * i for i in range(25)])
    )
    shuffled = list(outcomes)
    random.Random(7).shuffle(shuffled)

    first = adjust_weights(EQUAL, outcomes, LearningRules())
    second = adjust_weights(dict(reversed(EQUAL.items())), shuffled, LearningRules())

    assert first.weights == second.weights
    assert first.reasons == second.reasons
    assert first.changes == second.changes
    assert list(first.weights) == sorted(first.weights)


def test_adjust_weights_when_credits_name_unknown_strategies_ignores_them() -> None:
    outcomes = history("sentiment", [0.5] * 30)

    adjustment = adjust_weights(EQUAL, outcomes, LearningRules())

    assert adjustment.weights == EQUAL
    assert "sentiment" not in adjustment.weights


def test_adjust_weights_when_a_weight_is_out_of_range_refuses_it() -> None:
    with pytest.raises(DataError, match="weight of 'momentum'"):
        adjust_weights({"momentum": 1.5, "news_driven": 0.5}, [], LearningRules())
    with pytest.raises(DataError, match="weight of 'momentum'"):
        adjust_weights({"momentum": float("nan")}, [], LearningRules())


def test_learning_rules_when_window_is_smaller_than_min_trades_are_refused() -> None:
    with pytest.raises(ValidationError, match="window_trades"):
        LearningRules(min_trades=20, window_trades=10)


def test_water_fill_when_bounds_bind_clips_and_levels_the_rest() -> None:
    targets = {"a": 0.8, "b": 0.1, "c": 0.1}
    bounds = {"a": (0.23, 0.43), "b": (0.05, 1.0), "c": (0.05, 1.0)}

    filled = water_fill(targets, bounds)

    # a is capped at 0.43; b and c share the remaining 0.57 equally (same target).
    assert filled == pytest.approx({"a": 0.43, "b": 0.285, "c": 0.285})


def test_water_fill_when_bounds_cannot_sum_to_one_refuses_them() -> None:
    with pytest.raises(DataError, match="cannot sum to 1"):
        water_fill({"a": 0.5, "b": 0.5}, {"a": (0.6, 0.7), "b": (0.6, 0.7)})


def test_adjust_weights_when_only_one_strategy_qualifies_records_no_change() -> None:
    # The others are pinned below their minimum of trades, so the sum leaves it nowhere to go.
    guarded = rules(min_trades=20, learning_rate=0.1, max_shift=0.1, weight_floor=0.05)

    adjustment = adjust_weights(EQUAL, history("momentum", [0.03] * 25), guarded)

    assert adjustment.changes == ()
    assert adjustment.weights == EQUAL
    assert "unchanged at 0.3333" in adjustment.reasons["momentum"]

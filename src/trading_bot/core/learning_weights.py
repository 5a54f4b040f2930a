"""The bandit weight update: strategy rewards from credited outcomes, moved within guardrails.

For each strategy with at least ``min_trades`` credited outcomes (its newest ``window_trades``):

    reward  = (1 + tanh(m / reward_scale)) / 2                        in (0, 1)
    m       = sum(d_i x c_i x r_i) / sum(d_i x |c_i|)                 credit-weighted mean
    d_i     = 0.5 ** (age_i / half_life_trades)                       recency decay
    target  = (1 - learning_rate) x old + learning_rate x reward

where ``c_i`` is the strategy's credit in outcome i, ``r_i`` its risk-adjusted return and
``age_i`` how many of the strategy's outcomes closed after it (0 for the newest). The half-life
is counted in trades, not time, so a strategy that trades rarely is judged on as many trades as
one that trades often, live and in a backtest alike.

The new weights are then the point closest (least squares) to the targets that satisfies every
guardrail at once, found by water-filling (subtract one common level, clip to each bound):

- a strategy below ``min_trades`` keeps its weight (the others absorb the normalisation);
- no weight moves by more than ``max_shift`` in one cycle, in weight units (0.10 is ten points
  of the allocation), normalisation included;
- no weight ends below ``weight_floor``;
- the weights sum to 1.

When the stored weights make that impossible (they did not sum to 1), only the floor and the
sum are kept and the reason says so. Strategies are handled in name order and outcomes in
(closed_at, exit_trade_id) order with exactly rounded sums, so the same outcomes always give the
same weights and reasons.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Self

from pydantic import Field, model_validator

from trading_bot.core.errors import ConfigurationError, DataError
from trading_bot.core.learning import EvaluationRules
from trading_bot.core.model import TradeOutcome, WeightChange

_EPSILON = 1e-12
"""Tolerance for "the stored weights already sum to 1" and for naming the binding bound."""
_UNCHANGED = 1e-9
"""Weights closer than this to their old value keep it: float noise, not an adjustment."""


class LearningRules(EvaluationRules):
    """The guardrails and rates of the weight update (and how outcomes are scored)."""

    learning_rate: float = Field(
        default=0.1, gt=0, le=1, allow_inf_nan=False, description="step towards the reward"
    )
    min_trades: int = Field(
        default=20, ge=0, description="credited outcomes a strategy needs before it is adjusted"
    )
    max_shift: float = Field(
        default=0.10,
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="most a weight moves in one cycle, absolute (0.10 = ten points)",
    )
    weight_floor: float = Field(
        default=0.05, ge=0, lt=1, allow_inf_nan=False, description="no weight ends below this"
    )
    half_life_trades: float | None = Field(
        default=20.0,
        gt=0,
        allow_inf_nan=False,
        description="a trade this many trades old counts half; None weighs all alike",
    )
    reward_scale: float = Field(
        default=0.02,
        gt=0,
        allow_inf_nan=False,
        description="mean risk-adjusted return that maps to a reward of about 0.88",
    )
    window_trades: int = Field(
        default=200, ge=1, description="newest credited outcomes per strategy that are used"
    )

    @model_validator(mode="after")
    def _window_holds_min_trades(self) -> Self:
        if self.window_trades < self.min_trades:
            raise ValueError(
                f"window_trades ({self.window_trades}) must be at least min_trades "
                f"({self.min_trades}), or no strategy could ever be adjusted"
            )
        return self


@dataclass(frozen=True, slots=True)
class StrategyEvidence:
    """What the credited outcomes say about one strategy."""

    trades: int
    """Credited outcomes considered (at most ``window_trades``)."""
    reward: float | None
    """The reward in (0, 1); None when there were no outcomes."""


@dataclass(frozen=True, slots=True)
class WeightAdjustment:
    """The result of one learning cycle."""

    weights: dict[str, float]
    """Every strategy's weight after the cycle, by name."""
    changes: tuple[WeightChange, ...]
    """The strategies whose weight changed, in name order, each with its reason."""
    reasons: dict[str, str]
    """Why each strategy has its weight, changed or not."""
    evidence: dict[str, StrategyEvidence]
    """What the outcomes said about each strategy."""


def recency_weights(count: int, half_life_trades: float | None) -> list[float]:
    """Return the decay factor of each of ``count`` outcomes, oldest first (newest is 1)."""
    if half_life_trades is None:
        return [1.0] * count
    return [0.5 ** ((count - 1 - index) / half_life_trades) for index in range(count)]


def squash(mean: float, scale: float) -> float:
    """Map a mean risk-adjusted return onto (0, 1): ``(1 + tanh(mean / scale)) / 2``."""
    return 0.5 * (1.0 + math.tanh(mean / scale))


def strategy_evidence(
    strategy: str, outcomes: Iterable[TradeOutcome], rules: LearningRules
) -> StrategyEvidence:
    """Return the reward the newest ``window_trades`` outcomes crediting ``strategy`` earn it."""
    credited = sorted(
        (o for o in outcomes if o.strategy_credits.get(strategy, 0.0) != 0.0),
        key=lambda o: (o.closed_at, str(o.exit_trade_id)),
    )[-rules.window_trades :]
    if not credited:
        return StrategyEvidence(trades=0, reward=None)
    decay = recency_weights(len(credited), rules.half_life_trades)
    credits = [o.strategy_credits[strategy] for o in credited]
    returns = [o.risk_adjusted_return for o in credited]
    numerator = math.fsum(d * c * r for d, c, r in zip(decay, credits, returns, strict=True))
    denominator = math.fsum(d * abs(c) for d, c in zip(decay, credits, strict=True))
    return StrategyEvidence(
        trades=len(credited), reward=squash(numerator / denominator, rules.reward_scale)
    )


def adjust_weights(
    weights: Mapping[str, float],
    outcomes: Iterable[TradeOutcome],
    rules: LearningRules | None = None,
) -> WeightAdjustment:
    """Return the weights one learning cycle gives the strategies in ``weights``.

    Outcomes crediting strategies not in ``weights`` are ignored. Raise ``DataError`` for a
    weight outside [0, 1] and ``ConfigurationError`` when the floor cannot hold for this many
    strategies (``weight_floor x count > 1``).
    """
    rules = rules or LearningRules()
    names = sorted(weights)
    old = {name: _checked_weight(name, weights[name]) for name in names}
    if rules.weight_floor * len(names) > 1.0 + _EPSILON:
        raise ConfigurationError(
            f"weight_floor {rules.weight_floor} x {len(names)} strategies exceeds 1"
        )
    pool = list(outcomes)
    evidence = {name: strategy_evidence(name, pool, rules) for name in names}
    eligible = [
        name
        for name in names
        if evidence[name].reward is not None and evidence[name].trades >= rules.min_trades
    ]
    if not eligible:
        unchanged = {name: _unchanged_reason(name, evidence[name], rules) for name in names}
        return WeightAdjustment(dict(old), (), unchanged, evidence)

    targets, bounds = _targets_and_bounds(old, evidence, eligible, rules)
    relaxed = not _feasible(bounds.values())
    if relaxed:
        bounds = {name: (rules.weight_floor, 1.0) for name in names}
    new = water_fill(targets, bounds)
    # The water level is found numerically: a weight it leaves where it was, give or take
    # rounding, has not changed (no adjustment is recorded for it).
    new = {n: old[n] if abs(new[n] - old[n]) <= _UNCHANGED else new[n] for n in names}

    total_before = math.fsum(old.values())
    reasons: dict[str, str] = {}
    changes: list[WeightChange] = []
    for name in names:
        reason = _reason(name, old[name], new[name], evidence[name], rules)
        if relaxed:
            reason += f"; renormalised (stored weights summed to {total_before:.4f})"
        reasons[name] = reason
        if new[name] != old[name]:
            changes.append(
                WeightChange(
                    strategy=name,
                    new_weight=new[name],
                    reason=reason,
                    reward=evidence[name].reward,
                    trades_considered=evidence[name].trades,
                )
            )
    return WeightAdjustment(new, tuple(changes), reasons, evidence)


def water_fill(
    targets: Mapping[str, float], bounds: Mapping[str, tuple[float, float]]
) -> dict[str, float]:
    """Return ``clip(target - level, low, high)`` per name, with the level making the sum 1.

    This is the least-squares projection of the targets onto {sum = 1, low <= w <= high}.
    Raise ``DataError`` when the bounds admit no such point.
    """
    names = sorted(targets)
    if not _feasible(bounds[name] for name in names):
        raise DataError("the weight bounds cannot sum to 1")

    def filled(level: float) -> float:
        return math.fsum(_clip(targets[n] - level, *bounds[n]) for n in names)

    breakpoints = sorted(
        {targets[n] - bounds[n][1] for n in names} | {targets[n] - bounds[n][0] for n in names}
    )
    # filled() falls from sum(high) at the first breakpoint to sum(low) at the last and is
    # linear between neighbours: find the pair that brackets 1 and solve its line. Without a
    # bracket (the sums touch 1 within rounding) every weight sits at one of its bounds.
    level = breakpoints[0] if filled(breakpoints[0]) <= 1.0 else breakpoints[-1]
    for left, right in itertools.pairwise(breakpoints):
        at_left, at_right = filled(left), filled(right)
        if at_left >= 1.0 >= at_right:
            slope = (at_left - at_right) / (right - left)
            level = left if slope == 0.0 else left + (at_left - 1.0) / slope
            break
    return {n: _clip(targets[n] - level, *bounds[n]) for n in names}


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _feasible(bounds: Iterable[tuple[float, float]]) -> bool:
    pairs = list(bounds)
    low = math.fsum(pair[0] for pair in pairs)
    high = math.fsum(pair[1] for pair in pairs)
    return low <= 1.0 + _EPSILON and high >= 1.0 - _EPSILON


def _checked_weight(name: str, weight: float) -> float:
    if not (isinstance(weight, float | int) and math.isfinite(weight) and 0.0 <= weight <= 1.0):
        raise DataError(f"weight of {name!r} must be a number in [0, 1], got {weight!r}")
    return float(weight)


def _targets_and_bounds(
    old: Mapping[str, float],
    evidence: Mapping[str, StrategyEvidence],
    eligible: Iterable[str],
    rules: LearningRules,
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Return the bandit target and the (low, high) bounds of every strategy.

    A strategy not eligible is pinned to its weight (raised to the floor if below it).
    """
    adjustable = set(eligible)
    targets: dict[str, float] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for name, weight in old.items():
        reward = evidence[name].reward
        if name in adjustable and reward is not None:
            targets[name] = (1.0 - rules.learning_rate) * weight + rules.learning_rate * reward
            low = max(rules.weight_floor, weight - rules.max_shift)
            bounds[name] = (low, max(low, min(1.0, weight + rules.max_shift)))
        else:
            targets[name] = pinned = max(weight, rules.weight_floor)
            bounds[name] = (pinned, pinned)
    return targets, bounds


def _unchanged_reason(name: str, evidence: StrategyEvidence, rules: LearningRules) -> str:
    return f"{name}: {evidence.trades} of {rules.min_trades} trades needed, unchanged"


def _reason(
    name: str, old: float, new: float, evidence: StrategyEvidence, rules: LearningRules
) -> str:
    """Say why ``name`` went from ``old`` to ``new``, naming the guardrail that bound it."""
    if evidence.reward is None or evidence.trades < rules.min_trades:
        if new == old:
            return _unchanged_reason(name, evidence, rules)
        return (
            f"{name}: {evidence.trades} of {rules.min_trades} trades needed; "
            f"{old:.4f} to {new:.4f} to keep the floor and the sum"
        )
    if new == old:
        return (
            f"{name}: {evidence.trades} trades, reward {evidence.reward:.2f}, unchanged at "
            f"{old:.4f} (the other weights cannot give way, or the target is the weight)"
        )
    notes: list[str] = []
    delta = new - old
    if abs(abs(delta) - rules.max_shift) <= _EPSILON:
        notes.append(f"capped at {rules.max_shift:g} shift")
    if rules.weight_floor > 0 and abs(new - rules.weight_floor) <= _EPSILON:
        notes.append(f"held at floor {rules.weight_floor:g}")
    suffix = f" ({', '.join(notes)})" if notes else ""
    return (
        f"{name}: {evidence.trades} trades, reward {evidence.reward:.2f} -> {delta:+.4f} "
        f"({old:.4f} to {new:.4f}){suffix}"
    )

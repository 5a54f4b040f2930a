"""The round-trip evaluator: P&L, ROI, hold, risk-adjusted return and credit, worked by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trading_bot.core.errors import DataError
from trading_bot.core.learning import (
    EvaluationRules,
    attribute_credit,
    evaluate_round_trip,
    outcome_id_for,
    risk_adjusted_return,
)
from trading_bot.core.model import Direction, OrderStatus, StrategySource
from trading_bot.testing.learning import filled_entry, filled_exit
from trading_bot.testing.signals import make_signal

T0 = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
D = Decimal
LONG, SHORT, NEUTRAL = Direction.LONG, Direction.SHORT, Direction.NEUTRAL


def source(name: str, direction: Direction, strength: float) -> StrategySource:
    return StrategySource(strategy=name, direction=direction, strength=strength, weight=0.5)


def test_evaluate_when_long_closes_higher_nets_both_commissions() -> None:
    entry = filled_entry(make_signal(), price=D("100"), qty=D("10"), commission=D("1"), at=T0)
    exit_ = filled_exit(entry, price=D("110"), commission=D("1"), at=T0 + timedelta(days=4))

    outcome = evaluate_round_trip(entry, exit_)

    # 10 x (110 - 100) = 100 gross, less 1 + 1 commission = 98; cost 10 x 100 + 1 = 1001.
    assert outcome.realized_pnl == D("98")
    assert outcome.roi_pct == pytest.approx(98 / 1001 * 100)
    assert outcome.hold_seconds == 4 * 86_400
    # ROI 9.79% over 4 days: 0.0979 / sqrt(4).
    assert outcome.risk_adjusted_return == pytest.approx(98 / 1001 / 2)
    assert (outcome.entry_trade_id, outcome.exit_trade_id) == (entry.trade_id, exit_.trade_id)
    assert outcome.closed_at == exit_.executed_at


def test_evaluate_when_short_closes_lower_earns_the_fall() -> None:
    signal = make_signal(direction=SHORT, price=50.0)
    entry = filled_entry(signal, price=D("50"), qty=D("20"), commission=D("0.5"), at=T0)
    exit_ = filled_exit(entry, price=D("46"), commission=D("0.5"), at=T0 + timedelta(days=1))

    outcome = evaluate_round_trip(entry, exit_)

    # -1 x (46 - 50) x 20 = 80 gross, less 0.5 + 0.5 = 79; cost 20 x 50 + 0.5 = 1000.5.
    assert outcome.realized_pnl == D("79")
    assert outcome.roi_pct == pytest.approx(79 / 1000.5 * 100)
    assert outcome.risk_adjusted_return == pytest.approx(79 / 1000.5)


def test_evaluate_when_long_closes_lower_is_a_loss() -> None:
    entry = filled_entry(make_signal(), price=D("100"), qty=D("5"), at=T0)
    exit_ = filled_exit(entry, price=D("97"), commission=D("0.25"), at=T0 + timedelta(days=1))

    outcome = evaluate_round_trip(entry, exit_)

    assert outcome.realized_pnl == D("-15.25")
    assert outcome.roi_pct == pytest.approx(-15.25 / 500 * 100)


def test_evaluate_when_exit_is_partial_charges_the_entry_commission_pro_rata() -> None:
    entry = filled_entry(make_signal(), price=D("100"), qty=D("10"), commission=D("2"), at=T0)
    exit_ = filled_exit(
        entry, price=D("105"), qty=D("4"), commission=D("1"), at=T0 + timedelta(days=1)
    )

    outcome = evaluate_round_trip(entry, exit_)

    # 4 x 5 = 20 gross, less 2 x 4/10 = 0.8 and 1 = 18.2; cost 4 x 100 + 0.8 = 400.8.
    assert outcome.realized_pnl == D("18.2")
    assert outcome.roi_pct == pytest.approx(18.2 / 400.8 * 100)


def test_evaluate_when_exit_fills_more_than_the_entry_scores_only_the_closed_part() -> None:
    entry = filled_entry(make_signal(), price=D("100"), qty=D("10"), at=T0)
    exit_ = filled_exit(
        entry, price=D("101"), qty=D("15"), commission=D("3"), at=T0 + timedelta(days=1)
    )

    outcome = evaluate_round_trip(entry, exit_)

    # 10 closed of the 15 filled: 10 x 1 gross, less 3 x 10/15 = 2 of the exit's commission.
    assert outcome.realized_pnl == D("8")


def test_evaluate_when_hold_is_shorter_than_the_floor_uses_the_floor() -> None:
    entry = filled_entry(make_signal(), price=D("100"), qty=D("10"), at=T0)
    exit_ = filled_exit(entry, price=D("101"), at=T0 + timedelta(minutes=10))

    outcome = evaluate_round_trip(entry, exit_, rules=EvaluationRules(min_hold_seconds=3_600))

    assert outcome.hold_seconds == 600
    assert outcome.risk_adjusted_return == pytest.approx(0.01 / math.sqrt(1 / 24))


def test_evaluate_when_built_twice_gives_the_same_outcome_id() -> None:
    entry = filled_entry(make_signal(), price=D("100"), at=T0)
    exit_ = filled_exit(entry, price=D("101"), at=T0 + timedelta(hours=2))

    first, second = evaluate_round_trip(entry, exit_), evaluate_round_trip(entry, exit_)

    assert first.outcome_id == second.outcome_id == outcome_id_for(exit_.trade_id)


def test_evaluate_when_sources_given_attributes_credit_to_the_entry_signal() -> None:
    entry = filled_entry(make_signal(), price=D("100"), at=T0)
    exit_ = filled_exit(entry, price=D("90"), at=T0 + timedelta(hours=2))
    sources = (source("momentum", LONG, 0.6), source("mean_reversion", SHORT, 0.2))

    outcome = evaluate_round_trip(entry, exit_, sources)

    assert outcome.strategy_credits == pytest.approx({"mean_reversion": -0.25, "momentum": 0.75})


def test_attribute_credit_when_strategies_disagree_splits_by_strength_with_opposite_signs() -> None:
    sources = [
        source("momentum", LONG, 0.6),
        source("mean_reversion", SHORT, 0.2),
        source("news_driven", LONG, 0.2),
    ]

    credits = attribute_credit(sources, LONG)

    # Strengths 0.6 + 0.2 + 0.2 = 1.0; the short-sighted mean reversion argued against.
    assert credits == pytest.approx({"mean_reversion": -0.2, "momentum": 0.6, "news_driven": 0.2})
    assert list(credits) == sorted(credits)
    assert math.fsum(abs(c) for c in credits.values()) == pytest.approx(1.0)


def test_attribute_credit_when_trade_is_short_flips_every_sign() -> None:
    sources = [source("momentum", SHORT, 0.9), source("mean_reversion", LONG, 0.3)]

    credits = attribute_credit(sources, SHORT)

    assert credits == pytest.approx({"mean_reversion": -0.25, "momentum": 0.75})


def test_attribute_credit_when_source_is_neutral_or_weightless_gives_it_nothing() -> None:
    sources = [
        source("momentum", LONG, 0.5),
        source("news_driven", NEUTRAL, 0.9),
        source("mean_reversion", SHORT, 0.0),
    ]

    assert attribute_credit(sources, LONG) == {"momentum": 1.0}


def test_attribute_credit_when_no_source_voted_returns_no_credit() -> None:
    assert attribute_credit([source("news_driven", NEUTRAL, 0.9)], LONG) == {}
    assert attribute_credit([source("momentum", LONG, 0.9)], NEUTRAL) == {}
    assert attribute_credit([], LONG) == {}


def test_attribute_credit_when_a_strategy_is_named_twice_sums_its_shares() -> None:
    sources = [source("momentum", LONG, 0.3), source("momentum", LONG, 0.1)]
    sources.append(source("news_driven", LONG, 0.4))

    assert attribute_credit(sources, LONG) == pytest.approx({"momentum": 0.5, "news_driven": 0.5})


def test_risk_adjusted_return_when_held_a_day_equals_the_roi_fraction() -> None:
    assert risk_adjusted_return(3.0, 86_400) == pytest.approx(0.03)
    assert risk_adjusted_return(3.0, 9 * 86_400) == pytest.approx(0.01)


def test_risk_adjusted_return_when_input_is_not_finite_refuses_it() -> None:
    with pytest.raises(DataError, match="cannot risk-adjust"):
        risk_adjusted_return(float("nan"), 3_600)
    with pytest.raises(DataError, match="cannot risk-adjust"):
        risk_adjusted_return(1.0, -1)


def test_evaluate_when_entry_never_filled_refuses_the_pair() -> None:
    entry = filled_entry(make_signal(), price=D("100"), at=T0).model_copy(
        update={"filled_qty": D(0), "price": None, "status": OrderStatus.CANCELLED}
    )
    exit_ = filled_exit(entry.model_copy(update={"filled_qty": D(10)}), price=D("101"), at=T0)

    with pytest.raises(DataError, match=r"entry trade .* has no fill"):
        evaluate_round_trip(entry, exit_)


def test_evaluate_when_tickers_differ_refuses_the_pair() -> None:
    entry = filled_entry(make_signal("AAPL"), price=D("100"), at=T0)
    exit_ = filled_exit(filled_entry(make_signal("MSFT"), price=D("1"), at=T0), price=D("2"), at=T0)

    with pytest.raises(DataError, match="MSFT cannot close a position in AAPL"):
        evaluate_round_trip(entry, exit_)


def test_evaluate_when_exit_trades_the_same_side_refuses_the_pair() -> None:
    entry = filled_entry(make_signal(), price=D("100"), at=T0)
    exit_ = filled_exit(entry, price=D("101"), at=T0).model_copy(update={"side": entry.side})

    with pytest.raises(DataError, match="must trade against the entry"):
        evaluate_round_trip(entry, exit_)


def test_evaluate_when_exit_precedes_entry_refuses_the_pair() -> None:
    entry = filled_entry(make_signal(), price=D("100"), at=T0)
    exit_ = filled_exit(entry, price=D("101"), at=T0 - timedelta(seconds=1))

    with pytest.raises(DataError, match="precedes its entry"):
        evaluate_round_trip(entry, exit_)


def test_evaluate_when_roles_are_swapped_refuses_the_pair() -> None:
    entry = filled_entry(make_signal(), price=D("100"), at=T0)
    exit_ = filled_exit(entry, price=D("101"), at=T0 + timedelta(hours=1))

    with pytest.raises(DataError, match="must be an entry"):
        evaluate_round_trip(exit_, entry)

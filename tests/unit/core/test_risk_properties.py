"""Property: whatever signals and prices come, approved orders applied to a ledger keep the limits.

Every approved decision (entries, signal exits and stop-loss / take-profit exits) is filled in
the pure ``Ledger`` at the decision price with a fixed plus percentage commission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.ledger import Ledger
from trading_bot.core.model import Direction, Position
from trading_bot.core.risk import (
    Approved,
    PortfolioView,
    RiskConfig,
    RiskManager,
    RiskState,
    protective_exit,
)
from trading_bot.core.sizing import SizingMethod
from trading_bot.testing.signals import DEFAULT_NOW, make_signal

D = Decimal
TICKERS = ("AAA", "BBB", "CCC", "DDD", "EEE")
FIXED_COMMISSION = D(5)
COMMISSION_RATE = D("0.0005")
CALENDAR = NyseCalendar()


@dataclass(frozen=True)
class Step:
    ticker: str
    direction: Direction
    strength: float
    price: Decimal


steps = st.lists(
    st.builds(
        Step,
        ticker=st.sampled_from(TICKERS),
        direction=st.sampled_from([Direction.LONG, Direction.SHORT]),
        strength=st.floats(min_value=0.3, max_value=1.0),
        price=st.decimals(min_value=D("0.50"), max_value=D(900), places=2),
    ),
    min_size=1,
    max_size=40,
)


@st.composite
def configs(draw: st.DrawFn, *, allow_short: bool) -> RiskConfig:
    position_pct = draw(st.sampled_from([D("0.05"), D("0.2"), D("0.5"), D(1)]))
    return RiskConfig(
        sizing=draw(st.sampled_from(list(SizingMethod))),
        fraction_per_trade=draw(st.sampled_from([D("0.02"), D("0.1"), D("0.4"), D(1)])),
        fixed_qty=draw(st.sampled_from([D(1), D(10), D(200)])),
        max_position_pct=position_pct,
        max_total_exposure_pct=draw(st.sampled_from([D("0.5"), D("0.8"), D(1)])).max(position_pct),
        max_positions=draw(st.integers(min_value=1, max_value=4)),
        stop_loss_pct=draw(st.sampled_from([D(0), D("0.03"), D("0.2")])),
        take_profit_pct=draw(st.sampled_from([None, D("0.05")])),
        allow_fractional=draw(st.booleans()),
        allow_short=allow_short,
        commission_per_order=FIXED_COMMISSION,
        cost_reserve_pct=D("0.001"),
        cooldown_minutes=0,
        daily_loss_limit_pct=None,
        enforce_market_hours=False,
    )


def view_of(
    ledger: Ledger, prices: dict[str, Decimal], levels: dict[str, Approved]
) -> PortfolioView:
    positions = {
        ticker: Position(
            ticker=ticker,
            qty=held.qty,
            avg_entry_price=held.avg_price,
            market_price=prices[ticker],
            stop_loss=levels[ticker].stop_loss if ticker in levels else None,
            take_profit=levels[ticker].take_profit if ticker in levels else None,
        )
        for ticker, held in ledger.positions.items()
    }
    cash = ledger.cash
    return PortfolioView(
        cash=cash, equity=ledger.equity(prices), buying_power=max(cash, D(0)), positions=positions
    )


def fill(ledger: Ledger, decision: Approved, step_index: int) -> None:
    commission = FIXED_COMMISSION + COMMISSION_RATE * decision.qty * decision.price
    at = DEFAULT_NOW + timedelta(minutes=step_index)
    ledger.apply_fill(decision.ticker, decision.side, decision.qty, decision.price, commission, at)


def replay(config: RiskConfig, script: list[Step]) -> None:
    """Apply every approved decision and check the limits after each fill."""
    risk = RiskManager(config, CALENDAR)
    ledger = Ledger(cash=D(10_000))
    prices: dict[str, Decimal] = {}
    levels: dict[str, Approved] = {}
    for index, step in enumerate(script):
        prices[step.ticker] = step.price
        view = view_of(ledger, prices, levels)
        held = view.position(step.ticker)
        if held is not None and (reason := protective_exit(held, step.price)) is not None:
            decision = risk.evaluate_exit(step.ticker, view, reason, step.price)
            assert isinstance(decision, Approved)
            fill(ledger, decision, index)
            levels.pop(step.ticker, None)
            view = view_of(ledger, prices, levels)
        signal = make_signal(
            step.ticker, step.direction, price=float(step.price), strength=step.strength
        )
        decision = risk.evaluate(signal, view, RiskState(), DEFAULT_NOW)
        if not isinstance(decision, Approved):
            continue
        fill(ledger, decision, index)
        if decision.is_exit:
            levels.pop(step.ticker, None)
        else:
            levels[step.ticker] = decision
            exposure = sum((abs(p.qty) * prices[t] for t, p in ledger.positions.items()), D(0))
            assert decision.qty * decision.price <= config.max_position_pct * view.equity
            assert exposure <= config.max_total_exposure_pct * view.equity
        assert len(ledger.positions) <= config.max_positions
        if not config.allow_short:
            assert ledger.cash >= 0
            assert all(p.qty > 0 for p in ledger.positions.values())


@settings(max_examples=150, deadline=None)
@given(config=configs(allow_short=False), script=steps)
def test_risk_manager_long_only_never_breaks_a_cap_or_overdraws_cash(
    config: RiskConfig, script: list[Step]
) -> None:
    replay(config, script)


@settings(max_examples=75, deadline=None)
@given(config=configs(allow_short=True), script=steps)
def test_risk_manager_with_shorts_never_breaks_a_cap(
    config: RiskConfig, script: list[Step]
) -> None:
    replay(config, script)

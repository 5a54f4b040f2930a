"""The automatic pause in the risk manager: entries refused with the condition, exits allowed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.model import Direction, Position
from trading_bot.core.risk import (
    Approved,
    PortfolioView,
    Rejected,
    RejectReason,
    RiskConfig,
    RiskManager,
    RiskState,
)
from trading_bot.testing.signals import DEFAULT_NOW, make_signal

CALENDAR = NyseCalendar(date(2024, 1, 1), date(2024, 12, 31))
D = Decimal
VIEW = PortfolioView(cash=D(100_000), equity=D(100_000), buying_power=D(100_000))


def test_risk_manager_when_auto_paused_refuses_an_entry_naming_the_condition() -> None:
    state = RiskState(auto_paused=("broker", "market_data"))

    decision = RiskManager(RiskConfig(), CALENDAR).evaluate(
        make_signal("AAPL", Direction.LONG, price=50.0), VIEW, state, DEFAULT_NOW
    )

    assert isinstance(decision, Rejected)
    assert decision.reason is RejectReason.AUTO_PAUSED
    assert decision.code == "AUTO_PAUSED:broker"
    assert "market_data" in decision.detail


def test_risk_manager_when_auto_paused_still_exits_a_position_a_signal_turns_against() -> None:
    held = Position(ticker="AAPL", qty=D(10), avg_entry_price=D(50))
    view = VIEW.model_copy(update={"positions": {"AAPL": held}})

    decision = RiskManager(RiskConfig(), CALENDAR).evaluate(
        make_signal("AAPL", Direction.SHORT, price=50.0),
        view,
        RiskState(auto_paused=("bus",)),
        DEFAULT_NOW,
    )

    assert isinstance(decision, Approved)
    assert decision.is_exit


def test_rejection_code_without_a_condition_is_the_reason() -> None:
    rejection = Rejected(ticker="AAPL", reason=RejectReason.PDT_LIMIT, detail="three already")

    assert rejection.code == "PDT_LIMIT"

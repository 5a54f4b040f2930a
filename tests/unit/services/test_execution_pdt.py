"""The pattern-day-trader guard in the executor: three stored day trades in five business days
refuse a new entry on a small margin account, and nothing changes for a cash account."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trading_bot.adapters.brokers.paper import PaperBrokerConfig
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import SignalGenerated
from trading_bot.core.model import OrderSide, OrderStatus, SignalOutcome
from trading_bot.core.risk import RiskConfig
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import DEFAULT_NOW, make_signal
from trading_bot.testing.storage_records import make_execution
from trading_bot.testing.trading_rigs import Storage, build_executor

SMALL = PaperBrokerConfig(starting_cash=Decimal(20_000))


async def three_day_trades(storage: Storage) -> None:
    """Round trips on Thursday 2/29, Friday 3/1 and Monday 3/4 (DEFAULT_NOW is Tuesday 3/5)."""
    for month, day in ((2, 29), (3, 1), (3, 4)):
        for hour, is_exit in ((15, False), (17, True)):
            await storage.repositories.trades.add(
                make_execution(
                    ticker="MSFT",
                    side=OrderSide.SELL if is_exit else OrderSide.BUY,
                    status=OrderStatus.FILLED,
                    filled_qty=Decimal(1),
                    price=Decimal(400),
                    is_exit=is_exit,
                    executed_at=datetime(2024, month, day, hour, tzinfo=UTC),
                )
            )


@pytest.mark.parametrize(
    ("risk", "outcome"),
    [
        (RiskConfig(), SignalOutcome.REJECTED),
        (RiskConfig(account_type="cash"), SignalOutcome.FILLED),
    ],
)
async def test_executor_with_three_day_trades_on_a_small_margin_account_refuses_the_entry(
    storage: Storage, risk: RiskConfig, outcome: SignalOutcome
) -> None:
    clock = SimulatedClock(DEFAULT_NOW)
    metrics = RecordingMetrics()
    bus = MemoryBus(quick_memory_config(), clock=clock, metrics=metrics)
    rig = await build_executor(
        storage, bus=bus, clock=clock, metrics=metrics, risk=risk, paper=SMALL
    )
    await three_day_trades(storage)
    signal = make_signal("AAPL", price=100.0, generated_at=clock.now())

    await rig.service.on_signal_generated(SignalGenerated(occurred_at=clock.now(), signal=signal))

    record = await storage.repositories.signals.get(signal.signal_id)
    assert record is not None
    assert record.outcome is outcome
    if outcome is SignalOutcome.REJECTED:
        assert record.outcome_reason.startswith("PDT_LIMIT")
    await bus.close()

"""The plan's trading flow on the real Redis and PostgreSQL: a signal on `signals:generated` ->
the trade-executor on the local Alpaca-speaking server -> the trade recorded in the database ->
the learning engine evaluates the round trip and moves the weights.

The services are the ones `trading-bot service trade-executor` and `service learning-engine` run
(built by the composition root with the Redis bus and PostgreSQL), in this process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from trading_bot.adapters.storage import upgrade_database
from trading_bot.core.events import BarClosed, SignalGenerated
from trading_bot.core.model import (
    Direction,
    OrderStatus,
    StrategySource,
    TradeSignal,
    client_order_id_for,
)
from trading_bot.entrypoints.container import Ports
from trading_bot.entrypoints.service_names import LEARNING_ENGINE, TRADE_EXECUTOR
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.bar_series import bars_from_closes
from trading_bot.testing.deployment import running_services, settings_for_test
from trading_bot.testing.signals import make_signal
from trading_bot.testing.trading_rigs import eventually

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

JWT_SECRET = "integration-secret-that-is-long-enough-0123456789"


@pytest.fixture
def alpaca() -> Iterator[LocalAlpacaServer]:
    with LocalAlpacaServer(cash=Decimal(100_000)) as server:
        yield server


@pytest.fixture
async def ports(
    alpaca: LocalAlpacaServer, postgres_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[Ports]:
    await upgrade_database(postgres_url)
    values: dict[str, Any] = {
        "mode": "paper",
        "bus": {"kind": "redis", "url": redis_url, "prefix": redis_prefix},
        "storage": {"url": postgres_url},
        "api": {"jwt_secret": SecretStr(JWT_SECRET)},
        "alpaca": {
            "api_key": SecretStr(alpaca.api_key),
            "secret_key": SecretStr(alpaca.secret_key),
            "base_url": alpaca.url,
        },
        # The test runs at any hour; the calendar has its own tests.
        "risk": {"enforce_market_hours": False, "cooldown_minutes": 0},
        "execution": {"reconcile_interval_seconds": 0.5},
        "learning": {"min_trades": 1},
    }
    async with running_services(
        settings_for_test(values), [TRADE_EXECUTOR, LEARNING_ENGINE]
    ) as running:
        yield running


async def price(ports: Ports, alpaca: LocalAlpacaServer, close: float) -> None:
    """Move AAPL to ``close`` at the broker and on `market:bars`, as a closing bar would."""
    now = ports.clock.now()
    alpaca.set_price("AAPL", Decimal(str(close)))
    (bar,) = bars_from_closes([close], ticker="AAPL", start=now - timedelta(minutes=1))
    await ports.bus.publish(BarClosed(occurred_at=now, bar=bar))


async def signal(ports: Ports, direction: Direction, close: float, strategy: str) -> TradeSignal:
    """Publish a signal argued for by ``strategy`` alone; return it."""
    sources = (StrategySource(strategy=strategy, direction=direction, strength=0.8, weight=1 / 3),)
    generated = make_signal(
        "AAPL",
        direction,
        price=close,
        strength=0.8,
        sources=sources,
        generated_at=ports.clock.now(),
    )
    await ports.bus.publish(SignalGenerated(occurred_at=ports.clock.now(), signal=generated))
    return generated


async def settled(ports: Ports, trade_signal: TradeSignal) -> None:
    async def filled() -> bool:
        trade = await ports.repos.trades.get_by_client_order_id(
            client_order_id_for(trade_signal.signal_id)
        )
        return trade is not None and trade.status is OrderStatus.FILLED

    await eventually(filled, timeout_s=30, every_s=0.1)


async def test_trading_flow_when_signals_arrive_trades_at_alpaca_records_and_learns(
    ports: Ports, alpaca: LocalAlpacaServer
) -> None:
    repos = ports.repos
    # A winning round trip argued for by momentum: bought at 100, sold at 110 on its signal.
    await price(ports, alpaca, 100.0)
    first_entry = await signal(ports, Direction.LONG, 100.0, "momentum")
    await settled(ports, first_entry)
    await price(ports, alpaca, 110.0)
    first_exit = await signal(ports, Direction.SHORT, 110.0, "momentum")
    await settled(ports, first_exit)
    # A losing one argued for by the news: bought at 110, stopped out when the price fell.
    second_entry = await signal(ports, Direction.LONG, 110.0, "news_driven")
    await settled(ports, second_entry)
    await price(ports, alpaca, 100.0)

    async def learned() -> bool:
        weights = await repos.strategies.weights()
        return weights["momentum"] - weights["news_driven"] > 0.01

    await eventually(learned, timeout_s=30, every_s=0.2)

    trades = (await repos.trades.query(limit=100)).items
    outcomes = sorted(await repos.outcomes.recent(limit=10), key=lambda o: o.closed_at)
    weights = await repos.strategies.weights()
    assert [(t.execution.side.value, t.execution.status) for t in reversed(trades)] == [
        ("BUY", OrderStatus.FILLED),
        ("SELL", OrderStatus.FILLED),
        ("BUY", OrderStatus.FILLED),
        ("SELL", OrderStatus.FILLED),
    ]
    assert sorted(o["client_order_id"] for o in alpaca.orders) == sorted(
        t.execution.client_order_id for t in trades
    )
    assert [o.strategy_credits for o in outcomes] == [{"momentum": 1.0}, {"news_driven": 1.0}]
    assert outcomes[0].realized_pnl > 0 > outcomes[1].realized_pnl
    assert weights["momentum"] > weights["mean_reversion"] > weights["news_driven"]
    assert sum(weights.values()) == pytest.approx(1.0)

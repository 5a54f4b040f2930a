"""Broker benchmark: the ledger, the paper broker, and the Alpaca broker against a local server.

Run ``python -m benchmarks.brokers`` (``--help`` for options) from the repository root. Each
figure is measured over several runs and reported as min / median (for rates the minimum is the
slowest run; for latencies it is the fastest).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from contextlib import aclosing
from datetime import UTC, datetime
from decimal import Decimal

import structlog

from trading_bot.adapters.brokers.alpaca import AlpacaBroker
from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.ledger import Ledger
from trading_bot.core.model import OrderRequest, OrderSide
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.key_value import MemoryKeyValueStore

T0 = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
TICKERS = ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "GOOG", "AMD", "INTC", "NFLX")


def ledger_fills_per_second(fills: int) -> float:
    """Return how many fills per second the ledger books (buys and sells over ten tickers)."""
    ledger = Ledger(Decimal(10_000_000))
    started = time.perf_counter()
    for i in range(fills):
        side = OrderSide.BUY if (i // len(TICKERS)) % 3 != 2 else OrderSide.SELL
        price = Decimal(100) + Decimal(i % 97) / 100
        ledger.apply_fill(TICKERS[i % len(TICKERS)], side, Decimal(3), price, Decimal("0.01"), T0)
    return fills / (time.perf_counter() - started)


def orders(count: int, prefix: str) -> list[OrderRequest]:
    """Return ``count`` alternating market buys and sells of one share."""
    return [
        OrderRequest(
            client_order_id=f"{prefix}-{i}",
            ticker=TICKERS[(i // 2) % len(TICKERS)],
            side=OrderSide.BUY if i % 2 == 0 else OrderSide.SELL,
            qty=Decimal(1),
        )
        for i in range(count)
    ]


async def paper_orders_per_second(count: int) -> float:
    """Return market orders per second through the paper broker, saving after each."""
    prices = LatestPrices(dict.fromkeys(TICKERS, Decimal("100")))
    broker = PaperBroker(PaperBrokerConfig(), prices, SimulatedClock(T0), MemoryKeyValueStore())
    batch = orders(count, "paper")
    started = time.perf_counter()
    for order in batch:
        await broker.submit_order(order)
    return count / (time.perf_counter() - started)


async def alpaca_submit_milliseconds(count: int) -> float:
    """Return the median milliseconds of one ``submit_order`` to the local Alpaca server."""
    with LocalAlpacaServer() as server:
        for ticker in TICKERS:
            server.set_price(ticker, "100")
        config = server.broker_config(max_retries=4)
        latencies = []
        async with aclosing(AlpacaBroker(config)) as broker:
            for order in orders(count, "alpaca"):
                started = time.perf_counter()
                await broker.submit_order(order)
                latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies)


def report(name: str, values: list[float], unit: str) -> None:
    """Print min / median of ``values``."""
    print(f"{name}: min {min(values):,.1f} {unit}, median {statistics.median(values):,.1f} {unit}")


def main() -> None:
    """Run every measurement ``--runs`` times and print min / median."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--alpaca-orders", type=int, default=200)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    fills = [ledger_fills_per_second(args.fills) for _ in range(args.runs)]
    paper = [asyncio.run(paper_orders_per_second(args.orders)) for _ in range(args.runs)]
    alpaca = [asyncio.run(alpaca_submit_milliseconds(args.alpaca_orders)) for _ in range(args.runs)]
    report("ledger apply_fill", fills, "fills/s")
    report("paper broker market orders", paper, "orders/s")
    report("alpaca submit_order via local server", alpaca, "ms")


if __name__ == "__main__":
    main()

"""The trade-executor as its own process on the real Redis: killed (SIGKILL) after it placed an
order but before it acknowledged the signal, then started again.

The second run must find the order it already placed (storage says PENDING, the paper broker's
saved account knows the client order id) and finish it instead of placing it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio

from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.core.events import SignalGenerated, Streams
from trading_bot.core.model import OrderStatus, SignalOutcome, client_order_id_for
from trading_bot.testing.bus import quick_redis_config
from trading_bot.testing.signals import make_signal
from trading_bot.testing.storage import migrated_sqlite
from trading_bot.testing.trading_rigs import Storage, eventually, paper_orders

pytestmark = pytest.mark.redis

GROUP = "trade-executor"


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = Storage.open(await migrated_sqlite(tmp_path), WallClock())
    yield opened
    await opened.close()


async def start_executor(
    storage: Storage, redis_url: str, prefix: str, consumer: str, log: Path, *, kill: bool
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TB_RUNNER_REDIS_URL": redis_url,
        "TB_RUNNER_REDIS_PREFIX": prefix,
        "TB_RUNNER_DATABASE_URL": storage.database.url.render_as_string(hide_password=False),
        "TB_RUNNER_CONSUMER": consumer,
        "TB_RUNNER_CLAIM_IDLE_MS": "500",
        "TB_RUNNER_KILL_AFTER_SUBMIT": "1" if kill else "0",
    }
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "trading_bot.testing.run_executor",
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )


async def unacknowledged(redis_url: str, prefix: str) -> int:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        summary = await client.xpending(f"{prefix}{Streams.SIGNALS}", GROUP)
        return int(summary["pending"])
    finally:
        await client.aclose()


@pytest.mark.parametrize("restarted_as", ["executor-1", "executor-2"])
async def test_executor_when_killed_between_submit_and_ack_places_the_order_once(
    storage: Storage, redis_url: str, redis_prefix: str, tmp_path: Path, restarted_as: str
) -> None:
    clock = WallClock()
    bus = RedisStreamsBus(quick_redis_config(redis_url, redis_prefix), clock=clock)
    trade_signal = make_signal("AAPL", price=100.0, generated_at=clock.now())
    client_order_id = client_order_id_for(trade_signal.signal_id)
    trades = storage.repositories.trades
    await bus.publish(SignalGenerated(occurred_at=clock.now(), signal=trade_signal))
    await bus.close()

    first = await start_executor(
        storage, redis_url, redis_prefix, "executor-1", tmp_path / "first.log", kill=True
    )
    first_exit = await asyncio.wait_for(first.wait(), timeout=60)
    orders_after_crash = await paper_orders(storage.repositories.key_value)
    trade_after_crash = await trades.get_by_client_order_id(client_order_id)
    pending_after_crash = await unacknowledged(redis_url, redis_prefix)

    second = await start_executor(
        storage, redis_url, redis_prefix, restarted_as, tmp_path / "second.log", kill=False
    )

    async def filled() -> bool:
        trade = await trades.get_by_client_order_id(client_order_id)
        settled = trade is not None and trade.status is OrderStatus.FILLED
        return settled and await unacknowledged(redis_url, redis_prefix) == 0

    try:
        await eventually(filled, timeout_s=30)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=30)

    assert first_exit == -signal.SIGKILL, (tmp_path / "first.log").read_text()
    assert [order.client_order_id for order in orders_after_crash] == [client_order_id]
    assert trade_after_crash is not None
    assert trade_after_crash.status is OrderStatus.PENDING
    assert pending_after_crash == 1
    orders = await paper_orders(storage.repositories.key_value)
    assert [order.signal_id for order in orders] == [trade_signal.signal_id]
    assert [t.status for t in await trades.for_signal(trade_signal.signal_id)] == [
        OrderStatus.FILLED
    ]
    record = await storage.repositories.signals.get(trade_signal.signal_id)
    assert record is not None
    assert record.outcome is SignalOutcome.FILLED
    assert await storage.repositories.positions.get("AAPL") is not None
    assert second.returncode == 0, (tmp_path / "second.log").read_text()

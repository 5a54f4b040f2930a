"""The production topology on one machine: the six services as separate OS processes
(`trading-bot service NAME`) on the real Redis and PostgreSQL, in demo mode on a replay.

The signal-generator owns the replay and its simulated clock; the other five follow the demo time
it records (``entrypoints/demo_time.py``). The whole chain must run: an article is fetched,
scored and stored; signals are generated; the executor trades them on the paper broker, or on
the local Alpaca-speaking server; the learning engine records outcomes and moves the weights; the
API returns all of it. The trade-executor is then killed with SIGKILL while the replay flows and
started again, and nothing may be lost or done twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import redis.asyncio

from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import SimulatedClock, WallClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.core.events import BarClosed, Message, Streams
from trading_bot.core.model import OrderStatus, client_order_id_for
from trading_bot.entrypoints.api.auth.jwt import AccessTokens
from trading_bot.entrypoints.demo_time import recorded_time
from trading_bot.entrypoints.service_names import SERVICE_NAMES, SIGNAL_GENERATOR, TRADE_EXECUTOR
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.bus import quick_redis_config
from trading_bot.testing.processes import (
    BotProcess,
    ProcessGroup,
    clean_environment,
    free_port,
    run_bot,
)
from trading_bot.testing.replay_files import (
    NewsLine,
    falling_bars,
    swinging_bars,
    write_bar_csv,
    write_news_jsonl,
)
from trading_bot.testing.trading_rigs import eventually, paper_orders

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

JWT_SECRET = "integration-secret-that-is-long-enough-0123456789"
START = datetime(2024, 1, 3, 14, 45, tzinfo=UTC)
"""A Wednesday, 09:45 in New York: the whole replay lies inside one regular session."""
TICKERS = ("AAPL", "MSFT")
BARS_PER_TICKER = 160
SPEED = 240
"""Simulated seconds per real second: a bar a quarter of a second, the replay in 40 s."""
LAST_CLOSE = START + timedelta(minutes=BARS_PER_TICKER)
NEWS_AT = 20
"""Minutes into the replay when good news about AAPL is published (and bought on)."""


@dataclass
class Deployment:
    """The six processes, their shared settings, and the database they write."""

    group: ProcessGroup
    env: dict[str, str]
    repos: SqlRepositories
    api: BotProcess
    tmp_path: Path

    def __getitem__(self, name: str) -> BotProcess:
        return self.group[name]


@dataclass
class Alpaca:
    """The local Alpaca-speaking server, on the replay's simulated time."""

    server: LocalAlpacaServer
    clock: SimulatedClock


@pytest.fixture
def alpaca() -> Iterator[Alpaca]:
    # The account stamps fills with its clock; a broker beside a simulated market lives in the
    # market's time, as the real one lives in the real market's.
    clock = SimulatedClock(START)
    with LocalAlpacaServer(cash=Decimal(100_000), clock=clock) as server:
        for ticker in TICKERS:
            server.set_price(ticker, "100")
        yield Alpaca(server, clock)


def settings(tmp_path: Path, postgres_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    bars = [
        *falling_bars("AAPL", start=START, count=BARS_PER_TICKER, fall_at=NEWS_AT + 5),
        *swinging_bars("MSFT", start=START, count=BARS_PER_TICKER),
    ]
    news = [
        NewsLine(
            "Apple (AAPL) shares surge after quarterly revenue beats estimates",
            START + timedelta(minutes=NEWS_AT),
            "Apple reported stronger than expected results and raised its full-year outlook.",
        ),
        NewsLine(
            "Microsoft (MSFT) names a new head of investor relations",
            START + timedelta(minutes=40),
        ),
    ]
    return {
        "TRADING_MODE": "demo",
        "TRADING_DATA_DIR": str(tmp_path / "data"),
        "TRADING_BUS__KIND": "redis",
        "TRADING_BUS__URL": redis_url,
        "TRADING_BUS__PREFIX": prefix,
        "TRADING_BUS__CLAIM_IDLE_MS": "1000",
        "TRADING_STORAGE__URL": postgres_url,
        "TRADING_API__JWT_SECRET": JWT_SECRET,
        "TRADING_MARKET__SOURCE": "replay",
        "TRADING_MARKET__REPLAY_FILES": json.dumps(
            [str(write_bar_csv(tmp_path / "bars.csv", bars))]
        ),
        "TRADING_MARKET__SPEED": str(SPEED),
        "TRADING_SOURCES__REPLAY_FILE": str(write_news_jsonl(tmp_path / "news.jsonl", news)),
        "TRADING_SIGNALS__UNIVERSE": json.dumps(TICKERS),
        "TRADING_EXECUTION__UNIVERSE": json.dumps(TICKERS),
        "TRADING_EXECUTION__RECONCILE_INTERVAL_SECONDS": "30",
        "TRADING_LEARNING__MIN_TRADES": "1",
        "TRADING_RISK__COOLDOWN_MINUTES": "5",
    }


@pytest.fixture
async def deployment(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[Deployment]:
    env = clean_environment(settings(tmp_path, postgres_url, redis_url, redis_prefix))
    database = Database(postgres_url)
    async with ProcessGroup(tmp_path / "logs", cwd=tmp_path) as group:
        api = group.add("api-gateway", ["service", "api-gateway"], env, port=free_port())
        api.env["TRADING_API__PORT"] = str(api.port)
        yield Deployment(group, env, SqlRepositories.create(database, WallClock()), api, tmp_path)
    await database.dispose()


def add_services(deployment: Deployment, **extra: str) -> None:
    """Register the five services besides the api-gateway, each on its own telemetry port."""
    for name in SERVICE_NAMES:
        if name in deployment.group.processes:
            continue
        port = free_port()
        env = {**deployment.env, **extra, "TRADING_TELEMETRY__PORT": str(port)}
        deployment.group.add(name, ["service", name], env, port=port)
    deployment.api.env.update(extra)


async def start_all(deployment: Deployment) -> None:
    """Start every service, the signal-generator (which owns the replay) last."""
    others = [p for n, p in deployment.group.processes.items() if n != SIGNAL_GENERATOR]
    for process in others:
        process.start()
    await asyncio.gather(*(process.healthy() for process in others))
    await deployment[SIGNAL_GENERATOR].start().healthy()


@contextlib.asynccontextmanager
async def market_relay(redis_url: str, prefix: str, alpaca: Alpaca) -> AsyncIterator[None]:
    """Keep the local Alpaca server at the replay's latest closes and time, as a market would."""
    bus = RedisStreamsBus(quick_redis_config(redis_url, prefix), clock=WallClock())

    async def follow(message: Message) -> None:
        if isinstance(message, BarClosed):
            if message.bar.closes_at > alpaca.clock.now():
                await alpaca.clock.advance_to(message.bar.closes_at)
            alpaca.server.set_price(message.bar.ticker, Decimal(str(message.bar.close)))

    task = asyncio.create_task(bus.consume(Streams.MARKET_BARS, "test-market-relay", follow))
    try:
        yield
    finally:
        await bus.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def api_get(deployment: Deployment, path: str) -> httpx.Response:
    token, _ = AccessTokens(JWT_SECRET, WallClock(), ttl=timedelta(minutes=5)).issue(
        uuid.uuid4(), "integration"
    )
    async with httpx.AsyncClient(base_url=deployment.api.url, timeout=10) as client:
        return await client.get(path, headers={"Authorization": f"Bearer {token}"})


async def within(
    deployment: Deployment, condition: Callable[[], Awaitable[bool]], timeout_s: float
) -> None:
    """Wait for ``condition``; on timeout fail with every process's log tail."""
    try:
        await eventually(condition, timeout_s=timeout_s, every_s=0.5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{deployment.group.describe()}") from None


async def weights_moved(repos: SqlRepositories) -> bool:
    weights = await repos.strategies.weights()
    return any(abs(weight - 1 / 3) > 0.001 for weight in weights.values())


async def stream_length(redis_url: str, key: str) -> int:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        return int(await client.xlen(key))
    finally:
        await client.aclose()


@pytest.mark.parametrize("broker", ["paper", "alpaca"])
async def test_six_processes_trade_learn_and_lose_nothing_when_the_executor_is_killed(
    deployment: Deployment,
    alpaca: Alpaca,
    redis_url: str,
    redis_prefix: str,
    broker: str,
) -> None:
    repos = deployment.repos
    if broker == "alpaca":
        add_services(
            deployment,
            TRADING_BROKER__KIND="alpaca",
            TRADING_ALPACA__BASE_URL=alpaca.server.url,
            TRADING_ALPACA__API_KEY=alpaca.server.api_key,
            TRADING_ALPACA__SECRET_KEY=alpaca.server.secret_key,
        )
    else:
        add_services(deployment)
    migrated = await run_bot(["db", "upgrade"], env=deployment.env, cwd=deployment.tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    async def first_fill() -> bool:
        return (await repos.trades.query(status=OrderStatus.FILLED, limit=1)).total > 0

    async def replay_over_and_settled() -> bool:
        now = await recorded_time(repos.key_value)
        if now is None or now < LAST_CLOSE:
            return False
        signals = await repos.signals.query(limit=1_000)
        settled = all(record.outcome is not None for record in signals.items)
        return settled and not await repos.trades.pending() and await weights_moved(repos)

    async with market_relay(redis_url, redis_prefix, alpaca):
        await start_all(deployment)
        await within(deployment, first_fill, 90)
        executor = deployment[TRADE_EXECUTOR]
        executor.kill()
        killed_with = executor.returncode
        await executor.restart().healthy()
        await within(deployment, replay_over_and_settled, 120)

    news = await api_get(deployment, "/api/news?limit=100")
    signals = await api_get(deployment, "/api/signals?limit=500")
    trades = await api_get(deployment, "/api/trades?limit=500")
    strategies = await api_get(deployment, "/api/strategies")
    portfolio = await api_get(deployment, "/api/portfolio")
    exit_codes = await deployment.group.stop_all()

    # The chain: the article was fetched, scored and stored, and everything reached the API.
    scored = {item["title"][:5]: item for item in news.json()["items"]}
    assert scored["Apple"]["score"] > 0.7
    assert abs(scored["Micro"]["score"]) < 0.3
    stored_signals = await repos.signals.query(limit=1_000)
    assert signals.json()["total"] == stored_signals.total > 0
    filled = [t for t in trades.json()["items"] if t["status"] == "FILLED"]
    assert any(t["is_exit"] for t in filled)
    assert any(not t["is_exit"] for t in filled)
    weights = {s["name"]: s["weight"] for s in strategies.json()}
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights != pytest.approx({name: 1 / 3 for name in weights})
    assert await repos.outcomes.recent(limit=1)
    assert portfolio.status_code == 200
    assert Decimal(portfolio.json()["equity"]) > 0
    # Nothing lost: every signal published was stored and settled in exactly one state.
    published = await stream_length(redis_url, f"{redis_prefix}{Streams.SIGNALS}")
    assert published == stored_signals.total
    for record in stored_signals.items:
        assert record.outcome is not None
        placed = await repos.trades.for_signal(record.signal.signal_id)
        assert [t.client_order_id for t in placed] in (
            [],
            [client_order_id_for(record.signal.signal_id)],
        )
    # Nothing twice: the broker holds one order per client order id, each one a recorded trade.
    if broker == "alpaca":
        at_broker = [order["client_order_id"] for order in alpaca.server.orders]
    else:
        at_broker = [order.client_order_id for order in await paper_orders(repos.key_value)]
    recorded = await repos.trades.query(limit=1_000)
    recorded_ids = {t.execution.client_order_id for t in recorded.items}
    assert len(at_broker) == len(set(at_broker))
    assert set(at_broker) <= recorded_ids
    assert {
        t.execution.client_order_id
        for t in recorded.items
        if t.execution.status is OrderStatus.FILLED
    } <= set(at_broker)
    assert killed_with == -9
    assert exit_codes == dict.fromkeys(SERVICE_NAMES, 0), deployment.group.describe()

"""API benchmark: latency and throughput of the gateway, and WebSocket fan-out latency.

Run ``python -m benchmarks.api`` (``--help`` for options). A real uvicorn server runs the
gateway in a subprocess on 127.0.0.1 over SQLite and/or PostgreSQL holding 10,000 trades, with
the Redis Streams bus (the production topology, so events can be published from here):

- ``GET /api/portfolio`` at a fixed 200 requests/s (p50/p99), then at maximum throughput;
- ``GET /api/trades`` (first page of 50 with the total over 10,000) at maximum throughput;
- WebSocket fan-out: 100 clients connected, trades published on the bus, the latency from
  publish to each client receiving it (p50/p99).

Each figure is measured over several runs and reported as min / median.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn
import websockets
from sqlalchemy import insert

from trading_bot.adapters.bus.config import RedisBusConfig
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.storage import Database, SqlRepositories, upgrade_database
from trading_bot.adapters.storage.tables import TradeRow
from trading_bot.core.events import TradeExecuted
from trading_bot.core.model import OrderSide, OrderStatus, Position, TradeExecution
from trading_bot.entrypoints.api.auth.jwt import AccessTokens
from trading_bot.entrypoints.api.container import GatewayConfig
from trading_bot.testing.api import TEST_SECRET, gateway_app, gateway_container
from trading_bot.testing.storage import create_postgres_database, drop_postgres_database
from trading_bot.testing.storage_records import make_portfolio_snapshot

TRADES = 10_000
RATE = 200.0
CLIENTS = 100
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_ADMIN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1/postgres"
)
T0 = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
TIMEOUT = httpx.Timeout(30.0)
CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class Latency:
    """What one load phase measured."""

    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    """Return the ``share`` quantile (0..1) of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def seed(url: str) -> None:
    """Migrate the database and store 10,000 trades, five positions and a snapshot."""
    await upgrade_database(url)
    async with Database(url) as database:
        repos = SqlRepositories.create(database, WallClock())
        await repos.strategies.seed()
        rows = [
            {
                "id": uuid.uuid4(),
                "signal_id": None,
                "client_order_id": f"bench-{index}",
                "broker_order_id": f"b-{index}",
                "ticker": ("AAPL", "MSFT", "NVDA", "AMZN", "GOOG")[index % 5],
                "side": OrderSide.BUY if index % 2 else OrderSide.SELL,
                "qty": Decimal(10),
                "filled_qty": Decimal(10),
                "price": Decimal("100.25"),
                "commission": Decimal("0.05"),
                "status": OrderStatus.FILLED,
                "reason": "",
                "is_exit": index % 2 == 0,
                "pnl": Decimal(index % 7 - 3) if index % 2 == 0 else None,
                "strategy_id": None,
                "timestamp": T0 + timedelta(minutes=index),
                "filled_at": T0 + timedelta(minutes=index),
                "updated_at": T0 + timedelta(minutes=index),
            }
            for index in range(TRADES)
        ]
        async with database.transaction("seed trades") as session:
            for start in range(0, TRADES, 500):
                await session.execute(insert(TradeRow), rows[start : start + 500])
        for ticker in ("AAPL", "MSFT", "NVDA", "AMZN", "GOOG"):
            await repos.positions.upsert(
                Position(
                    ticker=ticker,
                    qty=Decimal(10),
                    avg_entry_price=Decimal(100),
                    market_price=Decimal(101),
                    stop_loss=Decimal(97),
                )
            )
        await repos.snapshots.add_portfolio_snapshot(make_portfolio_snapshot(T0))


def serve(url: str, port: int, prefix: str) -> None:
    """Run the gateway over ``url`` with the Redis bus until terminated (the subprocess)."""
    clock = WallClock()
    bus = RedisStreamsBus(RedisBusConfig(url=REDIS_URL, prefix=prefix, block_ms=50), clock=clock)
    config = GatewayConfig(ws_queue_size=1_024)
    app = gateway_app(gateway_container(url, clock=clock, bus=bus, config=config), config=config)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def wait_until_up(base: str) -> None:
    """Return once ``/health`` answers (the server started)."""
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(300):
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


async def fixed_rate(base: str, path: str, token: str, rate: float, seconds: float) -> Latency:
    """Send GET ``path`` at ``rate`` per second for ``seconds``; measure each latency.

    Requests go over at most ``CONCURRENCY`` kept-alive connections, opened before the clock
    starts; a request that finds them all busy waits, and that wait counts in its latency.
    """
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, limits=limits, headers=headers, timeout=TIMEOUT
    ) as client:
        await asyncio.gather(*(client.get(path) for _ in range(CONCURRENCY)))
        gc.collect()
        gc.freeze()  # the load generator's own collections must not show up as server latency

        async def one() -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                response = await client.get(path)
            except httpx.HTTPError:
                errors += 1
                return
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

        tasks = []
        begin = time.perf_counter()
        for index in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, begin + index / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
    return Latency(
        len(latencies) / elapsed,
        percentile(latencies, 0.5) * 1_000,
        percentile(latencies, 0.99) * 1_000,
        errors,
    )


async def max_throughput(base: str, path: str, token: str, seconds: float) -> Latency:
    """Send GET ``path`` from ``CONCURRENCY`` loops for ``seconds``; measure the rate."""
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=TIMEOUT) as client:
        await asyncio.gather(*(client.get(path) for _ in range(CONCURRENCY)))
        deadline = time.perf_counter() + seconds

        async def loop() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        begin = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - begin
    return Latency(
        len(latencies) / elapsed,
        percentile(latencies, 0.5) * 1_000,
        percentile(latencies, 0.99) * 1_000,
        errors,
    )


async def fan_out(port: int, prefix: str, token: str, events: int) -> Latency:
    """Connect 100 WebSocket clients, publish ``events`` trades, measure publish -> receipt."""
    published: dict[str, float] = {}
    latencies: list[float] = []
    ready = asyncio.Event()
    connected = 0

    async def client() -> None:
        nonlocal connected
        url = f"ws://127.0.0.1:{port}/ws"
        async with websockets.connect(url, subprotocols=["bearer", token]) as socket_:  # type: ignore[list-item]
            json.loads(await socket_.recv())  # ready
            connected += 1
            if connected == CLIENTS:
                ready.set()
            received = 0
            while received < events:
                event = json.loads(await socket_.recv())
                if event["type"] != "trade":
                    continue
                arrived = time.perf_counter()
                latencies.append(arrived - published[event["data"]["trade_id"]])
                received += 1

    clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
    await asyncio.wait_for(ready.wait(), timeout=30)
    bus = RedisStreamsBus(RedisBusConfig(url=REDIS_URL, prefix=prefix), clock=WallClock())
    try:
        for index in range(events):
            message = _trade(index)
            published[str(message.execution.trade_id)] = time.perf_counter()
            await bus.publish(message)
            await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*clients), timeout=60)
    finally:
        await bus.close()
    return Latency(
        events / 1.0,
        percentile(latencies, 0.5) * 1_000,
        percentile(latencies, 0.99) * 1_000,
        CLIENTS * events - len(latencies),
    )


def _trade(index: int) -> TradeExecuted:
    execution = TradeExecution(
        client_order_id=f"fan-{index}-{uuid.uuid4().hex[:8]}",
        ticker="AAPL",
        side=OrderSide.BUY,
        qty=Decimal(10),
        price=Decimal("187.25"),
        filled_qty=Decimal(10),
        status=OrderStatus.FILLED,
        executed_at=datetime.now(UTC),
    )
    return TradeExecuted(occurred_at=execution.executed_at, execution=execution)


async def one_run(url: str, seconds: float, events: int) -> dict[str, Latency]:
    """Start a server over ``url`` and measure every phase once."""
    port = free_port()
    prefix = f"bench-api-{uuid.uuid4().hex[:8]}:"
    # A blocking Popen is fine here: the server starts before any load is generated.
    server = subprocess.Popen(  # noqa: S603, ASYNC220 -- our own interpreter and module
        [
            sys.executable,
            "-m",
            "benchmarks.api",
            "--serve",
            url,
            "--port",
            str(port),
            "--prefix",
            prefix,
        ],
    )
    base = f"http://127.0.0.1:{port}"
    token, _ = AccessTokens(TEST_SECRET, WallClock(), ttl=timedelta(hours=1)).issue(
        uuid.uuid4(), "bench"
    )
    try:
        await wait_until_up(base)
        await fixed_rate(base, "/api/portfolio", token, RATE, 1.0)  # warm-up
        return {
            "portfolio at 200/s": await fixed_rate(base, "/api/portfolio", token, RATE, seconds),
            "portfolio max": await max_throughput(base, "/api/portfolio", token, seconds / 2),
            "trades max": await max_throughput(base, "/api/trades", token, seconds / 2),
            "ws fan-out x100": await fan_out(port, prefix, token, events),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
        await _forget_streams(prefix)


async def _forget_streams(prefix: str) -> None:
    import redis.asyncio  # noqa: PLC0415 -- only needed to clean up

    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def measure(backend: str, runs: int, seconds: float, events: int) -> dict[str, list[Latency]]:
    """Seed a database of ``backend`` and measure ``runs`` times."""
    with tempfile.TemporaryDirectory() as directory:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        else:
            url = await create_postgres_database(POSTGRES_ADMIN, "tb_bench_api")
        try:
            await seed(url)
            results: dict[str, list[Latency]] = {}
            for _ in range(runs):
                for name, latency in (await one_run(url, seconds, events)).items():
                    results.setdefault(name, []).append(latency)
            return results
        finally:
            if backend == "postgres":
                await drop_postgres_database(POSTGRES_ADMIN, url)


def report(backend: str, results: dict[str, list[Latency]]) -> None:
    """Print min / median of each figure."""
    print(f"\n{backend}: {TRADES} trades stored")
    print(
        f"{'phase':<20} {'req/s min/med':>16} {'p50 ms min/med':>16} {'p99 ms min/med':>16} errors"
    )
    for name, runs in results.items():

        def pair(values: list[float], digits: int) -> str:
            return f"{min(values):.{digits}f}/{statistics.median(values):.{digits}f}"

        rate = "-" if name.startswith("ws") else pair([r.rate for r in runs], 0)
        print(
            f"{name:<20} {rate:>16} {pair([r.p50_ms for r in runs], 1):>16} "
            f"{pair([r.p99_ms for r in runs], 1):>16} {sum(r.errors for r in runs)}"
        )


def main() -> None:
    """Run the benchmark (or, with ``--serve``, be the server it starts)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load phase")
    parser.add_argument("--events", type=int, default=50, help="trades published for fan-out")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.prefix)
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    for backend in args.backends.split(","):
        report(backend, asyncio.run(measure(backend, args.runs, args.seconds, args.events)))


if __name__ == "__main__":
    main()

"""Event-bus benchmark: publish and consume rates and one-hop latency, memory bus and Redis.

Run ``python -m benchmarks.bus`` (``--help`` for options). Each figure is measured over several
runs and reported as min / median; messages are ~1 KB ``ArticleFetched`` events.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio

from trading_bot.adapters.bus.config import MemoryBusConfig, RedisBusConfig
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.core.events import ArticleFetched, Message, encode
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import EventBus


def fresh_stream() -> str:
    """Return a stream name no earlier measurement wrote to."""
    return f"bench:{uuid.uuid4().hex}"


AT = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)

BusFactory = Callable[[], Awaitable[EventBus]]


def article_message(index: int) -> ArticleFetched:
    """Return a ~1 KB message, distinct per ``index``."""
    article = RawArticle.create(
        source="bench",
        url=f"https://news.example.com/articles/{index}",
        title=f"Company {index} beats estimates as quarterly revenue jumps",
        content=("Revenue rose on strong demand across regions and segments. " * 12)[:700],
        published_at=AT,
        available_at=AT,
        provider_tickers=("AAPL",),
    )
    return ArticleFetched(occurred_at=AT, article=article)


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many messages each measurement uses."""

    publish: int
    pipelined: int
    consume: int
    latency: int


async def publish_rate(make_bus: BusFactory, messages: Sequence[Message]) -> float:
    """Return messages per second published one ``publish`` call at a time."""
    stream = fresh_stream()
    bus = await make_bus()
    try:
        start = time.perf_counter()
        for message in messages:
            await bus.publish(message, stream=stream)
        return len(messages) / (time.perf_counter() - start)
    finally:
        await bus.close()


async def pipelined_rate(make_bus: BusFactory, messages: Sequence[Message], batch: int) -> float:
    """Return messages per second published with ``publish_many`` in batches of ``batch``."""
    stream = fresh_stream()
    bus = await make_bus()
    try:
        start = time.perf_counter()
        for offset in range(0, len(messages), batch):
            await bus.publish_many(messages[offset : offset + batch], stream=stream)
        return len(messages) / (time.perf_counter() - start)
    finally:
        await bus.close()


async def consume_rate(make_bus: BusFactory, messages: Sequence[Message]) -> tuple[float, float]:
    """Return messages handled and acked by one consumer from a full stream, per second of
    wall-clock time and per second of this process's CPU time (the code's own cost, which
    other load on the machine does not inflate as much)."""
    stream = fresh_stream()
    bus = await make_bus()
    done = asyncio.Event()
    handled = 0

    async def handler(_: Message) -> None:
        nonlocal handled
        handled += 1
        if handled == len(messages):
            done.set()

    try:
        for offset in range(0, len(messages), 500):
            await bus.publish_many(messages[offset : offset + 500], stream=stream)
        start, cpu_start = time.perf_counter(), time.process_time()
        consumer = asyncio.create_task(bus.consume(stream, f"g-{uuid.uuid4().hex}", handler))
        await done.wait()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        return len(messages) / elapsed, len(messages) / cpu
    finally:
        await bus.close()


async def one_hop_latencies(make_bus: BusFactory, messages: Sequence[Message]) -> list[float]:
    """Return seconds from ``publish`` to handler entry, one message at a time on an idle bus."""
    stream = fresh_stream()
    bus = await make_bus()
    arrived: asyncio.Queue[float] = asyncio.Queue()

    async def handler(_: Message) -> None:
        arrived.put_nowait(time.perf_counter())

    consumer = asyncio.create_task(bus.consume(stream, f"g-{uuid.uuid4().hex}", handler))
    try:
        await bus.publish(messages[0], stream=stream)  # warm up: group created, connection open
        await arrived.get()
        latencies = []
        for message in messages[1:]:
            await asyncio.sleep(0.001)  # let the consumer go back to its blocking read
            sent = time.perf_counter()
            await bus.publish(message, stream=stream)
            latencies.append(await arrived.get() - sent)
        return latencies
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await bus.close()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(
    name: str, make_bus: BusFactory, sizes: Sizes, runs: int
) -> dict[str, list[float]]:
    """Run every measurement ``runs`` times for one adapter; return the figures per metric."""
    figures: dict[str, list[float]] = {}
    messages = [article_message(index) for index in range(max(sizes.pipelined, sizes.consume))]
    for run in range(runs):
        results = {
            "publish (msg/s)": await publish_rate(make_bus, messages[: sizes.publish]),
            "publish_many x100 (msg/s)": await pipelined_rate(
                make_bus, messages[: sizes.pipelined], 100
            ),
        }
        wall, cpu = await consume_rate(make_bus, messages[: sizes.consume])
        results["consume + ack (msg/s)"] = wall
        results["consume + ack (msg per CPU-s)"] = cpu
        latencies = await one_hop_latencies(make_bus, messages[: sizes.latency + 1])
        results["one-hop p50 (ms)"] = percentile(latencies, 0.50) * 1000
        results["one-hop p99 (ms)"] = percentile(latencies, 0.99) * 1000
        for metric, value in results.items():
            figures.setdefault(metric, []).append(value)
        print(
            f"  {name} run {run + 1}/{runs}: "
            + ", ".join(f"{k} {v:,.2f}" for k, v in results.items())
        )
    return figures


def table(results: dict[str, dict[str, list[float]]]) -> str:
    """Return the results as a Markdown table of min / median per adapter and metric."""
    lines = ["| adapter | metric | min | median |", "|---|---|---:|---:|"]
    for adapter, figures in results.items():
        for metric, values in figures.items():
            digits = 0 if "msg" in metric else 3
            low, middle = min(values), statistics.median(values)
            lines.append(f"| {adapter} | {metric} | {low:,.{digits}f} | {middle:,.{digits}f} |")
    return "\n".join(lines)


async def run(redis_url: str, sizes: Sizes, runs: int) -> str:
    """Benchmark both adapters; return the Markdown table."""
    prefix = f"bench-{uuid.uuid4().hex[:12]}:"
    clock = WallClock()

    async def memory_bus() -> EventBus:
        return MemoryBus(MemoryBusConfig(), clock=clock)

    async def redis_bus() -> EventBus:
        bus = RedisStreamsBus(RedisBusConfig(url=redis_url, prefix=prefix), clock=clock)
        await bus.ping()
        return bus

    results: dict[str, dict[str, list[float]]] = {}
    try:
        results["memory"] = await measure("memory", memory_bus, sizes, runs)
        results["redis"] = await measure("redis", redis_bus, sizes, runs)
    finally:
        admin = redis.asyncio.Redis.from_url(redis_url)
        try:
            keys = [key async for key in admin.scan_iter(match=f"{prefix}*", count=1000)]
            if keys:
                await admin.delete(*keys)
        finally:
            await admin.aclose()
    return table(results)


def main() -> None:
    """Parse the command line, run the benchmark and print the results table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bus", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of every measurement")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the Redis to measure (keys go under a fresh bench-… prefix, deleted afterwards)",
    )
    parser.add_argument("--messages", type=int, default=20_000, help="messages per rate run")
    parser.add_argument("--samples", type=int, default=1_000, help="latency samples per run")
    args = parser.parse_args()
    sizes = Sizes(
        publish=args.messages // 4,
        pipelined=args.messages,
        consume=args.messages,
        latency=args.samples,
    )
    print(f"message size: {len(encode(article_message(0)))} bytes")
    print(asyncio.run(run(args.redis_url, sizes, args.runs)))


if __name__ == "__main__":
    main()

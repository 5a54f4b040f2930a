"""The node: failing services restart with backoff, hopeless ones stop it, stop() is graceful."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.api.app import create_app
from trading_bot.entrypoints.node import Node, RestartPolicy, ServiceFailedError
from trading_bot.entrypoints.telemetry import Telemetry
from trading_bot.testing.metrics import RecordingMetrics

START = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


async def settle(condition: Callable[[], bool], rounds: int = 200) -> None:
    """Let other tasks run until ``condition`` holds (no wall-clock waiting)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


class FlakyService:
    """Fails ``failures`` times, then runs until cancelled."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.starts = 0
        self.cancelled = False

    async def __call__(self) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise RuntimeError(f"boom {self.starts}")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


def _started_and_sleeping(
    service: FlakyService, clock: SimulatedClock, starts: int
) -> Callable[[], bool]:
    return lambda: service.starts == starts and clock.next_wakeup is not None


async def test_failing_service_when_it_fails_is_restarted_after_growing_delays() -> None:
    clock = SimulatedClock(START)
    metrics = RecordingMetrics()
    flaky = FlakyService(failures=3)
    node = Node({"news-fetcher": flaky}, clock=clock, metrics=metrics)
    running = asyncio.create_task(node.run())

    delays = []
    for attempt in range(1, 4):
        await settle(_started_and_sleeping(flaky, clock, attempt))
        wakeup = clock.next_wakeup
        assert wakeup is not None
        delays.append((wakeup - clock.now()).total_seconds())
        await clock.advance_to(wakeup)
    await settle(lambda: flaky.starts == 4)

    assert delays == [1.0, 2.0, 4.0]
    assert metrics.count("service_failures", service="news-fetcher") == 3
    assert not running.done()
    node.stop()
    await running
    assert flaky.cancelled


async def test_service_when_it_keeps_failing_stops_the_node_naming_it() -> None:
    clock = SimulatedClock(START)
    hopeless = FlakyService(failures=1_000)
    healthy = FlakyService(failures=0)
    policy = RestartPolicy(initial_delay_seconds=1, max_restarts=2)
    node = Node({"sentiment": hopeless, "signals": healthy}, clock=clock, restart=policy)
    running = asyncio.create_task(node.run())

    await settle(lambda: clock.next_wakeup is not None)
    # Each restart fails at once and sleeps again, so one advance runs the whole story.
    await clock.advance(600)

    with pytest.raises(ServiceFailedError, match="sentiment kept failing"):
        await running
    assert hopeless.starts == 3
    assert healthy.cancelled


async def test_service_when_it_fails_only_after_long_healthy_runs_is_always_restarted() -> None:
    clock = SimulatedClock(START)
    runs = 0

    async def fails_every_ten_minutes() -> None:
        nonlocal runs
        runs += 1
        await clock.sleep(600)
        raise RuntimeError("lost connection")

    policy = RestartPolicy(max_restarts=1, healthy_after_seconds=300)
    node = Node({"executor": fails_every_ten_minutes}, clock=clock, restart=policy)
    running = asyncio.create_task(node.run())

    for _ in range(5):
        await settle(lambda: clock.next_wakeup is not None)
        await clock.advance(601)
    await settle(lambda: runs == 6)

    assert not running.done()
    node.stop()
    await running


async def test_service_when_it_returns_is_not_restarted() -> None:
    clock = SimulatedClock(START)
    runs = 0

    async def one_shot() -> None:
        nonlocal runs
        runs += 1

    node = Node({"backfill": one_shot, "keeps-going": FlakyService(0)}, clock=clock)
    running = asyncio.create_task(node.run())
    await settle(lambda: runs == 1)
    await clock.advance(3600)

    assert runs == 1
    node.stop()
    await running


async def test_stop_when_asked_cancels_services_and_runs_cleanups_in_reverse_order() -> None:
    clock = SimulatedClock(START)
    service = FlakyService(0)
    released: list[str] = []

    async def close_database() -> None:
        released.append("database")

    async def close_bus() -> None:
        released.append("bus")

    async def broken_cleanup() -> None:
        raise OSError("already closed")

    node = Node(
        {"signals": service}, clock=clock, cleanups=[close_database, broken_cleanup, close_bus]
    )
    running = asyncio.create_task(node.run())
    await settle(lambda: service.starts == 1)

    node.stop()
    await running

    assert service.cancelled
    assert released == ["bus", "database"]


async def test_node_when_serving_the_api_answers_health_and_stops_cleanly() -> None:
    clock = SimulatedClock(START)
    ready: list[str | None] = []
    node = Node({}, clock=clock, app=create_app(telemetry=Telemetry("api")), port=0)
    running = asyncio.create_task(node.run(on_ready=lambda n: ready.append(n.url)))
    await settle(lambda: bool(ready))
    url = ready[0]
    assert url is not None

    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        response = await _get_when_up(client, "/health")

    node.stop()
    await asyncio.wait_for(running, timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def _get_when_up(client: httpx.AsyncClient, path: str) -> httpx.Response:
    for _ in range(100):
        try:
            return await client.get(path)
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never answered")


async def test_node_when_the_port_is_taken_refuses_to_start_naming_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        node = Node({}, clock=SimulatedClock(START), app=create_app(telemetry=Telemetry("a")),
                    port=port)  # fmt: skip

        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            await node.run()


async def test_node_when_the_api_fails_to_start_stops_with_an_error() -> None:
    @asynccontextmanager
    async def failing_lifespan(_: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("database unreachable")
        yield

    app = create_app(telemetry=Telemetry("api"), lifespan=failing_lifespan)
    service = FlakyService(0)
    node = Node({"signals": service}, clock=SimulatedClock(START), app=app, port=0)

    with pytest.raises(ServiceFailedError, match="the API server could not start"):
        await asyncio.wait_for(node.run(), timeout=10)
    assert service.cancelled


def test_restart_policy_when_failures_pile_up_caps_the_delay() -> None:
    policy = RestartPolicy(initial_delay_seconds=1, multiplier=2, max_delay_seconds=10)

    assert [policy.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_node_when_built_lists_its_services_and_has_no_url_before_running() -> None:
    node = Node({"a": FlakyService(0), "b": FlakyService(0)}, clock=SimulatedClock(START))

    assert node.service_names == ["a", "b"]
    assert node.url is None

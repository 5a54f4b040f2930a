"""Run a trade-executor as its own process on Redis, SQLite or PostgreSQL and the paper broker.

``python -m trading_bot.testing.run_executor`` reads its wiring from the environment:

| variable                        | meaning                                                   |
|---------------------------------|-----------------------------------------------------------|
| ``TB_RUNNER_REDIS_URL``         | the Redis the bus uses                                    |
| ``TB_RUNNER_REDIS_PREFIX``      | the bus's key prefix (a test's own)                       |
| ``TB_RUNNER_DATABASE_URL``      | a migrated database; the paper account lives in it too   |
| ``TB_RUNNER_CONSUMER``          | the consumer name (the same name resumes its pending)     |
| ``TB_RUNNER_CLAIM_IDLE_MS``     | idle time before another consumer claims (default 1000)   |
| ``TB_RUNNER_KILL_AFTER_SUBMIT`` | "1": SIGKILL the process once its first order was placed  |

It prints ``ready`` once the executor runs, and stops cleanly on SIGTERM or SIGINT. Market hours
are not enforced (the process runs on the wall clock, whatever the time of day).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.core.risk import RiskConfig
from trading_bot.services.execution import ExecutionConfig
from trading_bot.testing.broker_faults import ExitAfterSubmitBroker
from trading_bot.testing.bus import quick_redis_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.trading_rigs import Storage, build_executor

ENV_PREFIX = "TB_RUNNER_"


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(ENV_PREFIX + name, default)
    if value is None:
        raise SystemExit(f"{ENV_PREFIX}{name} is required")
    return value


async def run() -> None:
    """Build the executor from the environment and run it until SIGTERM or SIGINT."""
    clock = WallClock()
    metrics = RecordingMetrics()
    config = quick_redis_config(
        _env("REDIS_URL"),
        _env("REDIS_PREFIX"),
        claim_idle_ms=int(_env("CLAIM_IDLE_MS", "1000")),
        max_deliveries=5,
        dedupe_ttl_s=600,
    )
    bus = RedisStreamsBus(config, clock=clock, metrics=metrics)
    storage = Storage.open(_env("DATABASE_URL"), clock)
    kill = _env("KILL_AFTER_SUBMIT", "0") == "1"
    rig = await build_executor(
        storage,
        bus=bus,
        clock=clock,
        metrics=metrics,
        config=ExecutionConfig(consumer=_env("CONSUMER"), reconcile_interval_seconds=0.5),
        risk=RiskConfig(enforce_market_hours=False),
        wrap_broker=ExitAfterSubmitBroker if kill else None,
    )
    task = asyncio.create_task(rig.service.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    print("ready", flush=True)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await bus.close()
        await storage.close()


def main() -> None:
    """Run the executor process."""
    asyncio.run(run())


if __name__ == "__main__":
    main()

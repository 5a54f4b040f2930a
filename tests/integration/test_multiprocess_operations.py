"""Blind trading in the production topology: the market-data feed (the signal-generator process)
is killed with SIGKILL while the replay flows. The trade-executor's health watch must pause new
entries (no bars while the market is open), tell the operator through the signed webhook, and
the api-gateway must show it with the feed's heartbeat gone stale; once the feed is started
again and bars flow, trading resumes, with a notification of that too.

Processes: signal-generator, trade-executor and api-gateway on the real Redis and PostgreSQL,
in demo mode on a replay (the layout of ``test_multiprocess``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.entrypoints.api.auth.jwt import AccessTokens
from trading_bot.entrypoints.demo_time import recorded_time
from trading_bot.entrypoints.service_names import API_GATEWAY, SIGNAL_GENERATOR, TRADE_EXECUTOR
from trading_bot.testing.notify_servers import Delivery, LocalNotifyServer
from trading_bot.testing.processes import ProcessGroup, clean_environment, free_port, run_bot
from trading_bot.testing.replay_files import swinging_bars, write_bar_csv
from trading_bot.testing.trading_rigs import eventually

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

JWT_SECRET = "integration-secret-that-is-long-enough-0123456789"
WEBHOOK_SECRET = "webhook-secret-shared-with-the-receiver"
START = datetime(2024, 1, 3, 14, 45, tzinfo=UTC)
"""A Wednesday, 09:45 in New York: the replay lies inside one regular session."""
TICKERS = ("AAPL", "MSFT")
BARS_PER_TICKER = 240
SPEED = 120
"""Simulated seconds per real second: a bar every half second, the replay in two minutes."""
HOOK = "/hooks/ops"


@dataclass
class Deployment:
    group: ProcessGroup
    repos: SqlRepositories
    notify: LocalNotifyServer
    api_url: str


@pytest.fixture
async def deployment(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[Deployment]:
    bars = [b for t in TICKERS for b in swinging_bars(t, start=START, count=BARS_PER_TICKER)]
    database = Database(postgres_url)
    async with LocalNotifyServer() as notify:
        env = clean_environment(
            {
                "TRADING_MODE": "demo",
                "TRADING_DATA_DIR": str(tmp_path / "data"),
                "TRADING_BUS__KIND": "redis",
                "TRADING_BUS__URL": redis_url,
                "TRADING_BUS__PREFIX": redis_prefix,
                "TRADING_BUS__CLAIM_IDLE_MS": "1000",
                "TRADING_STORAGE__URL": postgres_url,
                "TRADING_API__JWT_SECRET": JWT_SECRET,
                "TRADING_MARKET__SOURCE": "replay",
                "TRADING_MARKET__REPLAY_FILES": json.dumps(
                    [str(write_bar_csv(tmp_path / "bars.csv", bars))]
                ),
                "TRADING_MARKET__SPEED": str(SPEED),
                "TRADING_SIGNALS__UNIVERSE": json.dumps(TICKERS),
                "TRADING_EXECUTION__UNIVERSE": json.dumps(TICKERS),
                "TRADING_OPERATIONS__HEARTBEAT__INTERVAL_SECONDS": "1",
                "TRADING_OPERATIONS__HEALTH_WATCH__CHECK_INTERVAL_SECONDS": "0.5",
                "TRADING_OPERATIONS__HEALTH_WATCH__BAR_TIMEOUT_MINUTES": "0.1",
                "TRADING_NOTIFY__WEBHOOK__URL": notify.webhook_url(),
                "TRADING_NOTIFY__WEBHOOK__SECRET": WEBHOOK_SECRET,
                "TRADING_NOTIFY__WEBHOOK__EVENTS": "pause_resume,heartbeat_alarm",
                "TRADING_NOTIFY__DELIVERY__BACKOFF_SECONDS": "0.1",
            }
        )
        migrated = await run_bot(["db", "upgrade"], env=env, cwd=tmp_path)
        assert migrated.returncode == 0, migrated.stderr
        async with ProcessGroup(tmp_path / "logs", cwd=tmp_path) as group:
            api_port = free_port()
            group.add(
                API_GATEWAY,
                ["service", API_GATEWAY],
                {**env, "TRADING_API__PORT": str(api_port)},
                port=api_port,
            )
            for name in (TRADE_EXECUTOR, SIGNAL_GENERATOR):
                port = free_port()
                group.add(
                    name,
                    ["service", name],
                    {**env, "TRADING_TELEMETRY__PORT": str(port)},
                    port=port,
                )
            yield Deployment(
                group,
                SqlRepositories.create(database, WallClock()),
                notify,
                f"http://127.0.0.1:{api_port}",
            )
    await database.dispose()


async def services_health(deployment: Deployment) -> dict[str, Any]:
    """Return GET /api/health/services. Any: the route's JSON."""
    token, _ = AccessTokens(JWT_SECRET, WallClock(), ttl=timedelta(minutes=5)).issue(
        uuid.uuid4(), "integration"
    )
    async with httpx.AsyncClient(base_url=deployment.api_url, timeout=10) as client:
        response = await client.get(
            "/api/health/services", headers={"Authorization": f"Bearer {token}"}
        )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def titles(deployment: Deployment, since: int = 0) -> list[str]:
    return [d.json["title"] for d in deployment.notify.deliveries_to(HOOK)[since:]]


async def within(
    deployment: Deployment, condition: Callable[[], Awaitable[bool]], timeout_s: float
) -> None:
    try:
        await eventually(condition, timeout_s=timeout_s, every_s=0.25)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{deployment.group.describe()}") from None


async def test_killing_the_market_feed_pauses_entries_notifies_and_resumes_once_bars_flow(
    deployment: Deployment,
) -> None:
    group, repos = deployment.group, deployment.repos
    for name in (API_GATEWAY, TRADE_EXECUTOR):
        await group[name].start().healthy()
    feed = group[SIGNAL_GENERATOR]
    await feed.start().healthy()

    async def flowing() -> bool:
        now = await recorded_time(repos.key_value)
        if now is None or now < START + timedelta(minutes=20):
            return False
        health = await services_health(deployment)
        return health["auto_paused"] == [] and {
            s["service"] for s in health["services"] if s["status"] == "ok"
        } >= {SIGNAL_GENERATOR, TRADE_EXECUTOR, API_GATEWAY}

    await within(deployment, flowing, 90)
    before_kill = len(deployment.notify.deliveries_to(HOOK))
    feed.kill()

    async def paused() -> bool:
        health = await services_health(deployment)
        conditions = [p["condition"] for p in health["auto_paused"]]
        stale = {s["service"] for s in health["services"] if s["status"] == "stale"}
        return conditions == ["market_data"] and SIGNAL_GENERATOR in stale

    async def paused_notified() -> bool:
        return "Trading paused automatically: market_data" in titles(deployment, before_kill)

    await within(deployment, paused, 60)
    await within(deployment, paused_notified, 30)
    while_paused = await services_health(deployment)
    audit = await repos.audit.query(actor="health-watch", action="trading.auto_pause")
    before_restart = len(deployment.notify.deliveries_to(HOOK))
    await feed.restart().healthy()

    async def resumed() -> bool:
        health = await services_health(deployment)
        return health["auto_paused"] == [] and "Trading resumed: market_data cleared" in titles(
            deployment, before_restart
        )

    await within(deployment, resumed, 90)

    assert "no bar for AAPL, MSFT" in while_paused["auto_paused"][0]["detail"]
    assert audit.total >= 1
    assert "Heartbeat lost: signal-generator" in titles(deployment, before_kill)
    delivered: Delivery = deployment.notify.deliveries_to(HOOK)[-1]
    assert verify(
        WEBHOOK_SECRET,
        delivered.headers[TIMESTAMP_HEADER],
        delivered.body,
        delivered.headers[SIGNATURE_HEADER],
    )
    resumed_audit = await repos.audit.query(actor="health-watch", action="trading.auto_resume")
    assert resumed_audit.total >= 1
    exit_codes = await group.stop_all()
    assert exit_codes == {API_GATEWAY: 0, TRADE_EXECUTOR: 0, SIGNAL_GENERATOR: 0}, group.describe()

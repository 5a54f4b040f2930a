"""`trading-bot service NAME` refuses what cannot work across processes, in one line, exit 2:
the in-memory bus, a SQLite file, and a PostgreSQL database nobody migrated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trading_bot.testing.processes import clean_environment, run_bot

JWT_SECRET = "integration-secret-that-is-long-enough-0123456789"


async def test_service_when_the_bus_is_in_memory_exits_2_naming_the_setting(
    tmp_path: Path,
) -> None:
    env = clean_environment(TRADING_BUS__KIND="memory")

    result = await run_bot(["service", "trade-executor"], env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: TRADING_BUS__KIND: services in separate processes talk through Redis Streams; "
        "set it to redis (or run them all in one process with `trading-bot up`)"
    ]


async def test_service_when_storage_is_sqlite_exits_2_naming_the_setting(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    env = clean_environment(
        TRADING_BUS__KIND="redis",
        TRADING_BUS__URL=redis_url,
        TRADING_BUS__PREFIX=redis_prefix,
        TRADING_API__JWT_SECRET=JWT_SECRET,
        TRADING_STORAGE__URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    )

    result = await run_bot(["service", "learning-engine"], env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: TRADING_STORAGE__URL: services in separate processes need PostgreSQL, not SQLite"
    ]
    assert not (tmp_path / "bot.db").exists()


async def test_service_when_the_name_is_unknown_exits_2_listing_the_six(tmp_path: Path) -> None:
    result = await run_bot(["service", "trade-exector"], env=clean_environment(), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: unknown service 'trade-exector'; choose one of news-fetcher, sentiment-analyzer, "
        "signal-generator, trade-executor, learning-engine, api-gateway"
    ]


@pytest.mark.postgres
async def test_service_when_the_database_was_never_migrated_exits_2_saying_what_to_run(
    tmp_path: Path, redis_url: str, redis_prefix: str, postgres_url: str
) -> None:
    env = clean_environment(
        TRADING_BUS__KIND="redis",
        TRADING_BUS__URL=redis_url,
        TRADING_BUS__PREFIX=redis_prefix,
        TRADING_API__JWT_SECRET=JWT_SECRET,
        TRADING_STORAGE__URL=postgres_url,
        TRADING_TELEMETRY__PORT="0",
    )

    result = await run_bot(["service", "trade-executor"], env=env, cwd=tmp_path)

    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert "run `trading-bot db upgrade`" in line

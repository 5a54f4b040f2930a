"""Every read route's filters and pagination on data seeded through the repositories into the
real PostgreSQL (migrated with ``upgrade_database``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.core.model import (
    Direction,
    OrderSide,
    OrderStatus,
    Position,
    StrategySource,
    WeightChange,
)
from trading_bot.testing.api import bearer, gateway_app, gateway_container, gateway_of, running
from trading_bot.testing.storage import drop_postgres_database, migrated_postgres
from trading_bot.testing.storage_records import (
    T0,
    at,
    make_execution,
    make_outcome,
    make_portfolio_snapshot,
    make_raw_article,
    make_scored_article,
    make_strategy_metric,
    make_trade_signal,
)

pytestmark = pytest.mark.postgres

NOW = T0 + timedelta(days=3, hours=1)


@pytest.fixture(scope="module")
def postgres_database(postgres_admin_dsn: str) -> Iterator[str]:
    """A PostgreSQL database of this module, migrated to head with ``upgrade_database``."""
    url = asyncio.run(migrated_postgres(postgres_admin_dsn))
    yield url
    asyncio.run(drop_postgres_database(postgres_admin_dsn, url))


@pytest.fixture(scope="module")
def seeded(postgres_database: str) -> dict[str, Any]:
    """The seeded values; the routes only read them, so one seeding serves the module."""

    async def seed() -> dict[str, Any]:
        async with Database(postgres_database) as database:
            return await _seed(SqlRepositories.create(database, SimulatedClock(NOW)))

    return asyncio.run(seed())


def _source(strategy: str, direction: Direction, strength: float) -> StrategySource:
    return StrategySource(strategy=strategy, direction=direction, strength=strength, weight=0.4)


async def _seed(repos: SqlRepositories) -> dict[str, Any]:
    """Two round trips (AAPL won, MSFT lost), a rejected entry, news, weights, snapshots.

    Any: the seeded values by name.
    """
    await repos.strategies.seed()
    apple_news = make_scored_article(
        make_raw_article("Apple beats estimates", source="reuters", published_at=at(-10)),
        score=0.6,
        tickers=(("AAPL", 0.7),),
    )
    msft_news = make_scored_article(
        make_raw_article("Microsoft warns", source="bloomberg", published_at=at(30)),
        score=-0.7,
        tickers=(("MSFT", -0.8),),
    )
    for scored in (apple_news, msft_news):
        await repos.articles.add_scored(scored)
    long_apple = make_trade_signal(
        "AAPL", generated_at=at(0), article_ids=[apple_news.article.article_id],
        sentiment_score=0.6,
    )  # fmt: skip
    short_msft = make_trade_signal(
        "MSFT",
        Direction.SHORT,
        generated_at=at(60),
        sources=[_source("mean_reversion", Direction.SHORT, 0.9)],
    )
    late_apple = make_trade_signal("AAPL", generated_at=at(120))
    for signal in (long_apple, short_msft, late_apple):
        await repos.signals.add(signal)
    filled = {"status": OrderStatus.FILLED, "filled_qty": Decimal(10), "price": Decimal(100)}
    apple_in = make_execution(long_apple, executed_at=at(1), **filled)  # type: ignore[arg-type]
    apple_out = make_execution(
        long_apple, side=OrderSide.SELL, is_exit=True, realized_pnl=Decimal("12.5"),
        executed_at=at(90), purpose="exit", **filled,  # type: ignore[arg-type]
    )  # fmt: skip
    msft_in = make_execution(short_msft, side=OrderSide.SELL, executed_at=at(61), **filled)  # type: ignore[arg-type]
    msft_out = make_execution(
        short_msft, is_exit=True, realized_pnl=Decimal(-5), executed_at=at(150),
        purpose="exit", **filled,  # type: ignore[arg-type]
    )  # fmt: skip
    rejected = make_execution(late_apple, status=OrderStatus.REJECTED, executed_at=at(121))
    for execution in (apple_in, apple_out, msft_in, msft_out, rejected):
        await repos.trades.add(execution)
    await repos.outcomes.add(make_outcome(apple_in, apple_out, realized_pnl=Decimal("12.5")))
    await repos.outcomes.add(
        make_outcome(msft_in, msft_out, realized_pnl=Decimal(-5), credits={"mean_reversion": 1.0})
    )
    await repos.positions.upsert(
        Position(
            ticker="NVDA", qty=Decimal(4), avg_entry_price=Decimal(100),
            market_price=Decimal(110), stop_loss=Decimal(97), take_profit=Decimal(120),
            opened_at=at(200),
        )
    )  # fmt: skip
    for day, equity in enumerate((100_000, 101_000, 99_990, 102_000)):
        await repos.snapshots.add_portfolio_snapshot(
            make_portfolio_snapshot(T0 + timedelta(days=day), equity=Decimal(equity))
        )
    await repos.strategies.apply_weight_changes(
        [
            WeightChange(
                strategy="momentum", new_weight=0.4, reason="momentum: 24 trades, reward 0.61"
            )
        ],
        cycle=1,
        at=at(300),
    )
    await repos.snapshots.add_strategy_metric(make_strategy_metric("momentum", at(400)))
    for action in ("controls.pause", "controls.resume", "controls.pause"):
        await repos.audit.add("alice", action)
    return {"apple_in": apple_in, "apple_news": apple_news, "long_apple": long_apple}


@pytest.fixture
def pg_app(postgres_database: str, seeded: dict[str, Any]) -> FastAPI:
    clock = SimulatedClock(NOW)
    container = gateway_container(postgres_database, clock=clock, bus=MemoryBus(clock=clock))
    return gateway_app(container)


@pytest.fixture
async def api(pg_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(pg_app) as client:
        token, _ = gateway_of(pg_app).access.issue(uuid.uuid4(), "alice")
        client.headers.update(bearer(token))
        yield client


async def _get(api: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_trades_when_unfiltered_are_newest_first_with_the_total(
    api: httpx.AsyncClient,
) -> None:
    page = await _get(api, "/api/trades")

    assert page["total"] == 5
    assert [t["submitted_at"] for t in page["items"]] == sorted(
        (t["submitted_at"] for t in page["items"]), reverse=True
    )


async def test_trades_when_paged_return_consecutive_slices(api: httpx.AsyncClient) -> None:
    first = await _get(api, "/api/trades", limit=2, offset=0)
    second = await _get(api, "/api/trades", limit=2, offset=2)
    last = await _get(api, "/api/trades", limit=2, offset=4)

    ids = [t["trade_id"] for page in (first, second, last) for t in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert (first["limit"], second["offset"], last["total"]) == (2, 2, 5)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ticker": "MSFT"}, 2),
        ({"from": "2024-03-05T16:00:00Z"}, 4),
        ({"to": "2024-03-05T16:00:00Z"}, 1),
        ({"from": "2024-03-05T15:30:00Z", "to": "2024-03-05T17:00:00Z"}, 2),
        ({"strategy": "mean_reversion"}, 2),
        ({"profitable": "true"}, 1),
        ({"profitable": "false"}, 1),
        ({"status": "REJECTED"}, 1),
        ({"ticker": "AAPL", "status": "FILLED"}, 2),
    ],
)
async def test_trades_when_filtered_keep_only_matching(
    api: httpx.AsyncClient, params: dict[str, str], expected: int
) -> None:
    page = await _get(api, "/api/trades", **params)

    assert page["total"] == expected
    assert len(page["items"]) == expected


async def test_trade_detail_when_requested_has_its_signal_strategies_news_and_outcome(
    api: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    detail = await _get(api, f"/api/trades/{seeded['apple_in'].trade_id}")

    assert detail["trade"]["strategy"] == "momentum"
    assert detail["signal"]["signal_id"] == str(seeded["long_apple"].signal_id)
    assert {c["strategy"] for c in detail["contributions"]} == {"momentum", "news_driven"}
    assert detail["articles"][0]["title"] == "Apple beats estimates"
    assert detail["articles"][0]["score"] == 0.6
    assert detail["articles"][0]["tickers"] == [{"ticker": "AAPL", "score": 0.7, "confidence": 0.9}]
    assert detail["outcome"]["realized_pnl"] == "12.50000000"
    assert detail["outcome"]["strategy_credits"] == {"momentum": 0.6, "news_driven": 0.4}


async def test_trade_detail_when_unknown_answers_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/trades/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, 3),
        ({"ticker": "AAPL"}, 2),
        ({"direction": "SHORT"}, 1),
        ({"from": "2024-03-05T16:00:00Z"}, 2),
        ({"to": "2024-03-05T16:00:00Z"}, 1),
        ({"ticker": "AAPL", "limit": 1, "offset": 1}, 2),
    ],
)
async def test_signals_when_filtered_keep_only_matching(
    api: httpx.AsyncClient, params: dict[str, Any], expected: int
) -> None:
    page = await _get(api, "/api/signals", **params)

    assert page["total"] == expected
    assert len(page["items"]) == min(expected, params.get("limit", 50))


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({}, ["Microsoft warns", "Apple beats estimates"]),
        ({"ticker": "AAPL"}, ["Apple beats estimates"]),
        ({"source": "bloomberg"}, ["Microsoft warns"]),
        ({"min_score": 0}, ["Apple beats estimates"]),
        ({"max_score": -0.5}, ["Microsoft warns"]),
        ({"from": "2024-03-05T15:00:00Z"}, ["Microsoft warns"]),
        ({"to": "2024-03-05T15:00:00Z"}, ["Apple beats estimates"]),
        ({"limit": 1, "offset": 1}, ["Apple beats estimates"]),
    ],
)
async def test_news_when_filtered_keep_only_matching(
    api: httpx.AsyncClient, params: dict[str, Any], titles: list[str]
) -> None:
    page = await _get(api, "/api/news", **params)

    assert [item["title"] for item in page["items"]] == titles


async def test_news_when_the_score_range_is_inverted_matches_nothing(
    api: httpx.AsyncClient,
) -> None:
    page = await _get(api, "/api/news", min_score=0.5, max_score=-0.5)

    assert (page["items"], page["total"]) == ([], 0)


async def test_strategies_when_listed_show_weights_and_how_their_trades_went(
    api: httpx.AsyncClient,
) -> None:
    strategies = {s["name"]: s for s in await _get(api, "/api/strategies")}

    assert strategies["momentum"]["weight"] == 0.4
    assert (strategies["momentum"]["trades"], strategies["momentum"]["win_rate"]) == (1, 1.0)
    assert strategies["momentum"]["total_pnl"] == "12.50000000"
    assert (strategies["mean_reversion"]["trades"], strategies["mean_reversion"]["wins"]) == (1, 0)
    assert strategies["mean_reversion"]["total_pnl"] == "-5.00000000"


async def test_strategy_history_when_requested_has_each_change_with_its_reason(
    api: httpx.AsyncClient,
) -> None:
    history = await _get(api, "/api/strategies/momentum/history")

    assert history["weights"][0]["new_weight"] == 0.4
    assert history["adjustments"][0]["reason"] == "momentum: 24 trades, reward 0.61"
    assert history["adjustments"][0]["cycle"] == 1


async def test_strategy_metrics_when_addressed_by_id_match_by_name(api: httpx.AsyncClient) -> None:
    strategy_id = next(
        s["id"] for s in await _get(api, "/api/strategies") if s["name"] == "momentum"
    )

    by_id = await _get(api, f"/api/strategies/{strategy_id}/metrics")
    by_name = await _get(api, "/api/strategies/momentum/metrics")

    assert by_id == by_name
    assert by_name["series"][0]["sharpe"] == 1.1
    assert by_name["trades"] == 1


async def test_strategy_when_unknown_answers_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/strategies/astrology/history")

    assert response.status_code == 404


async def test_portfolio_when_snapshots_exist_reports_the_latest_with_positions(
    api: httpx.AsyncClient,
) -> None:
    portfolio = await _get(api, "/api/portfolio")
    positions = await _get(api, "/api/portfolio/positions")

    assert portfolio["equity"] == "102000.00000000"
    assert portfolio["source"] == "snapshot"
    assert portfolio["positions_count"] == 1
    assert portfolio["trading_status"] == "active"
    assert positions[0]["ticker"] == "NVDA"
    assert positions[0]["unrealized_pnl"] == "40.00000000"
    assert positions[0]["unrealized_pnl_pct"] == pytest.approx(0.1)
    assert (positions[0]["stop_loss"], positions[0]["take_profit"]) == (
        "97.00000000",
        "120.00000000",
    )


@pytest.mark.parametrize(("period", "points"), [("1d", 1), ("1w", 4), ("all", 4)])
async def test_portfolio_history_when_a_period_is_chosen_returns_its_snapshots(
    api: httpx.AsyncClient, period: str, points: int
) -> None:
    history = await _get(api, "/api/portfolio/history", period=period)

    assert len(history["points"]) == points
    assert history["points"][-1]["equity"] == "102000.00000000"


async def test_portfolio_history_when_the_period_is_unknown_is_refused(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/api/portfolio/history", params={"period": "5y"})

    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "query.period"


async def test_portfolio_metrics_when_computed_follow_the_equity_curve_and_outcomes(
    api: httpx.AsyncClient,
) -> None:
    metrics = await _get(api, "/api/portfolio/metrics")

    assert metrics["roi"] == pytest.approx(0.02)
    assert metrics["max_drawdown"] == pytest.approx(99_990 / 101_000 - 1)
    assert metrics["win_rate"] == 0.5
    assert metrics["total_trades"] == 2
    assert metrics["total_pnl"] == "7.50000000"
    assert metrics["sharpe"] is not None


async def test_audit_when_paged_is_newest_first_with_the_total(api: httpx.AsyncClient) -> None:
    page = await _get(api, "/api/audit", action="controls.pause", limit=1)

    assert page["total"] == 2
    assert [entry["action"] for entry in page["items"]] == ["controls.pause"]

"""The portfolio: its value now, open positions, the equity curve and performance metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from trading_bot.core import metrics
from trading_bot.core.model import PortfolioSnapshot
from trading_bot.entrypoints.api.deps import GatewayDep, ReadScope
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES
from trading_bot.entrypoints.api.gateway import Gateway
from trading_bot.entrypoints.api.routes.controls import CONTROL_ACTIONS, CONTROL_KEYS, status_of
from trading_bot.entrypoints.api.schemas.portfolio import (
    EquityPoint,
    HistoryOut,
    HistoryPeriod,
    MetricsOut,
    PortfolioOut,
    PositionOut,
    TradingStatus,
)
from trading_bot.entrypoints.api.views import position_out

PERIODS: dict[str, timedelta | None] = {
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
    "1m": timedelta(days=30),
    "3m": timedelta(days=91),
    "1y": timedelta(days=365),
    "all": None,
}

_ZERO = Decimal(0)
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"], responses=ERROR_RESPONSES)


@router.get("", response_model=PortfolioOut)
async def portfolio(_: ReadScope, gateway: GatewayDep) -> PortfolioOut:
    """Return the portfolio's value, cash, buying power, the day's P&L and trading status.

    The figures come from the executor's latest update on the bus when it is newer than the
    latest stored snapshot, else from that snapshot, else from the broker's account. What
    storage says is reused for ``portfolio_cache_seconds`` unless a trade, a portfolio update
    or a control changes it first.
    """
    queries = gateway.container.queries
    overview = await gateway.portfolio_cache.get(
        lambda: queries.portfolio_overview(CONTROL_KEYS, CONTROL_ACTIONS)
    )
    status = status_of(overview.control).status
    summary = await _latest_figures(gateway, overview.latest_snapshot)
    if summary is None:
        return PortfolioOut(
            equity=_ZERO,
            cash=_ZERO,
            buying_power=_ZERO,
            daily_pnl=_ZERO,
            daily_pnl_pct=None,
            positions_count=overview.open_positions,
            trading_status=status,
            as_of=None,
            source="none",
        )
    return summary.model_copy(
        update={"positions_count": overview.open_positions, "trading_status": status}
    )


@router.get("/positions", response_model=list[PositionOut])
async def positions(_: ReadScope, gateway: GatewayDep) -> list[PositionOut]:
    """List the open positions with unrealised P&L, stop-loss and take-profit, by ticker."""
    records = await gateway.container.repositories.positions.all()
    return [position_out(record) for record in sorted(records, key=lambda r: r.position.ticker)]


@router.get("/history", response_model=HistoryOut)
async def history(
    _: ReadScope,
    gateway: GatewayDep,
    period: Annotated[HistoryPeriod, Query(description="how far back")] = "1m",
) -> HistoryOut:
    """Return the equity curve (stored portfolio snapshots) over ``period``, oldest first."""
    snapshots = await _snapshots(gateway, PERIODS[period])
    return HistoryOut(
        period=period,
        points=[
            EquityPoint(
                timestamp=snapshot.timestamp,
                equity=snapshot.equity,
                cash=snapshot.cash,
                daily_pnl=snapshot.daily_pnl,
                open_positions=snapshot.open_positions,
            )
            for snapshot in snapshots
        ],
    )


@router.get("/metrics", response_model=MetricsOut)
async def portfolio_metrics(_: ReadScope, gateway: GatewayDep) -> MetricsOut:
    """Return ROI, Sharpe and max drawdown of the equity curve, and the closed trades' win rate.

    Sharpe uses daily returns (the last snapshot of each UTC day), annualised over 252 days.
    """
    snapshots = await _snapshots(gateway, None)
    equity = [snapshot.equity for snapshot in snapshots]
    summary = await gateway.container.queries.outcome_summary()
    return MetricsOut(
        roi=metrics.total_return(equity),
        sharpe=metrics.sharpe_ratio(metrics.simple_returns(_daily_closes(snapshots))),
        max_drawdown=metrics.max_drawdown(equity),
        win_rate=summary.win_rate,
        total_trades=summary.trades,
        total_pnl=summary.total_pnl,
        snapshots=len(snapshots),
    )


async def _snapshots(gateway: Gateway, span: timedelta | None) -> list[PortfolioSnapshot]:
    container = gateway.container
    if span is None:
        return await container.repositories.snapshots.portfolio_history(
            since=_EPOCH_START, until=None
        )
    # When no snapshot falls inside the period, it ends at the latest snapshot instead of now:
    # the demo market runs on simulated time, behind the wall clock the gateway keeps for tokens.
    now = container.clock.now()
    latest = await container.repositories.snapshots.latest_portfolio_snapshot()
    end = latest.timestamp if latest is not None and latest.timestamp < now - span else now
    return await container.repositories.snapshots.portfolio_history(since=end - span)


def _daily_closes(snapshots: Sequence[PortfolioSnapshot]) -> list[Decimal]:
    closes: dict[object, Decimal] = {}
    for snapshot in snapshots:
        closes[snapshot.timestamp.date()] = snapshot.equity
    return list(closes.values())


async def _latest_figures(
    gateway: Gateway, snapshot: PortfolioSnapshot | None
) -> PortfolioOut | None:
    container = gateway.container
    live = gateway.latest_portfolio
    if live is not None and (snapshot is None or live.as_of >= snapshot.timestamp):
        return _figures(
            equity=live.equity,
            cash=live.cash,
            buying_power=live.buying_power,
            daily_pnl=live.daily_pnl,
            source="live",
            as_of=live.as_of,
        )
    if snapshot is not None:
        return _figures(
            equity=snapshot.equity,
            cash=snapshot.cash,
            buying_power=snapshot.buying_power,
            daily_pnl=snapshot.daily_pnl,
            source="snapshot",
            as_of=snapshot.timestamp,
        )
    if container.broker is not None:
        account = await container.broker.get_account()
        return _figures(
            equity=account.equity,
            cash=account.cash,
            buying_power=account.buying_power,
            daily_pnl=_ZERO,
            source="broker",
            as_of=container.clock.now(),
        )
    return None


def _figures(
    *,
    equity: Decimal,
    cash: Decimal,
    buying_power: Decimal,
    daily_pnl: Decimal,
    source: Literal["live", "snapshot", "broker"],
    as_of: datetime,
) -> PortfolioOut:
    opening = equity - daily_pnl
    return PortfolioOut(
        equity=equity,
        cash=cash,
        buying_power=buying_power,
        daily_pnl=daily_pnl,
        daily_pnl_pct=float(daily_pnl / opening) if opening > 0 else None,
        positions_count=0,
        trading_status=TradingStatus.ACTIVE,
        as_of=as_of,
        source=source,
    )

"""Read-side queries the dashboard needs beyond the repositories: aggregates and lookups by id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trading_bot.adapters.storage._sql import build, chunks
from trading_bot.adapters.storage.articles import raw_article
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import (
    ArticleRow,
    ArticleSentimentRow,
    AuditRow,
    KeyValueRow,
    PortfolioSnapshotRow,
    PositionRow,
    TradeOutcomeCreditRow,
    TradeOutcomeRow,
)
from trading_bot.core.model import AuditEntry, PortfolioSnapshot, ScoredArticle, TickerSentiment

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class OutcomeSummary:
    """Closed round trips counted together: how many, how many won, their total P&L."""

    trades: int
    wins: int
    total_pnl: Decimal

    @property
    def win_rate(self) -> float | None:
        """Return the share of winning trades, or None before the first one closed."""
        return self.wins / self.trades if self.trades else None


@dataclass(frozen=True, slots=True)
class ControlState:
    """Flags from the key-value store and the latest audited change among some actions."""

    values: dict[str, str]
    last_change: AuditEntry | None


@dataclass(frozen=True, slots=True)
class PortfolioOverview:
    """What the portfolio summary needs, read in one transaction."""

    open_positions: int
    latest_snapshot: PortfolioSnapshot | None
    control: ControlState


class SqlReadQueries:
    """Aggregates over outcomes and articles looked up by id, for the API's read side."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def control_state(self, keys: Sequence[str], actions: Sequence[str]) -> ControlState:
        """Return the stored values of ``keys`` and the newest audit entry of ``actions``."""
        async with self._db.read("read control state") as session:
            return await _control_state(session, keys, actions)

    async def portfolio_overview(
        self, keys: Sequence[str], actions: Sequence[str]
    ) -> PortfolioOverview:
        """Return the open positions count, the latest snapshot and the control state."""
        async with self._db.read("read portfolio overview") as session:
            positions = await session.scalar(select(func.count()).select_from(PositionRow))
            snapshot = await session.scalar(
                select(PortfolioSnapshotRow)
                .order_by(PortfolioSnapshotRow.timestamp.desc())
                .limit(1)
            )
            return PortfolioOverview(
                open_positions=int(positions or 0),
                latest_snapshot=None if snapshot is None else _snapshot(snapshot),
                control=await _control_state(session, keys, actions),
            )

    async def outcome_summary(self) -> OutcomeSummary:
        """Return the count, wins (realised P&L above zero) and total P&L of every outcome."""
        statement = select(
            func.count(TradeOutcomeRow.id),
            func.coalesce(func.sum(case((TradeOutcomeRow.realized_pnl > 0, 1), else_=0)), 0),
            func.sum(TradeOutcomeRow.realized_pnl),
        )
        async with self._db.lookup("summarise outcomes") as session:
            trades, wins, total = (await session.execute(statement)).one()
        return OutcomeSummary(int(trades), int(wins), total if total is not None else _ZERO)

    async def strategy_summaries(self) -> dict[str, OutcomeSummary]:
        """Return, per strategy, the outcomes it argued for (a positive credit) summarised.

        A strategy that argued for a trade shares its win or loss: its ``total_pnl`` is the sum
        of those trades' realised P&L.
        """
        statement = (
            select(
                TradeOutcomeCreditRow.strategy,
                func.count(TradeOutcomeRow.id),
                func.coalesce(func.sum(case((TradeOutcomeRow.realized_pnl > 0, 1), else_=0)), 0),
                func.sum(TradeOutcomeRow.realized_pnl),
            )
            .join(TradeOutcomeRow, TradeOutcomeRow.id == TradeOutcomeCreditRow.outcome_id)
            .where(TradeOutcomeCreditRow.credit > 0)
            .group_by(TradeOutcomeCreditRow.strategy)
            .order_by(TradeOutcomeCreditRow.strategy)
        )
        async with self._db.lookup("summarise strategies") as session:
            rows = (await session.execute(statement)).all()
        return {
            name: OutcomeSummary(int(trades), int(wins), total if total is not None else _ZERO)
            for name, trades, wins, total in rows
        }

    async def scored_articles(self, article_ids: Sequence[str]) -> list[ScoredArticle]:
        """Return the stored articles with these ids, once per model that scored them.

        Articles never scored, or not stored, are left out; the order follows ``article_ids``.
        """
        wanted = list(dict.fromkeys(article_ids))
        levels: list[tuple[ArticleSentimentRow, ArticleRow]] = []
        mentions: dict[tuple[str, str], list[TickerSentiment]] = defaultdict(list)
        async with self._db.read("get articles") as session:
            for batch in chunks(wanted):
                found = await session.execute(
                    select(ArticleSentimentRow, ArticleRow)
                    .join(ArticleRow, ArticleRow.id == ArticleSentimentRow.article_id)
                    .where(ArticleRow.id.in_(batch))
                    .order_by(ArticleSentimentRow.model_used, ArticleSentimentRow.ticker)
                )
                for score, article in found:
                    if score.ticker is None:
                        levels.append((score, article))
                    else:
                        mentions[(score.article_id, score.model_used)].append(
                            build(
                                TickerSentiment,
                                ticker=score.ticker,
                                score=score.score,
                                confidence=score.confidence,
                            )
                        )
        position = {article_id: index for index, article_id in enumerate(wanted)}
        levels.sort(key=lambda pair: (position[pair[1].id], pair[0].model_used))
        return [
            build(
                ScoredArticle,
                article=raw_article(article),
                score=level.score,
                confidence=level.confidence,
                model_used=level.model_used,
                tickers=tuple(mentions[(level.article_id, level.model_used)]),
                reasoning=level.reasoning,
                scored_at=level.scored_at,
            )
            for level, article in levels
        ]


async def _control_state(
    session: AsyncSession, keys: Sequence[str], actions: Sequence[str]
) -> ControlState:
    found = await session.execute(
        select(KeyValueRow.key, KeyValueRow.value).where(KeyValueRow.key.in_(list(keys)))
    )
    latest = await session.scalar(
        select(AuditRow)
        .where(AuditRow.action.in_(list(actions)))
        .order_by(AuditRow.timestamp.desc(), AuditRow.id)
        .limit(1)
    )
    return ControlState(
        values={key: value for key, value in found},
        last_change=None if latest is None else audit_entry(latest),
    )


def _snapshot(row: PortfolioSnapshotRow) -> PortfolioSnapshot:
    return build(
        PortfolioSnapshot,
        timestamp=row.timestamp,
        equity=row.equity,
        cash=row.cash,
        buying_power=row.buying_power,
        daily_pnl=row.daily_pnl,
        positions_value=row.positions_value,
        open_positions=row.open_positions,
    )


def audit_entry(row: AuditRow) -> AuditEntry:
    """Return a stored audit row as an entry."""
    return build(
        AuditEntry,
        entry_id=row.id,
        actor=row.actor,
        action=row.action,
        detail=row.detail,
        timestamp=row.timestamp,
    )

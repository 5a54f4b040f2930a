"""Create every table: trading, news, learning, time series, auth and operations.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

On PostgreSQL with the timescaledb extension available, market_data, portfolio_snapshots and
strategy_metrics become hypertables; everywhere else they stay plain tables. Constraint names
come from the naming convention of the target metadata that env.py passes (the names the mapped
tables use), so later revisions can address them on SQLite as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from trading_bot.adapters.storage import timescale
from trading_bot.adapters.storage.types import ExactDecimal, JsonDocument, UtcDateTime

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TICKER = 12
TOKEN_HASH = 128


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def _money(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, ExactDecimal(), nullable=nullable)


def _float(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, JsonDocument, nullable=nullable)


def _text(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=False)


def _enum(name: str, *values: str, nullable: bool = False) -> sa.Column[object]:
    kind = sa.Enum(*values, name=name, native_enum=False, create_constraint=True)
    return sa.Column(name, kind, nullable=nullable)


def _fk(column: str, target: str, *, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], ondelete=ondelete)


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def upgrade() -> None:
    _create_trading()
    _create_news()
    _create_learning()
    _create_timeseries()
    _create_auth()
    _create_operations()
    if not context.is_offline_mode():
        # Offline (--sql) there is no server to ask whether the extension exists.
        timescale.apply(op.get_bind())


def _create_trading() -> None:
    op.create_table(
        "strategies",
        _id(),
        sa.Column("name", sa.String(64), nullable=False),
        _text("description"),
        _float("current_weight"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "strategy_weights_history",
        _id(),
        sa.Column("strategy_id", sa.Uuid(), nullable=False),
        _float("old_weight"),
        _float("new_weight"),
        _time("timestamp"),
        _text("reason"),
        _fk("strategy_id", "strategies.id", ondelete="CASCADE"),
    )
    _index("strategy_weights_history", "strategy_id", "timestamp")
    op.create_table(
        "signals",
        _id(),
        sa.Column("ticker", sa.String(TICKER), nullable=False),
        _enum("direction", "LONG", "SHORT", "NEUTRAL"),
        _float("strength"),
        _float("price"),
        _json("strategy_sources"),
        _float("sentiment_score", nullable=True),
        _json("article_ids"),
        _time("generated_at"),
        sa.Column("acted_on", sa.Boolean(), nullable=False),
        _enum("outcome", "FILLED", "REJECTED", "CANCELLED", nullable=True),
        _text("outcome_reason"),
    )
    _index("signals", "ticker", "generated_at")
    _index("signals", "generated_at")
    op.create_table(
        "trades",
        _id(),
        sa.Column("signal_id", sa.Uuid(), nullable=True),
        sa.Column("client_order_id", sa.String(48), nullable=False),
        sa.Column("broker_order_id", sa.String(128), nullable=True),
        sa.Column("ticker", sa.String(TICKER), nullable=False),
        _enum("side", "BUY", "SELL"),
        _money("qty"),
        _money("filled_qty"),
        _money("price", nullable=True),
        _money("commission"),
        _enum("status", "PENDING", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED"),
        _text("reason"),
        sa.Column("is_exit", sa.Boolean(), nullable=False),
        _money("pnl", nullable=True),
        sa.Column("strategy_id", sa.Uuid(), nullable=True),
        _time("timestamp"),
        _time("filled_at", nullable=True),
        _time("updated_at"),
        _fk("signal_id", "signals.id"),
        _fk("strategy_id", "strategies.id", ondelete="SET NULL"),
        sa.UniqueConstraint("client_order_id"),
    )
    _index("trades", "ticker", "timestamp")
    _index("trades", "timestamp")
    _index("trades", "status", "timestamp")
    _index("trades", "strategy_id", "timestamp")
    _index("trades", "signal_id")
    op.create_table(
        "positions",
        sa.Column("ticker", sa.String(TICKER), primary_key=True),
        _money("qty"),
        _money("avg_entry"),
        _money("unrealized_pnl"),
        _money("market_price", nullable=True),
        _money("stop_loss", nullable=True),
        _money("take_profit", nullable=True),
        _time("opened_at", nullable=True),
        sa.Column("entry_signal_id", sa.Uuid(), nullable=True),
        _time("updated_at"),
        _fk("entry_signal_id", "signals.id", ondelete="SET NULL"),
    )
    op.create_table(
        "risk_decisions",
        _id(),
        sa.Column("signal_id", sa.Uuid(), nullable=True),
        sa.Column("ticker", sa.String(TICKER), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=False),
        _text("detail"),
        _money("qty", nullable=True),
        _time("timestamp"),
        _fk("signal_id", "signals.id"),
    )
    _index("risk_decisions", "timestamp")
    _index("risk_decisions", "reason_code", "timestamp")
    _index("risk_decisions", "signal_id")


def _create_news() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        _text("title"),
        _text("content"),
        _time("published_at"),
        _time("available_at"),
        _json("provider_tickers"),
        _time("fetched_at"),
        _time("dispatched_at", nullable=True),
    )
    _index("articles", "published_at")
    _index("articles", "source", "published_at")
    op.create_index(
        "ix_articles_not_dispatched",
        "articles",
        ["fetched_at"],
        sqlite_where=sa.text("dispatched_at IS NULL"),
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.create_table(
        "article_sentiments",
        _id(),
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("ticker", sa.String(TICKER), nullable=True),
        _float("score"),
        _float("confidence"),
        sa.Column("model_used", sa.String(100), nullable=False),
        _text("reasoning"),
        _time("scored_at"),
        _fk("article_id", "articles.id", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "article_id",
            "ticker",
            "model_used",
            name=op.f("uq_article_sentiments_article_id_ticker_model_used"),
        ),
    )
    # NULLs are distinct in a unique constraint: this makes the article-level row unique too.
    op.create_index(
        "uq_article_sentiments_article_level",
        "article_sentiments",
        ["article_id", "model_used"],
        unique=True,
        sqlite_where=sa.text("ticker IS NULL"),
        postgresql_where=sa.text("ticker IS NULL"),
    )
    _index("article_sentiments", "ticker", "scored_at")
    _index("article_sentiments", "scored_at")


def _create_learning() -> None:
    op.create_table(
        "trade_outcomes",
        _id(),
        sa.Column("entry_trade_id", sa.Uuid(), nullable=False),
        sa.Column("exit_trade_id", sa.Uuid(), nullable=False),
        sa.Column("ticker", sa.String(TICKER), nullable=False),
        _money("realized_pnl"),
        _float("roi_pct"),
        _float("hold_seconds"),
        _float("risk_adjusted_return"),
        _json("strategy_credits"),
        _time("closed_at"),
        _fk("entry_trade_id", "trades.id"),
        _fk("exit_trade_id", "trades.id"),
        sa.UniqueConstraint("exit_trade_id"),
    )
    _index("trade_outcomes", "closed_at")
    _index("trade_outcomes", "ticker", "closed_at")
    _index("trade_outcomes", "entry_trade_id")
    op.create_table(
        "trade_outcome_credits",
        sa.Column("outcome_id", sa.Uuid(), primary_key=True),
        sa.Column("strategy", sa.String(64), primary_key=True),
        _float("credit"),
        _fk("outcome_id", "trade_outcomes.id", ondelete="CASCADE"),
    )
    _index("trade_outcome_credits", "strategy")
    op.create_table(
        "learning_adjustments",
        _id(),
        sa.Column("strategy_id", sa.Uuid(), nullable=False),
        _float("old_weight"),
        _float("new_weight"),
        _float("reward", nullable=True),
        sa.Column("trades_considered", sa.Integer(), nullable=False),
        _text("reason"),
        sa.Column("cycle", sa.Integer(), nullable=False),
        _time("timestamp"),
        _fk("strategy_id", "strategies.id", ondelete="CASCADE"),
    )
    _index("learning_adjustments", "strategy_id", "timestamp")


def _create_timeseries() -> None:
    # Every primary key includes the time column, as a TimescaleDB hypertable requires.
    op.create_table(
        "market_data",
        sa.Column("ticker", sa.String(TICKER), primary_key=True),
        sa.Column("timestamp", UtcDateTime(), primary_key=True),
        sa.Column("interval_seconds", sa.Integer(), primary_key=True),
        _float("open"),
        _float("high"),
        _float("low"),
        _float("close"),
        _float("volume"),
    )
    op.create_table(
        "portfolio_snapshots",
        sa.Column("timestamp", UtcDateTime(), primary_key=True),
        _money("equity"),
        _money("cash"),
        _money("buying_power"),
        _money("daily_pnl"),
        _money("positions_value"),
        sa.Column("open_positions", sa.Integer(), nullable=False),
    )
    op.create_table(
        "strategy_metrics",
        sa.Column("strategy_id", sa.Uuid(), primary_key=True),
        sa.Column("timestamp", UtcDateTime(), primary_key=True),
        _float("weight"),
        sa.Column("trades", sa.Integer(), nullable=False),
        _float("win_rate", nullable=True),
        _money("total_pnl"),
        _float("sharpe", nullable=True),
        _fk("strategy_id", "strategies.id", ondelete="CASCADE"),
    )


def _create_auth() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        _time("created_at"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "user_credentials",
        _id(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        _json("transports"),
        sa.Column("name", sa.String(200), nullable=False),
        _time("created_at"),
        _time("last_used_at", nullable=True),
        _fk("user_id", "users.id", ondelete="CASCADE"),
        sa.UniqueConstraint("credential_id"),
    )
    _index("user_credentials", "user_id")
    op.create_table(
        "refresh_tokens",
        _id(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(TOKEN_HASH), nullable=False),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _time("revoked_at", nullable=True),
        _time("created_at"),
        _fk("user_id", "users.id", ondelete="CASCADE"),
        sa.UniqueConstraint("token_hash"),
    )
    _index("refresh_tokens", "family_id")
    _index("refresh_tokens", "user_id")
    op.create_table(
        "webauthn_challenges",
        _id(),
        sa.Column("challenge", sa.LargeBinary(255), nullable=False),
        _enum("purpose", "register", "login"),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _time("created_at"),
        _fk("user_id", "users.id", ondelete="CASCADE"),
        sa.UniqueConstraint("challenge"),
    )
    _index("webauthn_challenges", "expires_at")
    op.create_table(
        "invitations",
        _id(),
        sa.Column("token_hash", sa.String(TOKEN_HASH), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("used_by", sa.Uuid(), nullable=True),
        _time("expires_at"),
        _time("used_at", nullable=True),
        sa.Column("is_bootstrap", sa.Boolean(), nullable=False),
        _time("created_at"),
        _fk("created_by", "users.id", ondelete="SET NULL"),
        _fk("used_by", "users.id", ondelete="SET NULL"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "api_tokens",
        _id(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _enum("scope", "read", "control"),
        sa.Column("token_hash", sa.String(TOKEN_HASH), nullable=False),
        _time("expires_at", nullable=True),
        _time("revoked_at", nullable=True),
        _time("last_used_at", nullable=True),
        _time("created_at"),
        _fk("user_id", "users.id", ondelete="CASCADE"),
        sa.UniqueConstraint("token_hash"),
    )
    _index("api_tokens", "user_id")


def _create_operations() -> None:
    op.create_table(
        "kv_state",
        sa.Column("key", sa.String(200), primary_key=True),
        _text("value"),
        _time("updated_at"),
    )
    op.create_table(
        "backtest_runs",
        _id(),
        _enum("status", "queued", "running", "succeeded", "failed"),
        _float("progress"),
        _json("config"),
        _json("metrics", nullable=True),
        _json("result", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        _time("created_at"),
        _time("started_at", nullable=True),
        _time("finished_at", nullable=True),
    )
    _index("backtest_runs", "created_at")
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        _json("detail"),
        _time("timestamp"),
    )
    _index("audit_log", "timestamp")
    _index("audit_log", "actor", "timestamp")
    _index("audit_log", "action", "timestamp")


_TABLES_IN_CREATION_ORDER = (
    "strategies",
    "strategy_weights_history",
    "signals",
    "trades",
    "positions",
    "risk_decisions",
    "articles",
    "article_sentiments",
    "trade_outcomes",
    "trade_outcome_credits",
    "learning_adjustments",
    "market_data",
    "portfolio_snapshots",
    "strategy_metrics",
    "users",
    "user_credentials",
    "refresh_tokens",
    "webauthn_challenges",
    "invitations",
    "api_tokens",
    "kv_state",
    "backtest_runs",
    "audit_log",
)


def downgrade() -> None:
    # Dropping a table drops its indexes; dependants go first.
    for table in reversed(_TABLES_IN_CREATION_ORDER):
        op.drop_table(table)

"""The executor's durable risk state in the key-value store: pause flag, automatic pauses, kill
switch, the day's realised P&L, start-of-day equity and the last exit per ticker (the cooldown).

Keys (the API gateway and the learning engine read the same ones):

| key                           | value                                                        |
|-------------------------------|--------------------------------------------------------------|
| ``control:paused``            | "true" pauses new entries (the API writes it)                |
| ``control:auto_paused``       | conditions that paused entries on their own (below; the      |
|                               | health watch writes it)                                      |
| ``control:kill_switch``       | "true" while today's kill switch is on (for the API)         |
| ``risk:daily_pnl:<day>``      | the day's JSON document (below)                              |
| ``risk:start_equity:<day>``   | equity when the executor first looked that day               |
| ``risk:last_exit:<TICKER>``   | time of the latest exit fill in the ticker (ISO time)        |

``<day>`` is the New York trading date (YYYY-MM-DD). The day's document is
``{"realized_pnl": "<total>", "orders": {"<client order id>": "<pnl>"}, "kill_switch_at": "<ISO
time or null>"}``: the realised P&L is kept per exit order, so recording an exit twice (a
redelivery) never counts it twice, and one read answers both the P&L and the kill switch.
The automatic pauses are ``{"<condition>": {"since": "<ISO time>", "detail": "<why>"}}``; an
empty object means none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

import structlog

from trading_bot.core.calendar import NEW_YORK
from trading_bot.core.model import TradeOutcome
from trading_bot.core.ports import Clock, KeyValueStore, Metrics
from trading_bot.core.risk import RiskState
from trading_bot.core.sizing import TradeStats

log = structlog.stdlib.get_logger(__name__)

PAUSED_KEY: Final = "control:paused"
AUTO_PAUSED_KEY: Final = "control:auto_paused"
KILL_SWITCH_FLAG_KEY: Final = "control:kill_switch"
UNREADABLE_CONDITION: Final = "state_unreadable"
"""The automatic-pause condition reported while ``control:auto_paused`` cannot be read."""
RISK_STATE_ERRORS: Final = "risk_state_errors"
"""Counter of unreadable risk-state values (labelled ``key``); each one fails closed."""


def trading_day(at: datetime) -> date:
    """Return the New York date ``at`` falls on: the trading day a P&L belongs to."""
    return at.astimezone(NEW_YORK).date()


def daily_pnl_key(day: date) -> str:
    """Return the key of the realised P&L of ``day``."""
    return f"risk:daily_pnl:{day.isoformat()}"


def start_equity_key(day: date) -> str:
    """Return the key of the equity ``day`` started with."""
    return f"risk:start_equity:{day.isoformat()}"


def last_exit_key(ticker: str) -> str:
    """Return the key of the time of the latest exit in ``ticker``."""
    return f"risk:last_exit:{ticker}"


@dataclass(frozen=True, slots=True)
class AutoPause:
    """One condition that paused new entries: since when, and why."""

    since: datetime
    detail: str


def encode_auto_pauses(pauses: Mapping[str, AutoPause]) -> str:
    """Return the ``control:auto_paused`` document for ``pauses``."""
    document = {
        condition: {"since": pause.since.isoformat(), "detail": pause.detail}
        for condition, pause in sorted(pauses.items())
    }
    return json.dumps(document, separators=(",", ":"))


def decode_auto_pauses(raw: str) -> dict[str, AutoPause]:
    """Parse a ``control:auto_paused`` document; anything malformed raises ``ValueError``."""
    try:
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise TypeError("the document must be an object")
        pauses = {}
        for condition, pause in document.items():
            since = datetime.fromisoformat(pause["since"])
            if since.tzinfo is None or not isinstance(pause["detail"], str):
                raise TypeError("since must be an aware time and detail a string")
            pauses[str(condition)] = AutoPause(since, pause["detail"])
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise ValueError(f"{AUTO_PAUSED_KEY} is not an automatic-pause document: {exc}") from exc
    return pauses


class _UnreadableError(ValueError):
    """A stored value does not parse; the caller fails closed."""


@dataclass(frozen=True, slots=True)
class _Day:
    """The day's document (see the module docstring)."""

    total: Decimal = Decimal(0)
    orders: dict[str, str] = field(default_factory=dict)
    kill_switch_at: str | None = None

    def encode(self) -> str:
        document = {
            "realized_pnl": str(self.total),
            "orders": self.orders,
            "kill_switch_at": self.kill_switch_at,
        }
        return json.dumps(document, separators=(",", ":"))


class RiskStateStore:
    """Read and write the executor's risk state; see the module docstring for the keys.

    An unreadable value is logged, counted and treated as the safe answer: an unreadable P&L
    turns the kill switch on, an unreadable exit time starts the cooldown now.
    """

    def __init__(self, store: KeyValueStore, clock: Clock, metrics: Metrics) -> None:
        self._store = store
        self._clock = clock
        self._metrics = metrics
        # Both are written once a day and never change after: read them once a day.
        self._start_equity_of: tuple[date, Decimal] | None = None
        self._flag_checked_on: date | None = None

    async def auto_pauses(self) -> dict[str, AutoPause]:
        """Return the conditions that paused new entries on their own (none when unset).

        An unreadable document counts as one condition, ``state_unreadable``: fail closed.
        """
        return self._auto_pauses(await self._store.get(AUTO_PAUSED_KEY))

    def _auto_pauses(self, raw: str | None) -> dict[str, AutoPause]:
        if raw is None:
            return {}
        try:
            return decode_auto_pauses(raw)
        except ValueError:
            self._unreadable(AUTO_PAUSED_KEY, raw)
            return {UNREADABLE_CONDITION: AutoPause(self._clock.now(), "unreadable state")}

    async def set_auto_pauses(self, pauses: Mapping[str, AutoPause]) -> None:
        """Replace the automatic pauses with ``pauses`` (empty: none)."""
        await self._store.set(AUTO_PAUSED_KEY, encode_auto_pauses(pauses))

    async def realized_on(self, day: date) -> Decimal | None:
        """Return the realised P&L of ``day`` (None when its record cannot be read)."""
        try:
            return (await self._day(day)).total
        except _UnreadableError:
            return None

    async def load(
        self,
        ticker: str,
        equity: Decimal,
        trade_stats: TradeStats | None = None,
        day_trades: int | None = None,
    ) -> RiskState:
        """Return the risk state for a decision about ``ticker`` now.

        The start-of-day equity is recorded as ``equity`` the first time a day is seen;
        ``day_trades`` is the pattern-day-trader count, when the caller counted it.
        """
        now = self._clock.now()
        day = trading_day(now)
        # Every value a decision needs, in one read: this runs before each entry.
        keys = (PAUSED_KEY, AUTO_PAUSED_KEY, daily_pnl_key(day), last_exit_key(ticker))
        stored = await self._store.get_many(keys)
        document: _Day | None
        try:
            document = self._parse_day(daily_pnl_key(day), stored.get(daily_pnl_key(day)))
        except _UnreadableError:
            document = None
        tripped = document is None or document.kill_switch_at is not None
        await self._sync_kill_switch_flag(day, tripped)
        return RiskState(
            paused=stored.get(PAUSED_KEY) == "true",
            kill_switch=tripped,
            realized_pnl_today=Decimal(0) if document is None else document.total,
            start_of_day_equity=await self._start_equity(day, equity),
            last_exit_at=self._parse_last_exit(ticker, stored.get(last_exit_key(ticker)), now),
            trade_stats=trade_stats,
            auto_paused=tuple(sorted(self._auto_pauses(stored.get(AUTO_PAUSED_KEY)))),
            day_trades=day_trades,
        )

    async def realized_for(self, day: date, client_order_id: str) -> Decimal | None:
        """Return the P&L recorded for one exit order on ``day``, or None."""
        try:
            document = await self._day(day)
        except _UnreadableError:
            return None
        value = document.orders.get(client_order_id)
        return None if value is None else _decimal(value)

    async def record_exit(
        self, ticker: str, client_order_id: str, at: datetime, realized_pnl: Decimal | None
    ) -> None:
        """Record an exit fill: the cooldown starts at ``at``; its P&L joins the day's total."""
        await self._store.set(last_exit_key(ticker), at.isoformat())
        if realized_pnl is None:
            return
        day = trading_day(at)
        try:
            document = await self._day(day)
        except _UnreadableError:
            log.error("daily P&L left unreadable; this exit is not added", order=client_order_id)
            return
        orders = {**document.orders, client_order_id: str(realized_pnl)}
        total = sum((_decimal(value) for value in orders.values()), Decimal(0))
        updated = _Day(total, orders, document.kill_switch_at)
        await self._store.set(daily_pnl_key(day), updated.encode())

    async def trip_kill_switch(self, detail: str) -> None:
        """Record that the kill switch stopped new entries for the rest of today."""
        now = self._clock.now()
        day = trading_day(now)
        try:
            document = await self._day(day)
        except _UnreadableError:
            document = _Day()  # unreadable already fails closed; keep the trip readable
        if document.kill_switch_at is None:
            tripped = _Day(document.total, document.orders, now.isoformat())
            await self._store.set(daily_pnl_key(day), tripped.encode())
        await self._store.set(KILL_SWITCH_FLAG_KEY, "true")
        log.warning("kill switch tripped: new entries stop for the day", detail=detail)

    async def start_of_day_equity(self, equity: Decimal) -> Decimal:
        """Return today's start-of-day equity, recording ``equity`` if none is known yet."""
        return await self._start_equity(trading_day(self._clock.now()), equity)

    async def _sync_kill_switch_flag(self, day: date, tripped: bool) -> None:
        # The flag for the API is switched off by the first decision of a new day.
        if tripped or self._flag_checked_on == day:
            return
        if await self._store.get(KILL_SWITCH_FLAG_KEY) == "true":
            await self._store.set(KILL_SWITCH_FLAG_KEY, "false")
        self._flag_checked_on = day

    async def _start_equity(self, day: date, equity: Decimal) -> Decimal:
        cached = self._start_equity_of
        if cached is not None and cached[0] == day:
            return cached[1]
        key = start_equity_key(day)
        raw = await self._store.get(key)
        start = equity
        if raw is None:
            await self._store.set(key, str(equity))
        else:
            try:
                start = _decimal(raw)
            except _UnreadableError:
                self._unreadable(key, raw)
                await self._store.set(key, str(equity))
        self._start_equity_of = (day, start)
        return start

    def _parse_last_exit(self, ticker: str, raw: str | None, now: datetime) -> dict[str, datetime]:
        if raw is None:
            return {}
        try:
            at = datetime.fromisoformat(raw)
            if at.tzinfo is None:
                raise ValueError("naive time")
        except ValueError:
            self._unreadable(last_exit_key(ticker), raw)
            return {ticker: now}
        return {ticker: at}

    async def _day(self, day: date) -> _Day:
        key = daily_pnl_key(day)
        return self._parse_day(key, await self._store.get(key))

    def _parse_day(self, key: str, raw: str | None) -> _Day:
        if raw is None:
            return _Day()
        try:
            document = json.loads(raw)
            orders = document["orders"]
            tripped = document.get("kill_switch_at")
            if not isinstance(orders, dict) or not isinstance(tripped, str | None):
                raise TypeError("orders must be an object, kill_switch_at a string or null")
            for value in orders.values():
                _decimal(value)
            return _Day(_decimal(document["realized_pnl"]), orders, tripped)
        except (ValueError, TypeError, KeyError, AttributeError, _UnreadableError) as exc:
            self._unreadable(key, raw)
            raise _UnreadableError(f"{key} is not a daily P&L document") from exc

    def _unreadable(self, key: str, raw: str) -> None:
        log.error("risk state value is unreadable; failing closed", key=key, value=raw[:200])
        self._metrics.increment(RISK_STATE_ERRORS, key=key.rsplit(":", 1)[0])


def _decimal(value: object) -> Decimal:
    if not isinstance(value, str):
        raise _UnreadableError(f"{value!r} is not a decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise _UnreadableError(f"{value!r} is not a decimal") from exc
    if not number.is_finite():
        raise _UnreadableError(f"{value!r} is not finite")
    return number


def trade_stats(outcomes: Sequence[TradeOutcome]) -> TradeStats | None:
    """Return the win rate and payoff ratio of closed trades, for Kelly sizing.

    None when there are no winners or no losers yet (the payoff ratio needs both): the risk
    manager then uses its configured fallback statistics.
    """
    wins = [o.realized_pnl for o in outcomes if o.realized_pnl > 0]
    losses = [-o.realized_pnl for o in outcomes if o.realized_pnl <= 0]
    if not wins or not losses or sum(losses) == 0:
        return None
    average_win = sum(wins, Decimal(0)) / len(wins)
    average_loss = sum(losses, Decimal(0)) / len(losses)
    return TradeStats(
        trades=len(outcomes),
        win_rate=Decimal(len(wins)) / Decimal(len(outcomes)),
        payoff_ratio=average_win / average_loss,
    )

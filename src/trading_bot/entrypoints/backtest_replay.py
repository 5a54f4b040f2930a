"""The replay loop of a backtest: bar opens, bar closes and news merged in time order and handed
to the simulated broker and the services (see ``backtest_runner`` for the order of an instant).
"""

from __future__ import annotations

import asyncio
import heapq
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import numpy as np
import numpy.typing as npt

from trading_bot.adapters.brokers.simulated import SimulatedBroker
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import ArticleScored
from trading_bot.core.model import Bar, ScoredArticle
from trading_bot.entrypoints.backtest_bus import WatchedBus, raise_if_failed
from trading_bot.entrypoints.backtest_data import (
    BarTape,
    from_micros,
    micros,
    trusted_bar,
)
from trading_bot.entrypoints.backtest_news import NewsTape
from trading_bot.services.execution import TradeExecutorService
from trading_bot.services.sentiment import scored_event_id
from trading_bot.services.signals import SignalGeneratorService

PROGRESS_EVERY = 4_096
"""Bars between two progress reports."""


@dataclass(slots=True)
class EquityTrace:
    """The account after every instant bars closed: time (UTC microseconds), equity, whether a
    position was open, and the benchmark ticker's latest close (0 before its first one).

    The benchmark column is filled in from the tape once the replay is over
    (``benchmark_closes``): it is known in advance, and looking it up for every point would
    cost the replay a comparison per bar.
    """

    times: array[int] = field(default_factory=lambda: array("q"))
    equity: array[float] = field(default_factory=lambda: array("d"))
    invested: array[int] = field(default_factory=lambda: array("b"))
    benchmark: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def add(self, at: int, valuation: tuple[float, bool]) -> None:
        """Append one point: its time and the broker's ``valuation()`` then."""
        equity, invested = valuation
        self.times.append(at)
        self.equity.append(equity)
        self.invested.append(invested)

    def __len__(self) -> int:
        return len(self.times)


def benchmark_closes(tape: BarTape, benchmark: int, times: array[int]) -> npt.NDArray[np.float64]:
    """Return the latest close of the ticker at index ``benchmark`` by each of ``times`` (UTC
    microseconds), 0 before its first close: what a replay that closes bars in the order of
    ``closing_queue`` has seen of it then."""
    mine = tape.ticker == benchmark
    closes_at, opens_at, close = tape.closes_at[mine], tape.opens_at[mine], tape.close[mine]
    if np.any(closes_at[1:] < closes_at[:-1]):
        # Bars of several lengths: the closing order is by close, then by open. (Otherwise the
        # tape's order is it already: a ticker's bars open one after another.)
        order = np.lexsort((opens_at, closes_at))
        closes_at, close = closes_at[order], close[order]
    latest = np.searchsorted(closes_at, np.asarray(times, dtype=np.int64), side="right") - 1
    return np.where(latest >= 0, close[np.maximum(latest, 0)], 0.0)


Closing = tuple[int, str, int, Bar, datetime]
"""A bar waiting to close: when (UTC microseconds), its ticker, its place in the tape, the bar,
and when again as a datetime."""


def closing_queue(
    *, one_length: bool
) -> tuple[list[Closing] | deque[Closing], Callable[[Closing], None], Callable[[], Closing]]:
    """Return a queue of bars waiting to close, soonest first (at a tie: by ticker, then as
    they opened), with its push and its pop.

    When every bar has the same length, bars close in the order they opened (the tape's order),
    and a first-in first-out queue keeps that order for less than a heap.
    """
    if one_length:
        queue: deque[Closing] = deque()
        return queue, queue.append, queue.popleft
    heap: list[Closing] = []
    return heap, partial(heapq.heappush, heap), partial(heapq.heappop, heap)


class Replay:
    """The merge of bar opens, bar closes and news, in time order (see the module docstring).

    This loop runs twice per bar, so it avoids what it can: times are converted a chunk at a
    time (``BarChunk.opens``), bars are built from checked values (``trusted_bar``) and handed
    to the services' bar handlers without a message around them, and the bus is drained only
    after a step that published.
    """

    def __init__(
        self,
        *,
        clock: SimulatedClock,
        bus: WatchedBus,
        broker: SimulatedBroker,
        signals: SignalGeneratorService,
        executor: TradeExecutorService,
        tasks: list[asyncio.Task[None]],
        benchmark: int,
        progress: Callable[[float], None] | None,
    ) -> None:
        self._clock = clock
        self._bus = bus
        self._broker = broker
        self._signals = signals
        self._executor = executor
        self._tasks = tasks
        self._benchmark = benchmark
        self._progress = progress
        self._now = micros(clock.now())
        self._trace = EquityTrace()
        self._closing, _, self._pop_closing = closing_queue(one_length=False)
        self._released = 0

    async def run(self, tape: BarTape, news: NewsTape) -> tuple[EquityTrace, int]:
        """Replay every bar and the news up to the last close; return the equity trace and
        how many articles were released."""
        articles = news.articles
        news_at = [micros(a.article.available_at) for a in articles]
        next_news = news_at[0] if news_at else _NEVER
        last_close = int(tape.closes_at.max())
        total = len(tape)
        opened = 0
        closing, push_closing, pop_closing = closing_queue(
            one_length=len(np.unique(tape.interval)) == 1
        )
        self._closing, self._pop_closing = closing, pop_closing
        clock = self._clock
        broker_open = self._broker.on_bar_open
        for chunk in tape.chunks():
            for (
                ticker,
                at,
                opens,
                closes_at,
                closes,
                open_,
                high,
                low,
                close,
                volume,
                interval,
            ) in zip(
                chunk.tickers,
                chunk.opens_at,
                chunk.opens,
                chunk.closes_at,
                chunk.closes,
                chunk.open,
                chunk.high,
                chunk.low,
                chunk.close,
                chunk.volume,
                chunk.interval,
                strict=True,
            ):
                if next_news <= at:
                    await self._until(at, articles, news_at)
                    released = self._released
                    next_news = news_at[released] if released < len(news_at) else _NEVER
                else:
                    while closing and closing[0][0] <= at:
                        await self._close(pop_closing())
                if at > self._now:
                    if not clock.skip_to(opens):
                        await clock.advance_to(opens)
                    self._now = at
                bar = trusted_bar(ticker, opens, open_, high, low, close, volume, interval)
                if broker_open(bar):
                    await self._executor.reconcile_pending()
                    await self._bus.settle()
                opened += 1
                push_closing((closes_at, ticker, opened, bar, closes))
                if opened % PROGRESS_EVERY == 0:
                    self._report(opened, total)
        await self._until(last_close, articles, news_at)
        await self._bus.settle()
        raise_if_failed(self._tasks)
        self._trace.benchmark = benchmark_closes(tape, self._benchmark, self._trace.times)
        if self._progress is not None:
            self._progress(1.0)
        return self._trace, self._released

    def _report(self, opened: int, total: int) -> None:
        raise_if_failed(self._tasks)
        if self._progress is not None:
            self._progress(0.99 * opened / total)

    async def _until(
        self, at: int, articles: tuple[ScoredArticle, ...], news_at: list[int]
    ) -> None:
        """Handle every close and article due at or before ``at``: closes first at a tie."""
        closing = self._closing
        while True:
            close_at = closing[0][0] if closing else None
            news_due = news_at[self._released] if self._released < len(news_at) else None
            if (
                close_at is not None
                and close_at <= at
                and (news_due is None or close_at <= news_due)
            ):
                await self._close(self._pop_closing())
            elif news_due is not None and news_due <= at:
                await self._release(articles[self._released], news_due)
                self._released += 1
            else:
                return

    async def _close(self, item: Closing) -> None:
        at, _, _, bar, closes = item
        if at > self._now:
            if not self._clock.skip_to(closes):
                await self._clock.advance_to(closes)
            self._now = at
        bus = self._bus
        broker = self._broker
        if broker.on_bar_close(bar):
            await self._executor.reconcile_pending()
        # What the services' ``market:bars`` consumers do with each ``BarClosed`` (their
        # ``on_bar``), in its two parts: the one that waits for nothing, and the rest if needed.
        if self._executor.observe_bar(bar, closes):
            await self._executor.watch_stops(bar)
        signal = self._signals.decide_on_bar(bar)
        if signal is not None:
            await self._signals.publish(signal, "bar")
        if bus.published != bus.drained:
            await bus.settle()
        closing = self._closing
        if not closing or closing[0][0] != at:
            self._trace.add(at, broker.valuation())

    async def _release(self, article: ScoredArticle, at: int) -> None:
        if at > self._now:
            await self._clock.advance_to(from_micros(at))
            self._now = at
        await self._bus.publish(
            ArticleScored(
                event_id=scored_event_id(article.article.article_id),
                occurred_at=self._clock.now(),
                scored=article,
            )
        )
        await self._bus.settle()


_NEVER = 2**63 - 1
"""A time after every bar (UTC microseconds): when no article is left to release."""

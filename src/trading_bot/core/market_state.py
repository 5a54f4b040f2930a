"""The market snapshot: per ticker, a window of recent closed bars and incremental indicators.

``MarketState.update(bar)`` advances one ticker by one closed bar in O(1) and returns that
ticker's snapshot, which is what strategies read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime

from trading_bot.core.errors import DataError
from trading_bot.core.indicators import EMA, RSI, SMA, BarField, IndicatorSpec
from trading_bot.core.model import Bar

DEFAULT_WINDOW = 200
"""Closed bars kept per ticker unless told otherwise."""


class MarketSnapshot:
    """One ticker's market after its latest closed bar: what a strategy may look at.

    The snapshot is a live view kept up to date by ``MarketState`` (building a new object per
    bar would cost more than the strategies themselves): read it during an evaluation, do not
    keep it, and never write to it.

    Attributes:
        ticker: the symbol.
        bar: the latest closed bar.
        timestamp: when that bar opened (UTC).
        close: its close.
        previous_close: the close of the bar before it, or None on the first bar.
        volume: its volume.
        bar_count: how many bars this ticker has received.
        indicators: every maintained indicator by ``IndicatorSpec.key``, each with ``value``
            and ``previous`` (None while warming up).
    """

    __slots__ = (
        "_bars",
        "_close_indicators",
        "_volume_indicators",
        "bar",
        "bar_count",
        "close",
        "indicators",
        "previous_close",
        "ticker",
        "timestamp",
        "volume",
    )

    def __init__(self, first: Bar, specs: Iterable[IndicatorSpec], window: int) -> None:
        built = {spec: spec.build() for spec in specs}
        self.indicators: Mapping[str, SMA | EMA | RSI] = {
            spec.key: indicator for spec, indicator in built.items()
        }
        self._close_indicators = tuple(
            indicator for spec, indicator in built.items() if spec.source is BarField.CLOSE
        )
        self._volume_indicators = tuple(
            indicator for spec, indicator in built.items() if spec.source is BarField.VOLUME
        )
        self._bars: deque[Bar] = deque(maxlen=window)
        self.ticker: str = first.ticker
        self.bar: Bar = first
        self.timestamp: datetime = first.timestamp
        self.close: float = first.close
        self.previous_close: float | None = None
        self.volume: float = first.volume
        self.bar_count = 0
        self._advance(first)

    @property
    def bars(self) -> tuple[Bar, ...]:
        """Return the window of recent closed bars, oldest first (the latest is ``bar``)."""
        return tuple(self._bars)

    def value(self, spec: IndicatorSpec) -> float | None:
        """Return the current value of a maintained indicator (None while warming up)."""
        return self._indicator(spec).value

    def previous(self, spec: IndicatorSpec) -> float | None:
        """Return a maintained indicator's value one bar earlier (None while warming up)."""
        return self._indicator(spec).previous

    def _indicator(self, spec: IndicatorSpec) -> SMA | EMA | RSI:
        try:
            return self.indicators[spec.key]
        except KeyError:
            raise KeyError(
                f"indicator {spec.key} is not maintained for {self.ticker}; "
                "declare it in the strategy's indicators"
            ) from None

    def _advance(self, bar: Bar) -> None:
        if self.bar_count:
            if bar.timestamp <= self.timestamp:
                what = "a repeat of" if bar.timestamp == self.timestamp else "older than"
                raise DataError(
                    f"bar for {bar.ticker} at {bar.timestamp.isoformat()} is {what} the last "
                    f"one at {self.timestamp.isoformat()}; refused"
                )
            self.previous_close = self.close
        close = bar.close
        volume = bar.volume
        self.bar = bar
        self.timestamp = bar.timestamp
        self.close = close
        self.volume = volume
        self.bar_count += 1
        self._bars.append(bar)
        for indicator in self._close_indicators:
            indicator.update(close)
        for indicator in self._volume_indicators:
            indicator.update(volume)


class MarketState:
    """Per-ticker market snapshots, advanced one closed bar at a time.

    Build it with the indicators the enabled strategies declare (``required_indicators``), so
    each is maintained incrementally from a ticker's first bar. The caller feeds only closed bars.
    """

    __slots__ = ("_snapshots", "_specs", "_window")

    def __init__(
        self, indicators: Iterable[IndicatorSpec], *, window: int = DEFAULT_WINDOW
    ) -> None:
        if window < 1:
            raise ValueError(f"window must keep at least one bar, got {window}")
        self._specs = tuple(dict.fromkeys(indicators))
        self._window = window
        self._snapshots: dict[str, MarketSnapshot] = {}

    @property
    def indicators(self) -> tuple[IndicatorSpec, ...]:
        """Return the indicators maintained for every ticker."""
        return self._specs

    def update(self, bar: Bar) -> MarketSnapshot:
        """Advance ``bar.ticker`` by one closed bar and return its snapshot.

        Raises:
            DataError: the bar is not newer than the ticker's last one; nothing changed.
        """
        snapshot = self._snapshots.get(bar.ticker)
        if snapshot is None:
            snapshot = MarketSnapshot(bar, self._specs, self._window)
            self._snapshots[bar.ticker] = snapshot
        else:
            snapshot._advance(bar)
        return snapshot

    def snapshot(self, ticker: str) -> MarketSnapshot | None:
        """Return the snapshot of ``ticker``, or None before its first bar."""
        return self._snapshots.get(ticker)

    @property
    def tickers(self) -> tuple[str, ...]:
        """Return every ticker seen so far."""
        return tuple(self._snapshots)

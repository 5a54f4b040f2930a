"""Incremental technical indicators with TA-Lib's definitions: O(1) per bar, plain floats.

Each indicator is fed one value per bar through ``update`` and exposes ``value`` (None until it
is ready) and ``previous`` (its value before the latest update, for cross detection).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

REL_TOLERANCE = 1e-12
"""Two values closer than this, relative to the larger, are equal (DESIGN.md §7)."""


def nearly_equal(a: float, b: float) -> bool:
    """Return True when ``a`` and ``b`` differ by no more than floating-point noise."""
    return abs(a - b) <= REL_TOLERANCE * max(abs(a), abs(b))


def crosses_above(a_prev: float, b_prev: float, a: float, b: float) -> bool:
    """Return True when series a crosses above series b: a[t-1] <= b[t-1] and a[t] > b[t].

    Values equal within ``REL_TOLERANCE`` count as equal, so a tie is not a cross.
    """
    # Ordered so that the common cases (below now, or clearly above before) exit early.
    if a <= b:
        return False
    gap = a_prev - b_prev
    if gap > 0.0 and gap > REL_TOLERANCE * max(abs(a_prev), abs(b_prev)):
        return False
    return not nearly_equal(a, b)


def crosses_below(a_prev: float, b_prev: float, a: float, b: float) -> bool:
    """Return True when series a crosses below series b: a[t-1] >= b[t-1] and a[t] < b[t]."""
    if a >= b:
        return False
    gap = b_prev - a_prev
    if gap > 0.0 and gap > REL_TOLERANCE * max(abs(a_prev), abs(b_prev)):
        return False
    return not nearly_equal(a, b)


def _check_period(period: int) -> int:
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValueError(f"period must be a positive integer, got {period!r}")
    return period


class Indicator(Protocol):
    """An incremental indicator: one ``update`` per bar."""

    @property
    def period(self) -> int: ...

    @property
    def value(self) -> float | None: ...

    @property
    def previous(self) -> float | None: ...

    def update(self, x: float) -> float | None:
        """Feed the next value and return the indicator's new value (None while warming up)."""
        ...


class SMA:
    """Simple moving average of the last ``period`` values; first value at the period-th update.

    The running sum is recomputed exactly (``math.fsum``) every ``period`` updates, so rounding
    error never accumulates beyond one window and cannot invent a cross.
    """

    __slots__ = ("_count", "_index", "_sum", "_window", "period", "previous", "value")

    def __init__(self, period: int) -> None:
        self.period = _check_period(period)
        self.value: float | None = None
        self.previous: float | None = None
        self._window = [0.0] * period
        self._index = 0
        self._count = 0
        self._sum = 0.0

    def update(self, x: float) -> float | None:
        """Feed the next value and return the average of the last ``period`` values."""
        self.previous = self.value
        window = self._window
        index = self._index
        self._sum += x - window[index]
        window[index] = x
        index += 1
        if index == self.period:
            index = 0
            self._sum = math.fsum(window)
        self._index = index
        if self._count < self.period:
            self._count += 1
            if self._count < self.period:
                return None
        self.value = self._sum / self.period
        return self.value


class EMA:
    """Exponential moving average, k = 2 / (period + 1), seeded with the SMA of the first values."""

    __slots__ = ("_count", "_k", "_seed", "period", "previous", "value")

    def __init__(self, period: int) -> None:
        self.period = _check_period(period)
        self.value: float | None = None
        self.previous: float | None = None
        self._k = 2.0 / (period + 1)
        self._seed: list[float] = []
        self._count = 0

    def update(self, x: float) -> float | None:
        """Feed the next value and return the new average."""
        current = self.previous = self.value
        if current is not None:
            self.value = current + self._k * (x - current)
            return self.value
        self._seed.append(x)
        if len(self._seed) == self.period:
            self.value = math.fsum(self._seed) / self.period
            self._seed = []
        return self.value


class RSI:
    """Wilder's relative strength index in [0, 100]; first value after ``period`` changes.

    The first average gain and loss are the simple means of the first ``period`` changes; later
    ones are smoothed by (period - 1) / period. RSI is 0 when there were neither gains nor losses
    (TA-Lib's convention); ``flat`` tells that case apart from a genuine 0.
    """

    __slots__ = (
        "_count",
        "_gain_sum",
        "_last",
        "_loss_sum",
        "avg_gain",
        "avg_loss",
        "period",
        "previous",
        "value",
    )

    def __init__(self, period: int) -> None:
        self.period = _check_period(period)
        self.value: float | None = None
        self.previous: float | None = None
        self.avg_gain: float | None = None
        self.avg_loss: float | None = None
        self._last: float | None = None
        self._count = 0
        self._gain_sum = 0.0
        self._loss_sum = 0.0

    @property
    def flat(self) -> bool:
        """Return True when the averages show no movement at all (RSI is 0 by convention)."""
        return self.avg_gain == 0.0 and self.avg_loss == 0.0

    def update(self, x: float) -> float | None:
        """Feed the next price and return the new RSI."""
        self.previous = self.value
        last = self._last
        self._last = x
        if last is None:
            return None
        change = x - last
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        avg_gain = self.avg_gain
        avg_loss = self.avg_loss
        if avg_gain is None or avg_loss is None:
            self._gain_sum += gain
            self._loss_sum += loss
            self._count += 1
            if self._count < self.period:
                return None
            avg_gain = self._gain_sum / self.period
            avg_loss = self._loss_sum / self.period
        else:
            keep = self.period - 1
            avg_gain = (avg_gain * keep + gain) / self.period
            avg_loss = (avg_loss * keep + loss) / self.period
        self.avg_gain = avg_gain
        self.avg_loss = avg_loss
        total = avg_gain + avg_loss
        self.value = 0.0 if total == 0.0 else 100.0 * avg_gain / total
        return self.value


class IndicatorKind(StrEnum):
    SMA = "sma"
    EMA = "ema"
    RSI = "rsi"


class BarField(StrEnum):
    """Which value of each bar an indicator is fed."""

    CLOSE = "close"
    VOLUME = "volume"


_BUILDERS: dict[IndicatorKind, type[SMA] | type[EMA] | type[RSI]] = {
    IndicatorKind.SMA: SMA,
    IndicatorKind.EMA: EMA,
    IndicatorKind.RSI: RSI,
}


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """An indicator a strategy needs, e.g. ``IndicatorSpec(IndicatorKind.SMA, 20)``.

    Strategies declare specs; the market state maintains one instance per spec and ticker from
    the first bar. ``key`` names it in ``MarketSnapshot.indicators``.
    """

    kind: IndicatorKind
    period: int
    source: BarField = BarField.CLOSE

    def __post_init__(self) -> None:
        _check_period(self.period)

    @property
    def key(self) -> str:
        """Return the stable name of this indicator, such as ``sma(close,20)``."""
        return f"{self.kind.value}({self.source.value},{self.period})"

    def build(self) -> SMA | EMA | RSI:
        """Return a fresh, empty indicator for this spec."""
        return _BUILDERS[self.kind](self.period)

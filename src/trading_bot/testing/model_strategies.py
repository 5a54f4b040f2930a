"""Hypothesis strategies that generate valid domain values (and the zones timestamps come in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from trading_bot.core.model import (
    Bar,
    Direction,
    OrderRequest,
    OrderSide,
    OrderType,
    SentimentScore,
    StrategyOpinion,
    StrategySource,
    TradeSignal,
)

TIMEZONES = (
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Tokyo"),
    ZoneInfo("Australia/Lord_Howe"),  # a half-hour DST shift
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-9, minutes=-30)),
)

tickers = st.from_regex(r"[A-Z][A-Z0-9]{0,5}(\.[A-Z]{1,2})?", fullmatch=True)
"""Exchange symbols such as ``AAPL``, ``BF.B`` or ``X``."""

aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 -- hypothesis bounds are naive by contract
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001 -- the zone is drawn separately
    timezones=st.sampled_from(TIMEZONES),
    allow_imaginary=False,
)
"""Timezone-aware timestamps in zones around the world."""

prices = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("1000000"), places=4, allow_nan=False
)
quantities = st.decimals(
    min_value=Decimal("0.000001"), max_value=Decimal("1000000"), places=6, allow_nan=False
)
scores = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
units = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
positive_floats = st.floats(min_value=1e-6, max_value=1e7, allow_nan=False, allow_infinity=False)
names = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=32
)


@st.composite
def bars(draw: st.DrawFn) -> Bar:
    """Draw a consistent OHLCV bar (low <= open, close <= high)."""
    low = draw(positive_floats)
    high = low + draw(st.floats(min_value=0.0, max_value=low, allow_nan=False))
    inside = st.floats(min_value=low, max_value=high, allow_nan=False)
    return Bar(
        ticker=draw(tickers),
        timestamp=draw(aware_datetimes),
        open=draw(inside),
        high=high,
        low=low,
        close=draw(inside),
        volume=draw(st.floats(min_value=0, max_value=1e12, allow_nan=False)),
        interval_seconds=draw(st.sampled_from([60, 300, 3600, 86_400])),
    )


sentiment_scores = st.builds(SentimentScore, score=scores, confidence=units, model=names)
strategy_opinions = st.builds(
    StrategyOpinion, strategy=names, direction=st.sampled_from(Direction), strength=units
)


@st.composite
def order_requests(draw: st.DrawFn) -> OrderRequest:
    """Draw a market or limit order."""
    order_type = draw(st.sampled_from(OrderType))
    return OrderRequest(
        client_order_id=draw(st.from_regex(r"tb-[0-9a-f]{28}", fullmatch=True)),
        ticker=draw(tickers),
        side=draw(st.sampled_from(OrderSide)),
        qty=draw(quantities),
        order_type=order_type,
        limit_price=draw(prices) if order_type is OrderType.LIMIT else None,
        stop_loss=draw(st.none() | prices),
        take_profit=draw(st.none() | prices),
    )


trade_signals = st.builds(
    TradeSignal,
    ticker=tickers,
    direction=st.sampled_from(Direction),
    strength=units,
    price=positive_floats,
    sources=st.lists(
        st.builds(
            StrategySource,
            strategy=names,
            direction=st.sampled_from(Direction),
            strength=units,
            weight=units,
        ),
        min_size=1,
        max_size=4,
    ).map(tuple),
    sentiment_score=st.none() | scores,
    generated_at=aware_datetimes,
)

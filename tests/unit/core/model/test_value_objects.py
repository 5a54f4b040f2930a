"""Value objects: valid ones survive JSON unchanged; invalid ones are refused, naming the field."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from trading_bot.core.model import (
    Bar,
    Direction,
    OrderRequest,
    OrderSide,
    OrderType,
    SentimentScore,
    StrategyOpinion,
    StrategySource,
    TickerSentiment,
    TradeSignal,
)
from trading_bot.testing.model_strategies import (
    aware_datetimes,
    bars,
    order_requests,
    sentiment_scores,
    strategy_opinions,
    trade_signals,
)
from trading_bot.testing.signals import make_signal

AT = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


def _round_trip(value: BaseModel) -> BaseModel:
    return type(value).model_validate_json(value.model_dump_json())


def _bar(**changes: Any) -> Bar:
    fields: dict[str, Any] = {
        "ticker": "AAPL", "timestamp": AT, "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.5,
        "volume": 100.0,
    }  # fmt: skip
    return Bar(**{**fields, **changes})


def _order(**changes: Any) -> OrderRequest:
    fields: dict[str, Any] = {
        "client_order_id": "tb-1", "ticker": "AAPL", "side": OrderSide.BUY, "qty": Decimal(1),
    }  # fmt: skip
    return OrderRequest(**{**fields, **changes})


def _signal(**changes: Any) -> TradeSignal:
    source = StrategySource(strategy="momentum", direction=Direction.LONG, strength=0.5, weight=1)
    fields: dict[str, Any] = {
        "ticker": "AAPL", "direction": Direction.LONG, "strength": 0.5, "price": 10.0,
        "sources": (source,), "generated_at": AT,
    }  # fmt: skip
    return TradeSignal(**{**fields, **changes})


def _refused_naming(field: str, build: Any, **changes: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        build(**changes)
    assert field in {str(part) for error in caught.value.errors() for part in error["loc"]}
    assert field in str(caught.value)


# --- valid values survive JSON ------------------------------------------------------------


@given(bars())
def test_bar_when_valid_survives_a_json_round_trip(bar: Bar) -> None:
    assert _round_trip(bar) == bar


@given(order_requests())
def test_order_request_when_valid_survives_a_json_round_trip(order: OrderRequest) -> None:
    assert _round_trip(order) == order


@given(trade_signals)
def test_trade_signal_when_valid_survives_a_json_round_trip(signal: TradeSignal) -> None:
    assert _round_trip(signal) == signal


@given(sentiment_scores)
def test_sentiment_score_when_valid_survives_a_json_round_trip(score: SentimentScore) -> None:
    assert _round_trip(score) == score


@given(strategy_opinions)
def test_strategy_opinion_when_valid_survives_a_json_round_trip(opinion: StrategyOpinion) -> None:
    assert _round_trip(opinion) == opinion


# --- timestamps -----------------------------------------------------------------------------


@given(aware_datetimes)
def test_timestamp_when_given_in_any_zone_is_normalised_to_the_same_instant_in_utc(
    at: datetime,
) -> None:
    bar = _bar(timestamp=at)

    assert bar.timestamp.tzinfo is UTC
    # Compared in UTC: Python never calls an ambiguous local time equal across zones (PEP 495).
    assert bar.timestamp == at.astimezone(UTC)


def test_timestamp_when_given_in_new_york_reads_as_utc() -> None:
    bar = _bar(timestamp=datetime(2024, 7, 1, 9, 30, tzinfo=ZoneInfo("America/New_York")))

    assert bar.timestamp == datetime(2024, 7, 1, 13, 30, tzinfo=UTC)
    assert bar.model_dump_json().count("2024-07-01T13:30:00Z") == 1


def test_timestamp_when_naive_is_refused_naming_the_field() -> None:
    naive = datetime(2024, 3, 5, 15, 0)  # noqa: DTZ001 -- naive on purpose

    _refused_naming("timestamp", _bar, timestamp=naive)


def test_timestamp_when_naive_in_a_signal_is_refused_naming_the_field() -> None:
    naive = datetime(2024, 3, 5)  # noqa: DTZ001 -- naive on purpose

    _refused_naming("generated_at", _signal, generated_at=naive)


# --- tickers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ticker", ["AAPL", "BRK.B", "BF.B", "X", "SPY", "A1"])
def test_ticker_when_well_formed_is_accepted(ticker: str) -> None:
    assert _bar(ticker=ticker).ticker == ticker


@pytest.mark.parametrize(
    "ticker", ["aapl", "Aapl", "brk.b", "", "TOOLONGX", "1ABC", "BRK.", "BRK.BBB", "AA PL", "$AAPL"]
)
def test_ticker_when_lower_case_or_malformed_is_refused_naming_the_field(ticker: str) -> None:
    _refused_naming("ticker", _bar, ticker=ticker)


@given(st.text(min_size=1, max_size=8).filter(lambda text: text.strip() != text.strip().upper()))
def test_ticker_when_it_has_lower_case_letters_is_refused(ticker: str) -> None:
    _refused_naming("ticker", _bar, ticker=ticker)


# --- scores, confidences, strengths ----------------------------------------------------------

outside_score = st.floats(allow_nan=False).filter(lambda x: abs(x) > 1) | st.just(math.nan)
outside_unit = st.floats(allow_nan=False).filter(lambda x: not 0 <= x <= 1) | st.just(math.nan)


@given(outside_score)
def test_sentiment_score_when_outside_minus_one_to_one_is_refused_naming_the_field(
    score: float,
) -> None:
    _refused_naming("score", SentimentScore, score=score, confidence=0.5, model="m")


@given(outside_unit)
def test_confidence_when_outside_zero_to_one_is_refused_naming_the_field(confidence: float) -> None:
    _refused_naming("confidence", SentimentScore, score=0.0, confidence=confidence, model="m")


@given(outside_score)
def test_ticker_sentiment_when_score_out_of_range_is_refused_naming_the_field(score: float) -> None:
    _refused_naming("score", TickerSentiment, ticker="AAPL", score=score, confidence=0.5)


@given(outside_unit)
def test_strength_when_outside_zero_to_one_is_refused_naming_the_field(strength: float) -> None:
    _refused_naming(
        "strength", StrategyOpinion, strategy="momentum", direction=Direction.LONG,
        strength=strength,
    )  # fmt: skip


@given(outside_unit)
def test_signal_strength_when_outside_zero_to_one_is_refused_naming_the_field(
    strength: float,
) -> None:
    _refused_naming("strength", _signal, strength=strength)


# --- prices and quantities -------------------------------------------------------------------

bad_float_prices = st.sampled_from([0.0, -0.0, -1.0, math.nan, math.inf, -math.inf]) | st.floats(
    max_value=0, allow_nan=False
)
bad_decimal_amounts = st.sampled_from(
    [Decimal(0), Decimal("-0.01"), Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")]
) | st.decimals(max_value=0, allow_nan=False, allow_infinity=False)


@given(bad_float_prices)
def test_bar_when_a_price_is_nan_infinite_zero_or_negative_is_refused_naming_it(
    price: float,
) -> None:
    _refused_naming("close", _bar, close=price)


@given(bad_float_prices)
def test_signal_when_its_price_is_not_a_positive_number_is_refused_naming_it(price: float) -> None:
    _refused_naming("price", _signal, price=price)


@given(bad_decimal_amounts)
def test_order_when_limit_price_is_not_positive_and_finite_is_refused_naming_it(
    price: Decimal,
) -> None:
    _refused_naming("limit_price", _order, order_type=OrderType.LIMIT, limit_price=price)


@given(bad_decimal_amounts)
def test_order_when_quantity_is_zero_negative_or_not_finite_is_refused_naming_it(
    qty: Decimal,
) -> None:
    _refused_naming("qty", _order, qty=qty)


def test_bar_when_low_is_above_high_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"low 12\.0 is above high 11\.0"):
        _bar(low=12.0)


def test_bar_when_close_lies_outside_the_range_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"within \[low, high\]"):
        _bar(close=11.5)


def test_order_when_limit_has_no_price_is_refused() -> None:
    with pytest.raises(ValidationError, match="limit_price"):
        _order(order_type=OrderType.LIMIT)


def test_value_object_when_given_an_unknown_field_is_refused_naming_it() -> None:
    _refused_naming("colour", _bar, colour="red")


def test_trade_signal_credits_the_source_pushing_hardest_its_way() -> None:
    signal = make_signal(
        "AAPL",
        Direction.LONG,
        sources=(
            StrategySource(strategy="momentum", direction=Direction.LONG, strength=0.5, weight=0.3),
            StrategySource(strategy="rsi", direction=Direction.LONG, strength=0.9, weight=0.3),
            StrategySource(strategy="trend", direction=Direction.SHORT, strength=1.0, weight=0.9),
        ),
    )

    assert signal.credited_strategy == "rsi"


def test_trade_signal_when_no_source_agrees_credits_none() -> None:
    source = StrategySource(strategy="trend", direction=Direction.SHORT, strength=1.0, weight=0.9)

    signal = make_signal("AAPL", Direction.LONG, sources=(source,))

    assert signal.credited_strategy is None

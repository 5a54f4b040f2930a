"""News-driven: strong, confident, recent sentiment; never news from the future."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.market_state import MarketSnapshot, MarketState
from trading_bot.core.model import (
    Direction,
    SentimentContext,
    SentimentObservation,
    StrategyOpinion,
)
from trading_bot.core.strategies.news_driven import (
    NewsDrivenParams,
    NewsDrivenStrategy,
    staleness_decay,
)
from trading_bot.testing.bar_series import bars_from_closes
from trading_bot.testing.signals import DEFAULT_NOW

NOW = DEFAULT_NOW


def observation(score: float, confidence: float, hours_old: float) -> SentimentObservation:
    return SentimentObservation(
        article_id=f"{int(hours_old * 3600):064d}",
        score=score,
        confidence=confidence,
        available_at=NOW - timedelta(hours=hours_old),
    )


def context(*observations: SentimentObservation, ticker: str = "AAPL") -> SentimentContext:
    return SentimentContext(ticker=ticker, observations=observations)


def market() -> MarketSnapshot:
    return MarketState([]).update(bars_from_closes([100.0])[0])


def ask(
    sentiment: SentimentContext | None,
    *,
    at: datetime = NOW,
    strategy: NewsDrivenStrategy | None = None,
) -> StrategyOpinion | None:
    strategy = strategy or NewsDrivenStrategy()
    return strategy.evaluate("AAPL", market(), sentiment, SimulatedClock(at))


def test_news_driven_on_fresh_strong_positive_news_goes_long_by_score_times_confidence() -> None:
    opinion = ask(context(observation(0.8, 0.9, hours_old=1)))

    assert opinion is not None
    assert opinion.direction is Direction.LONG
    assert opinion.strength == pytest.approx(0.8 * 0.9)


def test_news_driven_on_fresh_strong_negative_news_goes_short() -> None:
    opinion = ask(context(observation(-0.9, 0.8, hours_old=0)))

    assert opinion is not None
    assert opinion.direction is Direction.SHORT
    assert opinion.strength == pytest.approx(0.9 * 0.8)


@pytest.mark.parametrize("score", [0.7, -0.7, 0.5, 0.0])
def test_news_driven_when_score_is_not_beyond_0_7_stays_quiet(score: float) -> None:
    assert ask(context(observation(score, 0.95, hours_old=1))) is None


def test_news_driven_when_confidence_is_exactly_0_6_stays_quiet_and_above_it_trades() -> None:
    assert ask(context(observation(0.9, 0.6, hours_old=1))) is None
    assert ask(context(observation(0.9, 0.61, hours_old=1))) is not None


def test_news_driven_never_uses_an_observation_from_the_future() -> None:
    future = SentimentObservation(
        article_id="f" * 64, score=0.99, confidence=0.99, available_at=NOW + timedelta(minutes=1)
    )

    assert ask(context(observation(0.1, 0.9, hours_old=2), future)) is None
    assert ask(context(future)) is None


def test_news_driven_when_the_news_becomes_available_uses_it() -> None:
    future = SentimentObservation(
        article_id="f" * 64, score=0.99, confidence=0.99, available_at=NOW + timedelta(minutes=1)
    )
    strategy = NewsDrivenStrategy()

    before = ask(context(future), strategy=strategy)
    after = ask(context(future), at=NOW + timedelta(minutes=1), strategy=strategy)

    assert before is None
    assert after is not None


def test_news_driven_when_news_is_stale_decays_by_half_life() -> None:
    opinion = ask(context(observation(0.8, 0.9, hours_old=6)))  # 2 h past fresh, half-life 4 h

    assert opinion is not None
    assert opinion.strength == pytest.approx(0.8 * 0.9 * 0.5 ** (2 / 4))


def test_news_driven_when_news_is_older_than_the_lookback_ignores_it() -> None:
    assert ask(context(observation(0.95, 0.95, hours_old=25))) is None


def test_news_driven_aggregates_by_confidence_weighted_mean() -> None:
    opinion = ask(context(observation(0.9, 0.9, hours_old=1), observation(0.6, 0.5, hours_old=2)))

    score = (0.9 * 0.9 + 0.5 * 0.6) / (0.9 + 0.5)
    confidence = (0.9 + 0.5) / 2
    assert opinion is not None
    assert opinion.direction is Direction.LONG
    assert opinion.strength == pytest.approx(score * confidence)


def test_news_driven_lets_fresh_news_outweigh_stale_news() -> None:
    stale_decay = 0.5 ** ((16 - 4) / 4)
    opinion = ask(context(observation(0.5, 0.9, hours_old=16), observation(-0.95, 0.9, 1)))

    weights = (0.9 * stale_decay, 0.9)
    score = (weights[0] * 0.5 + weights[1] * -0.95) / sum(weights)
    confidence = sum(weights) / (stale_decay + 1)
    assert opinion is not None
    assert opinion.direction is Direction.SHORT
    assert opinion.strength == pytest.approx(abs(score) * confidence)


def test_news_driven_with_the_same_context_later_re_evaluates_its_age() -> None:
    strategy = NewsDrivenStrategy()
    news = context(observation(0.9, 0.9, hours_old=1))

    now = ask(news, strategy=strategy)
    much_later = ask(news, at=NOW + timedelta(hours=30), strategy=strategy)
    again = ask(news, strategy=strategy)

    assert now is not None
    assert much_later is None
    assert again == now


@pytest.mark.parametrize(
    "sentiment", [None, SentimentContext(ticker="AAPL")], ids=["none", "empty"]
)
def test_news_driven_without_news_returns_none(sentiment: SentimentContext | None) -> None:
    assert ask(sentiment) is None


def test_news_driven_when_every_confidence_is_zero_returns_none() -> None:
    assert ask(context(observation(0.9, 0.0, hours_old=1))) is None


def test_news_driven_when_given_another_tickers_news_refuses_it() -> None:
    with pytest.raises(ValueError, match="MSFT"):
        ask(context(observation(0.9, 0.9, hours_old=1), ticker="MSFT"))


def test_staleness_decay_is_one_while_fresh_and_halves_per_half_life() -> None:
    assert staleness_decay(4.0, fresh_hours=4.0, half_life_hours=2.0) == 1.0
    assert staleness_decay(6.0, fresh_hours=4.0, half_life_hours=2.0) == 0.5
    assert staleness_decay(8.0, fresh_hours=4.0, half_life_hours=2.0) == 0.25


def test_news_driven_needs_no_indicators() -> None:
    assert NewsDrivenStrategy().indicators == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [("score_threshold", 1.0), ("confidence_threshold", -0.1), ("half_life_hours", 0)],
)
def test_news_driven_params_when_invalid_are_refused_naming_the_field(
    field: str, value: float
) -> None:
    with pytest.raises(ValidationError, match=field):
        NewsDrivenParams.model_validate({field: value})

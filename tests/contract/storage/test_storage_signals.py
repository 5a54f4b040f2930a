"""SignalRepository: signals stored once with their sources, outcomes recorded, filters paged."""

from __future__ import annotations

import uuid

import pytest

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.core.model import Direction, OrderStatus, SignalOutcome
from trading_bot.testing.storage_records import at, make_trade_signal


async def test_add_when_signal_is_new_reads_back_equal_with_no_outcome(
    repos: SqlRepositories,
) -> None:
    signal = make_trade_signal(article_ids=["a" * 64, "b" * 64], sentiment_score=0.42)

    added = await repos.signals.add(signal)

    record = await repos.signals.get(signal.signal_id)
    assert added is True
    assert record is not None
    assert record.signal == signal
    assert (record.acted_on, record.outcome, record.outcome_reason) == (False, None, "")


async def test_add_when_signal_is_redelivered_keeps_one_copy(repos: SqlRepositories) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)
    await repos.signals.record_outcome(signal.signal_id, SignalOutcome.REJECTED, "cooldown")

    added_again = await repos.signals.add(signal)

    record = await repos.signals.get(signal.signal_id)
    assert added_again is False
    assert record is not None
    assert record.outcome is SignalOutcome.REJECTED
    assert (await repos.signals.query()).total == 1


async def test_record_outcome_when_filled_marks_the_signal_acted_on(
    repos: SqlRepositories,
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)

    recorded = await repos.signals.record_outcome(signal.signal_id, OrderStatus.FILLED)

    record = await repos.signals.get(signal.signal_id)
    assert recorded is True
    assert record is not None
    assert (record.acted_on, record.outcome) == (True, SignalOutcome.FILLED)


async def test_record_outcome_when_rejected_keeps_the_reason_and_is_not_acted_on(
    repos: SqlRepositories,
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)

    await repos.signals.record_outcome(
        signal.signal_id, OrderStatus.REJECTED, "MAX_POSITIONS: 20 open"
    )

    record = await repos.signals.get(signal.signal_id)
    assert record is not None
    assert (record.acted_on, record.outcome) == (False, SignalOutcome.REJECTED)
    assert record.outcome_reason == "MAX_POSITIONS: 20 open"


async def test_record_outcome_when_signal_is_unknown_returns_false(
    repos: SqlRepositories,
) -> None:
    assert await repos.signals.record_outcome(uuid.uuid4(), SignalOutcome.CANCELLED) is False


async def test_record_outcome_when_status_is_not_final_is_refused(
    repos: SqlRepositories,
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)

    with pytest.raises(ValueError, match="not a final"):
        await repos.signals.record_outcome(signal.signal_id, OrderStatus.PENDING)

    record = await repos.signals.get(signal.signal_id)
    assert record is not None
    assert record.outcome is None


async def test_query_when_filtered_by_ticker_direction_and_time_returns_matches_newest_first(
    repos: SqlRepositories,
) -> None:
    for minute, ticker, direction in [
        (1, "AAPL", Direction.LONG),
        (2, "AAPL", Direction.SHORT),
        (3, "MSFT", Direction.LONG),
        (4, "AAPL", Direction.LONG),
        (5, "AAPL", Direction.LONG),
    ]:
        await repos.signals.add(make_trade_signal(ticker, direction, generated_at=at(minute)))

    page = await repos.signals.query(
        ticker="AAPL", direction=Direction.LONG, since=at(1), until=at(5)
    )

    assert page.total == 2
    assert [record.signal.generated_at for record in page.items] == [at(4), at(1)]


async def test_query_when_paged_returns_each_signal_once_with_the_total(
    repos: SqlRepositories,
) -> None:
    for minute in range(7):
        await repos.signals.add(make_trade_signal(generated_at=at(minute)))

    pages = [await repos.signals.query(limit=3, offset=offset) for offset in (0, 3, 6)]

    assert [page.total for page in pages] == [7, 7, 7]
    seen = [record.signal.generated_at for page in pages for record in page.items]
    assert seen == [at(minute) for minute in reversed(range(7))]


async def test_query_when_limit_is_zero_is_refused(repos: SqlRepositories) -> None:
    with pytest.raises(DataError, match="limit"):
        await repos.signals.query(limit=0)

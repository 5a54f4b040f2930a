"""Independent reads awaited at once (live) or in turn (a backtest): same results either way."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from trading_bot.services.concurrency import Concurrency

BOTH = [Concurrency(concurrent=True), Concurrency(concurrent=False)]


class BoomError(Exception):
    pass


async def _value(log: list[str], name: str, value: int) -> int:
    log.append(name)
    await asyncio.sleep(0)
    return value


async def _fail(log: list[str], name: str) -> int:
    log.append(name)
    await asyncio.sleep(0)
    raise BoomError(name)


@pytest.mark.parametrize("concurrency", BOTH, ids=["concurrent", "in turn"])
async def test_all_returns_the_results_in_the_order_given(concurrency: Concurrency) -> None:
    log: list[str] = []

    results = await concurrency.all(
        _value(log, "a", 1), _value(log, "b", 2), _value(log, "c", 3), _value(log, "d", 4)
    )

    assert results == (1, 2, 3, 4)
    assert log == ["a", "b", "c", "d"]


async def test_all_concurrently_lets_reads_wait_on_each_other() -> None:
    """Live, two reads that each wait for the other's progress both finish."""
    first_started, second_started = asyncio.Event(), asyncio.Event()

    async def first() -> str:
        first_started.set()
        await second_started.wait()
        return "first"

    async def second() -> str:
        second_started.set()
        await first_started.wait()
        return "second"

    results = await asyncio.wait_for(Concurrency(concurrent=True).all(first(), second()), timeout=5)

    assert results == ("first", "second")


async def test_all_in_turn_on_a_failure_raises_it_and_closes_the_rest_unstarted() -> None:
    log: list[str] = []
    rest = [_value(log, "c", 3), _value(log, "d", 4)]

    with pytest.raises(BoomError, match="b"):
        await Concurrency(concurrent=False).all(_value(log, "a", 1), _fail(log, "b"), *rest)

    assert log == ["a", "b"]
    # Closed, so none is reported as never awaited.
    assert [inspect.getcoroutinestate(c) for c in rest] == [inspect.CORO_CLOSED] * 2


@pytest.mark.parametrize("concurrency", BOTH, ids=["concurrent", "in turn"])
async def test_alongside_returns_the_first_result_once_both_have_run(
    concurrency: Concurrency,
) -> None:
    log: list[str] = []

    result = await concurrency.alongside(_value(log, "first", 7), _value(log, "other", 8))

    assert result == 7
    assert sorted(log) == ["first", "other"]


@pytest.mark.parametrize("concurrency", BOTH, ids=["concurrent", "in turn"])
@pytest.mark.parametrize("failing", ["first", "other"])
async def test_alongside_raises_a_failure_only_after_both_have_finished(
    concurrency: Concurrency, failing: str
) -> None:
    log: list[str] = []
    finished: list[str] = []

    async def finishing(name: str) -> int:
        log.append(name)
        await asyncio.sleep(0)
        finished.append(name)
        return 1

    first = _fail(log, "first") if failing == "first" else finishing("first")
    other = _fail(log, "other") if failing == "other" else finishing("other")

    with pytest.raises(BoomError, match=failing):
        await concurrency.alongside(first, other)

    assert sorted(log) == ["first", "other"]
    assert finished == [name for name in ("first", "other") if name != failing]


@pytest.mark.parametrize("concurrency", BOTH, ids=["concurrent", "in turn"])
async def test_alongside_without_another_awaits_only_the_first(concurrency: Concurrency) -> None:
    log: list[str] = []

    assert await concurrency.alongside(_value(log, "first", 5), None) == 5
    assert log == ["first"]

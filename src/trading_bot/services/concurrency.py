"""How the executor awaits work that does not depend on each other: at once, or in turn.

Live, each read on the way to an order is a round trip to the broker or the database, so they
are awaited concurrently (``asyncio.gather``). In a backtest every port answers from memory
without ever suspending: a task per read there only costs time (creating it, scheduling it, an
event-loop turn to run it), a quarter of what deciding on a signal costs. Awaiting the same
reads one after another, in the order given, gives the same results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar, cast, overload

_T = TypeVar("_T")
_T1 = TypeVar("_T1")
_T2 = TypeVar("_T2")
_T3 = TypeVar("_T3")
_T4 = TypeVar("_T4")


class Concurrency:
    """Await independent awaitables concurrently (``concurrent=True``) or in turn.

    Either way the results come back in the order given and the first failure is raised. In
    turn, a failure closes the awaitables not started yet, so none is left never awaited.
    """

    __slots__ = ("concurrent",)

    def __init__(self, *, concurrent: bool = True) -> None:
        self.concurrent = concurrent

    @overload
    async def all(self, a: Awaitable[_T1], b: Awaitable[_T2], /) -> tuple[_T1, _T2]: ...

    @overload
    async def all(
        self, a: Awaitable[_T1], b: Awaitable[_T2], c: Awaitable[_T3], d: Awaitable[_T4], /
    ) -> tuple[_T1, _T2, _T3, _T4]: ...

    async def all(self, *awaitables: Awaitable[Any]) -> tuple[Any, ...]:
        """Return the results of ``awaitables``, in order."""
        if self.concurrent:
            return tuple(await asyncio.gather(*awaitables))
        results = []
        for index, awaitable in enumerate(awaitables):
            try:
                results.append(await awaitable)
            except BaseException:
                _close(awaitables[index + 1 :])
                raise
        return tuple(results)

    async def alongside(self, first: Awaitable[_T], other: Awaitable[object] | None) -> _T:
        """Return ``first``'s result, ``other`` awaited with it; the first failure of either
        is raised once both have finished (neither is left running)."""
        if other is None:
            return await first
        outcomes: list[object]
        if self.concurrent:
            outcomes = list(await asyncio.gather(first, other, return_exceptions=True))
        else:
            outcomes = [await _outcome(first), await _outcome(other)]
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return cast("_T", outcomes[0])


async def _outcome(awaitable: Awaitable[object]) -> object:
    """Return what ``awaitable`` returned, or the exception it raised (a cancellation too, as
    ``gather(return_exceptions=True)`` does)."""
    try:
        return await awaitable
    except BaseException as exc:  # handed back, to be raised once both have finished
        return exc


def _close(awaitables: tuple[Awaitable[Any], ...]) -> None:
    for awaitable in awaitables:
        if isinstance(awaitable, Coroutine):
            awaitable.close()

"""Run a CPU-bound replay to completion on the fastest event loop at hand.

A backtest is one long coroutine whose services hand each other every signal through the
in-memory bus: the event loop's own turns are a tenth of its time on asyncio's loop. uvloop
(the ``backtest`` extra; not built for Windows) makes them cheaper; where it is missing, asyncio's
loop runs the same code to the same results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")


def run_replay(main: Coroutine[Any, Any, _T]) -> _T:
    """Run ``main`` on a new event loop (uvloop's when installed) and return its result."""
    try:
        import uvloop  # noqa: PLC0415 - optional
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)

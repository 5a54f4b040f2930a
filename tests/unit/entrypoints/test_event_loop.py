"""Backtests replay on uvloop when it is installed, on asyncio's own loop otherwise."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from trading_bot.entrypoints.event_loop import run_replay


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_run_replay_runs_the_coroutine_on_uvloop_and_returns_its_result() -> None:
    assert run_replay(_loop_type()) is uvloop.Loop


def test_run_replay_without_uvloop_runs_on_asyncio_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # what an install without it looks like

    loop_type = run_replay(_loop_type())

    assert issubclass(loop_type, asyncio.BaseEventLoop)
    assert not issubclass(loop_type, uvloop.Loop)

"""Backtest jobs: each run executes in a worker thread so the API stays responsive.

A ``BacktestRunner`` does the work (blocking, reporting progress in [0, 1]); ``BacktestJobs``
records the run QUEUED, RUNNING, then SUCCEEDED with metrics and results or FAILED with the
error, writing progress to storage as it moves.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from pydantic import JsonValue, ValidationError

from trading_bot.core.errors import ConfigurationError, TradingBotError
from trading_bot.core.model import BacktestRun, BacktestStatus
from trading_bot.core.ports import BacktestRunRepository
from trading_bot.entrypoints.api.schemas.backtest import BacktestReport, BacktestRequest

ProgressCallback = Callable[[float], None]
"""Report progress in [0, 1]; safe to call from the worker thread."""

BACKTEST_MODULE = "trading_bot.entrypoints.backtest"
"""Where the backtester's entry point ``run_backtest(config, progress_callback)`` lives."""

logger = logging.getLogger(__name__)


class BacktestRunner(Protocol):
    """Runs one backtest to the end, blocking; called in a worker thread."""

    def run(self, request: BacktestRequest, progress: ProgressCallback) -> BacktestReport: ...


class EntrypointBacktestRunner:
    """Run backtests through ``trading_bot.entrypoints.backtest.run_backtest``, imported lazily.

    The backtester receives the request in its own config's terms (``backtester_config``),
    reading bars and news from the gateway's storage, and may return a mapping or a pydantic
    model holding ``metrics``, ``trades``, ``equity_curve`` and ``per_strategy``.
    """

    def __init__(self, storage_url: str | None = None, module: str = BACKTEST_MODULE) -> None:
        self._storage_url = storage_url
        self._module = module

    def run(self, request: BacktestRequest, progress: ProgressCallback) -> BacktestReport:
        """Run the backtest; raise ``ConfigurationError`` if no backtester is installed."""
        try:
            module = importlib.import_module(self._module)
        except ImportError as exc:
            raise ConfigurationError(f"the backtester is not available: {exc}") from exc
        run_backtest = getattr(module, "run_backtest", None)
        if not callable(run_backtest):
            raise ConfigurationError(f"{self._module} has no run_backtest function")
        config = backtester_config(request, self._storage_url)
        outcome = run_backtest(config, progress)
        if asyncio.iscoroutine(outcome):
            # The backtester is async; this runs in a worker thread with no event loop of its own.
            outcome = asyncio.run(outcome)
        return report_from(outcome)


def backtester_config(request: BacktestRequest, storage_url: str | None) -> dict[str, JsonValue]:
    """Return the request as the backtester's ``BacktestConfig`` names its fields."""
    values = request.model_dump(mode="json")
    return {
        "from_storage": True,
        "storage_url": storage_url,
        "tickers": values["tickers"],
        "start": values["start"],
        "end": values["end"],
        "capital": values["initial_capital"],
        "strategies": list(request.strategies),
        "weights": values["strategies"],
        "params": values["parameters"],
        "fill": values["fill"],
        "slippage_bps": values["slippage_bps"],
        "commission_bps": values["commission_bps"],
        "commission_per_share": values["commission_per_share"],
        "learning": values["learning"],
    }


def report_from(result: object) -> BacktestReport:
    """Return a backtester's result (a mapping or a pydantic model) as a ``BacktestReport``."""
    dump = getattr(result, "model_dump", None)
    raw: object = dump(mode="json") if callable(dump) else result
    if not isinstance(raw, Mapping):
        raise TypeError(f"a backtest result must be a mapping, got {type(raw).__name__}")
    fields = {key: raw[key] for key in BacktestReport.model_fields if key in raw}
    return BacktestReport.model_validate(fields)


class _Progress:
    """The latest progress a worker reported, read by the event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0.0

    def report(self, value: float) -> None:
        with self._lock:
            self._value = min(1.0, max(0.0, float(value)))

    @property
    def value(self) -> float:
        with self._lock:
            return self._value


class BacktestJobs:
    """Queue backtests, run them one at a time in a worker thread, and record their results."""

    def __init__(
        self,
        runs: BacktestRunRepository,
        runner: BacktestRunner,
        *,
        workers: int = 1,
        progress_interval_seconds: float = 0.5,
    ) -> None:
        self._runs = runs
        self._runner = runner
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="backtest")
        self._interval = progress_interval_seconds
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, request: BacktestRequest, *, created_by: str) -> BacktestRun:
        """Record a QUEUED run for ``request`` and start it in the background."""
        run = await self._runs.create(request.model_dump(mode="json"), created_by=created_by)
        task = asyncio.create_task(
            self._execute(run.run_id, request), name=f"backtest-{run.run_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    async def wait(self) -> None:
        """Return once every submitted run has finished (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop accepting work: cancel runs that have not finished and release the worker."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _execute(self, run_id: uuid.UUID, request: BacktestRequest) -> None:
        progress = _Progress()
        loop = asyncio.get_running_loop()
        try:
            await self._runs.update(run_id, status=BacktestStatus.RUNNING, progress=0.0)
            work = loop.run_in_executor(self._executor, self._runner.run, request, progress.report)
            report = await self._follow(run_id, work, progress)
        except asyncio.CancelledError:
            await self._fail(run_id, "interrupted: the server stopped before the run finished")
            raise
        except (TradingBotError, ValidationError, ValueError, TypeError, ArithmeticError) as exc:
            await self._fail(run_id, f"{type(exc).__name__}: {exc}")
            return
        except Exception as exc:  # a backtester bug must fail the run, not the server
            logger.exception("backtest failed", extra={"run_id": str(run_id)})
            await self._fail(run_id, f"{type(exc).__name__}: {exc}")
            return
        await self._runs.update(
            run_id,
            status=BacktestStatus.SUCCEEDED,
            progress=1.0,
            metrics=report.metrics,
            result=_result(report),
        )

    async def _follow(
        self, run_id: uuid.UUID, work: asyncio.Future[BacktestReport], progress: _Progress
    ) -> BacktestReport:
        written = 0.0
        while True:
            done, _ = await asyncio.wait({work}, timeout=self._interval)
            if done:
                return work.result()
            if progress.value != written:
                written = progress.value
                await self._runs.update(run_id, progress=written)

    async def _fail(self, run_id: uuid.UUID, error: str) -> None:
        try:
            await self._runs.update(run_id, status=BacktestStatus.FAILED, error=error[:2_000])
        except TradingBotError:
            logger.exception("could not record a failed backtest", extra={"run_id": str(run_id)})


def _result(report: BacktestReport) -> dict[str, JsonValue]:
    result: dict[str, Any] = report.model_dump(mode="json", exclude={"metrics"})
    # Any: the dump holds JSON values only.
    return result

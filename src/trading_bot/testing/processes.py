"""Run `trading-bot` commands as real OS processes, for integration tests and benchmarks.

A ``BotProcess`` starts one command (``up``, ``service NAME``) with an environment of the
caller's choosing and nothing inherited from ``TRADING_*``, writes its output to log files (one
pair per run), waits for its ``/health``, reads its ``/metrics``, and stops, kills or restarts
it. A ``ProcessGroup`` owns several and never leaves one behind::

    async with ProcessGroup(tmp_path / "logs") as group:
        executor = group.add("trade-executor", ["service", "trade-executor"], env, port=9101)
        await executor.start().healthy()
        executor.kill()
        await executor.restart().healthy()
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = [
    "BotProcess",
    "CommandResult",
    "ProcessGroup",
    "bot_executable",
    "clean_environment",
    "free_port",
    "metric_total",
    "parse_metrics",
    "run_bot",
]

STARTUP_SECONDS = 90.0
"""Longest wait for a process to answer ``/health`` (imports are slow on a loaded machine)."""
STOP_SECONDS = 30.0
"""Longest wait for a process to exit after SIGINT or SIGTERM."""
_LOG_TAIL_CHARS = 4_000


def bot_executable() -> str:
    """Return the ``trading-bot`` console script of the running interpreter's environment."""
    return str(Path(sys.executable).with_name("trading-bot"))


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(settings: Mapping[str, str] | None = None, **more: str) -> dict[str, str]:
    """Return this process's environment without any ``TRADING_*`` variable, plus ``settings``.

    JSON log lines are the default, so tests can read them.
    """
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TRADING_")}
    return {**inherited, "TRADING_LOG__FORMAT": "json", **(settings or {}), **more}


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a one-shot command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str


async def run_bot(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout_s: float = 120.0
) -> CommandResult:
    """Run ``trading-bot *args`` to completion without blocking the event loop."""
    process = await asyncio.create_subprocess_exec(
        bot_executable(),
        *args,
        cwd=cwd,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return CommandResult(process.returncode or 0, stdout.decode(), stderr.decode())


def parse_metrics(text: str) -> dict[str, float]:
    """Return the Prometheus exposition ``text`` as sample name -> sum over every label set."""
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + float(sample.value)
    return totals


def metric_total(text: str, name: str, **labels: str) -> float:
    """Return the sum of the samples called ``name`` whose labels include ``labels``."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += float(sample.value)
    return total


class BotProcess:
    """One `trading-bot` command run as a child process, restartable.

    ``port`` is where its ``/health`` and ``/metrics`` answer (the API port for ``up`` and the
    api-gateway, the telemetry port for another service). Each run writes ``<name>-<run>.out``
    and ``<name>-<run>.err`` under ``log_dir``.
    """

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        cwd: Path,
        log_dir: Path,
        port: int | None = None,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.env = dict(env)
        self.cwd = cwd
        self.log_dir = log_dir
        self.port = port
        self.runs = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._files: list[IO[bytes]] = []

    @property
    def url(self) -> str:
        """Return the base URL of its HTTP server."""
        if self.port is None:
            raise RuntimeError(f"{self.name} was started without a port")
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """Return the process id of the current run."""
        return self._running().pid

    @property
    def returncode(self) -> int | None:
        """Return the exit code of the current run (negative: the signal), None while running."""
        return None if self._process is None else self._process.poll()

    def start(self) -> Self:
        """Start a new run (the previous one must have ended)."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        self._close_files()
        self.runs += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        stdout = self.stdout_path().open("wb")
        stderr = self.stderr_path().open("wb")
        self._files = [stdout, stderr]
        self._process = subprocess.Popen(  # noqa: S603 -- our own console script, given arguments
            [bot_executable(), *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=stdout,
            stderr=stderr,
        )
        return self

    def restart(self) -> Self:
        """Start the next run after the current one ended (by a signal or a kill)."""
        return self.start()

    def stdout_path(self, run: int | None = None) -> Path:
        """Return the file holding a run's standard output (default the current run)."""
        return self.log_dir / f"{self.name}-{run or self.runs}.out"

    def stderr_path(self, run: int | None = None) -> Path:
        """Return the file holding a run's standard error (default the current run)."""
        return self.log_dir / f"{self.name}-{run or self.runs}.err"

    def stdout(self, run: int | None = None) -> str:
        """Return what a run printed on standard output so far."""
        return _read(self.stdout_path(run))

    def stderr(self, run: int | None = None) -> str:
        """Return what a run printed on standard error so far (its log lines)."""
        return _read(self.stderr_path(run))

    def describe(self) -> str:
        """Return the exit state and the tail of the current run's output, for a failure."""
        state = "running" if self.returncode is None else f"exit code {self.returncode}"
        output = (self.stdout() + self.stderr())[-_LOG_TAIL_CHARS:]
        return f"{self.name} ({state}), run {self.runs}:\n{output}"

    async def healthy(self, timeout_s: float = STARTUP_SECONDS) -> Self:
        """Return once ``/health`` answers 200; fail with the log tail if it exits or times out."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.returncode is not None:
                    raise AssertionError(f"exited before it was healthy: {self.describe()}")
                try:
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"not healthy within {timeout_s:.0f} s: {self.describe()}")

    async def metrics_text(self) -> str:
        """Return the Prometheus exposition its ``/metrics`` serves now."""
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(f"{self.url}/metrics")
        response.raise_for_status()
        return response.text

    async def metrics(self) -> dict[str, float]:
        """Return its metrics now, summed over labels, by sample name."""
        return parse_metrics(await self.metrics_text())

    def send(self, signum: signal.Signals) -> None:
        """Send ``signum`` to the current run."""
        self._running().send_signal(signum)

    async def stop(
        self, signum: signal.Signals | None = signal.SIGINT, timeout_s: float = STOP_SECONDS
    ) -> int:
        """Send ``signum`` (None: it was sent already) and return the exit code; SIGKILL it if
        it does not exit in time."""
        process = self._running()
        if signum is not None and process.poll() is None:
            process.send_signal(signum)
        code = await self.wait(timeout_s)
        self._close_files()
        return code

    def kill(self) -> None:
        """SIGKILL the current run (no clean-up: what a crash looks like)."""
        process = self._running()
        if process.poll() is None:
            process.kill()
            process.wait()
        self._close_files()

    async def wait(self, timeout_s: float) -> int:
        """Return the exit code once the run ends; SIGKILL it and fail after ``timeout_s``."""
        process = self._running()
        deadline = time.monotonic() + timeout_s
        while process.poll() is None:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise AssertionError(f"did not exit within {timeout_s:.0f} s: {self.describe()}")
            await asyncio.sleep(0.05)
        return process.returncode

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError(f"{self.name} was never started")
        return self._process

    def _close_files(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []


class ProcessGroup:
    """Processes started together; leaving the ``async with`` stops every one still running.

    Those still running get SIGTERM, then SIGKILL after ``stop_timeout_s``.
    """

    def __init__(self, log_dir: Path, *, cwd: Path | None = None) -> None:
        self.log_dir = log_dir
        self.cwd = cwd or log_dir
        self.processes: dict[str, BotProcess] = {}

    def add(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        port: int | None = None,
    ) -> BotProcess:
        """Register (not start) a process under ``name``."""
        process = BotProcess(name, args, env, cwd=self.cwd, log_dir=self.log_dir, port=port)
        self.processes[name] = process
        return process

    def __getitem__(self, name: str) -> BotProcess:
        return self.processes[name]

    def describe(self) -> str:
        """Return every process's state and output tail."""
        return "\n\n".join(process.describe() for process in self.processes.values())

    async def stop_all(self, stop_timeout_s: float = STOP_SECONDS) -> dict[str, int]:
        """Stop every running process with SIGTERM; return the exit codes by name."""
        codes: dict[str, int] = {}
        running = [p for p in self.processes.values() if p.runs and p.returncode is None]
        for process in running:
            process.send(signal.SIGTERM)
        # One SIGTERM each, as an orchestrator sends it; then wait (SIGKILL after the timeout).
        for process in running:
            codes[process.name] = await process.stop(None, stop_timeout_s)
        return codes

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop_all()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""

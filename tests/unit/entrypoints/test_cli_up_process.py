"""`trading-bot up` as a real process: serves /health and /metrics, stops cleanly on signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

COMMAND = [str(Path(sys.executable).with_name("trading-bot"))]
STARTUP_LIMIT_SECONDS = 30
STOP_LIMIT_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(**settings: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TRADING_")}
    return {**inherited, "TRADING_LOG__FORMAT": "json", **settings}


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 -- our own console script, fixed arguments
        [*COMMAND, "up"],
        cwd=tmp_path,
        env=clean_environment(TRADING_API__PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, url)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _wait_until_healthy(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"trading-bot up exited with {process.returncode}: {stderr}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"trading-bot up did not answer on {url} in time")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_up_when_running_serves_health_and_metrics_and_exits_0_on_a_signal(
    node: tuple[subprocess.Popen[str], str], stop_signal: signal.Signals
) -> None:
    process, url = node

    health = httpx.get(f"{url}/health", timeout=5)
    metrics = httpx.get(f"{url}/metrics", timeout=5)
    process.send_signal(stop_signal)
    stdout, stderr = process.communicate(timeout=STOP_LIMIT_SECONDS)

    body = health.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "storage": "ok",
        "bus": "ok",
        "broker": "ok",
    }
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "process_cpu_seconds_total" in metrics.text
    assert process.returncode == 0, stderr
    assert f"{url}/health" in stdout
    assert '"event": "node stopped"' in stderr


def test_up_keeps_a_clean_exit_when_sigterm_repeats_while_it_winds_down(
    node: tuple[subprocess.Popen[str], str],
) -> None:
    # An orchestrator, or an impatient script, may signal again before the process is gone.
    process, _ = node
    deadline = time.monotonic() + STOP_LIMIT_SECONDS
    signals_sent = 0
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(signal.SIGTERM)
        signals_sent += 1
        time.sleep(0.005)
    _, stderr = process.communicate(timeout=STOP_LIMIT_SECONDS)

    assert signals_sent > 1
    assert process.returncode == 0, stderr
    assert '"event": "node stopped"' in stderr


def test_up_when_the_port_is_taken_exits_2_with_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        result = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
            [*COMMAND, "up"],
            cwd=tmp_path,
            env=clean_environment(TRADING_API__PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=STARTUP_LIMIT_SECONDS,
            check=False,
        )

    # Start-up logs (the database migration) may come first; the error is the last line.
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in result.stderr


def test_up_when_a_setting_is_invalid_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
        [*COMMAND, "up"],
        cwd=tmp_path,
        env=clean_environment(TRADING_API__PORT="abc"),
        capture_output=True,
        text=True,
        timeout=STARTUP_LIMIT_SECONDS,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: TRADING_API__PORT: Input should be a valid integer, unable to parse string as an "
        "integer"
    ]

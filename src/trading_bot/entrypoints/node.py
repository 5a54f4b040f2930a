"""The node: runs named services and the API server in one event loop, and stops them gracefully.

A service that raises is logged and restarted with exponential backoff; one that keeps failing
(``RestartPolicy.max_restarts`` failures in a row) stops the whole node with a non-zero exit, so a
supervisor (docker, systemd) notices instead of the node limping on without it. SIGINT and
SIGTERM stop the node: services are cancelled, the API server drains, cleanups run, exit code 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from trading_bot.core.errors import ConfigurationError, TradingBotError
from trading_bot.core.ports import Clock, Metrics
from trading_bot.entrypoints.logging import bind_service

ServiceFactory = Callable[[], Awaitable[None]]
"""Start one run of a service; the awaitable runs until cancelled (each restart calls it anew)."""

Cleanup = Callable[[], Awaitable[None]]
"""Release a resource (a connection pool, the bus) once every service has stopped."""

logger = logging.getLogger(__name__)


class ServiceFailedError(TradingBotError):
    """A service kept failing (or the API server could not start); the node stopped."""


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """How a failing service is restarted."""

    initial_delay_seconds: float = 1.0
    """Wait before the first restart."""
    multiplier: float = 2.0
    """Each further failure in a row multiplies the wait by this."""
    max_delay_seconds: float = 60.0
    """The wait never exceeds this."""
    max_restarts: int = 5
    """Failures in a row tolerated; one more stops the node."""
    healthy_after_seconds: float = 300.0
    """A run that lasted this long before failing starts the count afresh."""

    def delay(self, failures: int) -> float:
        """Return the wait before restarting after the ``failures``-th failure in a row."""
        return min(
            self.max_delay_seconds, self.initial_delay_seconds * self.multiplier ** (failures - 1)
        )


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the node owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Node:
    """Services plus the API server, supervised in one ``asyncio.TaskGroup``.

    Each service task has its name bound to its log lines; failures are counted in the
    ``service_failures`` metric (label ``service``). Backoff waits use the injected clock.
    """

    def __init__(
        self,
        services: Mapping[str, ServiceFactory],
        *,
        clock: Clock,
        app: ASGIApp | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        restart: RestartPolicy | None = None,
        cleanups: Sequence[Cleanup] = (),
        metrics: Metrics | None = None,
        stop_timeout_seconds: float = 5.0,
    ) -> None:
        self._services = dict(services)
        self._clock = clock
        self._app = app
        self._host = host
        self._port = port
        self._restart = restart or RestartPolicy()
        self._cleanups = list(cleanups)
        self._metrics = metrics
        self._stop_timeout = stop_timeout_seconds
        self._stopping: asyncio.Event | None = None
        self._url: str | None = None
        self._failures: list[str] = []

    @property
    def url(self) -> str | None:
        """Return the API's base URL once the node listens (the real port when 0 was asked)."""
        return self._url

    @property
    def service_names(self) -> list[str]:
        """Return the names of the supervised services."""
        return list(self._services)

    def stop(self) -> None:
        """Ask the node to stop gracefully (what SIGINT and SIGTERM do)."""
        if self._stopping is not None and not self._stopping.is_set():
            logger.info("node stopping")
            self._stopping.set()

    async def run(self, on_ready: Callable[[Node], None] | None = None) -> None:
        """Run until ``stop()`` or a signal; call ``on_ready`` once the API listens.

        Raise ``ConfigurationError`` when the API cannot listen and ``ServiceFailedError`` when
        a service exhausted its restarts.
        """
        self._stopping = asyncio.Event()
        self._failures = []
        server = self._listen(self._app) if self._app is not None else None
        if on_ready is not None:
            on_ready(self)
        with self._signals_handled():
            try:
                async with asyncio.TaskGroup() as group:
                    supervisors = [
                        group.create_task(self._supervise(name, factory), name=name)
                        for name, factory in self._services.items()
                    ]
                    serving = group.create_task(self._serve(*server)) if server else None
                    group.create_task(
                        self._stop_when_asked(self._stopping, supervisors, server, serving)
                    )
            finally:
                if server is not None:
                    server[1].close()
                await self._run_cleanups()
        if self._failures:
            raise ServiceFailedError(f"node stopped: {'; '.join(self._failures)}")
        logger.info("node stopped")

    def _listen(self, app: ASGIApp) -> tuple[_EmbeddedServer, socket.socket]:
        try:
            sock = socket.create_server((self._host, self._port))
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConfigurationError(
                f"cannot listen on {self._host}:{self._port}: {reason}"
            ) from exc
        config = uvicorn.Config(
            app,
            log_config=None,  # our logging configuration handles uvicorn's loggers
            lifespan="on",
            timeout_graceful_shutdown=max(1, int(self._stop_timeout) - 1),
        )
        host, port = sock.getsockname()[:2]
        self._url = f"http://{host}:{port}"
        return _EmbeddedServer(config), sock

    async def _serve(self, server: _EmbeddedServer, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit:
            # uvicorn exits the process when the app's startup fails; stop the node instead.
            self._failures.append("the API server could not start")
            logger.error("the API server could not start")
        self.stop()

    async def _supervise(self, name: str, factory: ServiceFactory) -> None:
        bind_service(name)
        failures = 0
        while True:
            started = self._clock.now()
            logger.info("service starting")
            try:
                await factory()
            except Exception:
                ran = (self._clock.now() - started).total_seconds()
                failures = 1 if ran >= self._restart.healthy_after_seconds else failures + 1
                if self._metrics is not None:
                    self._metrics.increment("service_failures", service=name)
                if failures > self._restart.max_restarts:
                    logger.exception("service failed too often; stopping the node")
                    self._failures.append(f"{name} kept failing")
                    self.stop()
                    return
                delay = self._restart.delay(failures)
                logger.exception(
                    "service failed; restarting",
                    extra={"failures": failures, "retry_in_seconds": delay},
                )
            else:
                logger.info("service finished")
                return
            await self._clock.sleep(delay)

    async def _stop_when_asked(
        self,
        stopping: asyncio.Event,
        supervisors: list[asyncio.Task[None]],
        server: tuple[_EmbeddedServer, socket.socket] | None,
        serving: asyncio.Task[None] | None,
    ) -> None:
        await stopping.wait()
        for task in supervisors:
            task.cancel()
        if server is None or serving is None:
            return
        uvicorn_server = server[0]
        uvicorn_server.should_exit = True
        _, pending = await asyncio.wait([serving], timeout=self._stop_timeout)
        if pending:
            logger.warning("the API server did not stop in time; closing it")
            uvicorn_server.force_exit = True
            serving.cancel()

    async def _run_cleanups(self) -> None:
        for cleanup in reversed(self._cleanups):
            try:
                async with asyncio.timeout(self._stop_timeout):
                    await cleanup()
            except Exception:
                logger.exception("cleanup failed")

    @contextlib.contextmanager
    def _signals_handled(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        terminated = False

        def stop_on(sig: signal.Signals) -> None:
            nonlocal terminated
            terminated = terminated or sig is signal.SIGTERM
            self.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop_on, sig)
            except (NotImplementedError, RuntimeError):
                continue  # not the main thread (tests) or no signals on this platform
            installed.append(sig)
        try:
            yield
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            if terminated:
                # The process is going down on a SIGTERM: a repeated one while it winds down
                # (closing the loop, joining threads, finalizing the interpreter, which resets
                # Python-level handlers) must not turn a clean stop into a kill. Only a SIGTERM
                # stop does this, so nothing started later inherits the ignored signal. A second
                # Ctrl+C still interrupts a shutdown that hangs.
                signal.signal(signal.SIGTERM, signal.SIG_IGN)

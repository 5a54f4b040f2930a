"""Services built by the composition root and run as tasks of the test's event loop.

The same ``build_ports`` and ``build_services`` as `trading-bot service NAME`, without the
process around them: integration tests drive the real adapters (Redis Streams, PostgreSQL, the
local Alpaca and feed servers) and read the effects from storage::

    async with running_services(settings, [TRADE_EXECUTOR, LEARNING_ENGINE]) as ports:
        await ports.bus.publish(SignalGenerated(...))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from trading_bot.core.ports import Metrics
from trading_bot.entrypoints.container import Ports, build_ports, build_services, prepare_storage
from trading_bot.entrypoints.settings import Settings
from trading_bot.testing.metrics import RecordingMetrics


class _GivenSettings(Settings):
    """Settings read from the constructor's arguments only."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def settings_for_test(values: Mapping[str, Any]) -> Settings:
    """Return settings from ``values`` alone: no ``.env`` file, no ``TRADING_*`` variable.

    Any: nested sections are given as plain mappings of mixed value types.
    """
    return _GivenSettings(**values)


@contextlib.asynccontextmanager
async def running_services(
    settings: Settings, names: Collection[str], *, metrics: Metrics | None = None
) -> AsyncIterator[Ports]:
    """Build the ports and the named trading services, seed the strategies, and run them until
    the block ends; a service that fails makes the block fail with its error."""
    ports = await build_ports(settings, services=names, metrics=metrics or RecordingMetrics())
    tasks: list[asyncio.Task[None]] = []
    try:
        await prepare_storage(ports)
        services = build_services(settings, ports, only=names)
        tasks = [asyncio.create_task(s.run(), name=name) for name, s in services.items()]
        if ports.clock_follower is not None:
            tasks.append(asyncio.create_task(ports.clock_follower.run(), name="demo-clock"))
        yield ports
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise AssertionError(f"{task.get_name()} failed") from task.exception()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await ports.close()

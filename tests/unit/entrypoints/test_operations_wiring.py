"""The composition root's operations: brackets on with Alpaca only, heartbeats in every process,
and the journal, health watch and notifications where the trade-executor runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from trading_bot.adapters.storage import upgrade_database
from trading_bot.entrypoints.container import (
    Ports,
    build_ports,
    build_services,
    effective_risk,
)
from trading_bot.entrypoints.operations import build_operations
from trading_bot.entrypoints.settings import Settings, load_settings
from trading_bot.services.execution import TradeExecutorService
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.storage import sqlite_url

pytestmark = pytest.mark.usefixtures("clean_env")


def alpaca_settings(**changes: object) -> Settings:
    return Settings.model_validate(
        {
            "broker": {"kind": "alpaca"},
            "alpaca": {"api_key": SecretStr("k"), "secret_key": SecretStr("s")},
            **changes,
        }
    )


def test_effective_risk_turns_brackets_on_with_alpaca_and_off_with_paper() -> None:
    assert effective_risk(alpaca_settings()).bracket_orders is True
    assert effective_risk(Settings()).bracket_orders is False
    chosen = alpaca_settings(risk={"bracket_orders": False})
    assert effective_risk(chosen).bracket_orders is False


def test_notify_settings_from_the_environment_turn_a_channel_on_with_its_kinds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADING_NOTIFY__WEBHOOK__URL", "https://hooks.example.com/ops")
    monkeypatch.setenv("TRADING_NOTIFY__WEBHOOK__SECRET", "shared")
    monkeypatch.setenv("TRADING_NOTIFY__WEBHOOK__EVENTS", "kill_switch, pause_resume")

    settings = load_settings(None)

    assert settings.notify.webhook is not None
    assert [kind.value for kind in settings.notify.webhook.events] == [
        "kill_switch",
        "pause_resume",
    ]
    assert settings.notify.discord is None


@pytest.fixture
async def ports(tmp_path: Path) -> AsyncIterator[Ports]:
    url = sqlite_url(tmp_path / "bot.db")
    await upgrade_database(url)
    settings = Settings.model_validate(
        {
            "storage": {"url": url},
            "notify": {
                "webhook": {"url": "http://127.0.0.1:9/hook", "secret": SecretStr("s")},
            },
        }
    )
    built = await build_ports(
        settings, services=["trade-executor", "api-gateway"], metrics=RecordingMetrics()
    )
    yield built
    await built.close()


async def test_operations_where_the_executor_runs_add_the_watch_and_notifications(
    ports: Ports,
) -> None:
    tasks = build_operations(ports.settings, ports, ["trade-executor", "api-gateway"])
    services = build_services(ports.settings, ports, only=["trade-executor"])

    assert set(tasks) == {"heartbeat", "health-watch", "notify", "notifier"}
    assert ports.journal is not None
    assert ports.health_watch is not None
    executor = services["trade-executor"]
    assert isinstance(executor, TradeExecutorService)


async def test_operations_elsewhere_only_send_heartbeats(ports: Ports) -> None:
    tasks = build_operations(ports.settings, ports, ["api-gateway"])

    assert set(tasks) == {"heartbeat"}
    assert ports.health_watch is None

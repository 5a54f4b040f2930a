"""docker-compose.yml and the Prometheus config describe the production topology the CLI runs:
six services on one image, each `trading-bot service NAME`, healthy before what depends on them,
secrets required from .env, Redis persisted, every /metrics scraped.

Docker has no engine on this machine, so the file is checked by reading it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no type information

from trading_bot.entrypoints.cli_config import iter_fields
from trading_bot.entrypoints.service_names import API_GATEWAY, SERVICE_NAMES
from trading_bot.entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
REQUIRED = re.compile(r"\$\{(?P<name>[A-Z_]+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    # Any: a compose file is free-form YAML.
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text("utf-8"))
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    # Any: a compose file is free-form YAML.
    found: dict[str, Any] = compose["services"]
    return found


def port_of(service: dict[str, Any]) -> str:
    """Return the port a service answers /health and /metrics on, as its settings say."""
    environment = service["environment"]
    return str(environment.get("TRADING_API__PORT") or environment["TRADING_TELEMETRY__PORT"])


def test_compose_runs_each_of_the_six_services_with_the_cli_name_on_one_image(
    services: dict[str, Any],
) -> None:
    commands = {name: services[name]["command"] for name in SERVICE_NAMES}
    images = {services[name]["image"] for name in SERVICE_NAMES}

    assert commands == {name: ["service", name] for name in SERVICE_NAMES}
    assert images == {"trading-bot:latest"}
    assert services["migrate"]["command"] == ["db", "upgrade"]


def test_compose_checks_each_service_health_on_the_port_it_serves(
    services: dict[str, Any],
) -> None:
    for name in SERVICE_NAMES:
        service = services[name]
        check = service["healthcheck"]
        assert "/health" in " ".join(check["test"]), name
        assert service["environment"]["HEALTH_PORT"] == port_of(service), name


def test_compose_starts_services_only_after_migrations_and_a_healthy_redis(
    services: dict[str, Any],
) -> None:
    for name in SERVICE_NAMES:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name
    assert services["migrate"]["depends_on"] == {"timescaledb": {"condition": "service_healthy"}}
    assert services["dashboard"]["depends_on"] == {"api-gateway": {"condition": "service_healthy"}}
    for dependency in ("timescaledb", "redis"):
        assert services[dependency]["healthcheck"]["test"], dependency


def test_compose_requires_its_secrets_from_the_env_file_and_never_defaults_them(
    services: dict[str, Any],
) -> None:
    text = COMPOSE.read_text("utf-8")
    required = {match["name"] for match in REQUIRED.finditer(text)}

    assert required == {"GRAFANA_ADMIN_PASSWORD", "POSTGRES_PASSWORD", "TRADING_API__JWT_SECRET"}
    for name in SERVICE_NAMES:
        assert services[name]["env_file"] == ".env", name
        environment = services[name]["environment"]
        assert REQUIRED.fullmatch(environment["TRADING_API__JWT_SECRET"]), name
        assert "${POSTGRES_PASSWORD:?" in environment["TRADING_STORAGE__URL"], name
    assert not re.search(r"\$\{(POSTGRES_PASSWORD|TRADING_API__JWT_SECRET):-", text)


def test_compose_sets_only_variables_the_settings_know(services: dict[str, Any]) -> None:
    known = {variable for variable, *_ in iter_fields(Settings.model_construct())}

    for name in SERVICE_NAMES:
        unknown = {v for v in services[name]["environment"] if v.startswith("TRADING_")} - known
        assert not unknown, f"{name}: {sorted(unknown)}"


def test_compose_runs_the_topology_settings_require(services: dict[str, Any]) -> None:
    for name in SERVICE_NAMES:
        environment = services[name]["environment"]
        assert environment["TRADING_BUS__KIND"] == "redis", name
        assert environment["TRADING_STORAGE__URL"].startswith("postgresql+asyncpg://"), name
        host = "TRADING_API__HOST" if name == API_GATEWAY else "TRADING_TELEMETRY__HOST"
        assert environment[host] == "0.0.0.0", name  # noqa: S104 -- reachable on the compose network


def test_compose_persists_redis_with_an_append_only_file(services: dict[str, Any]) -> None:
    redis = services["redis"]
    command = redis["command"]

    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_prometheus_scrapes_every_service_on_its_metrics_port(services: dict[str, Any]) -> None:
    config = yaml.safe_load(PROMETHEUS.read_text("utf-8"))
    targets = {
        target
        for job in config["scrape_configs"]
        if job.get("metrics_path", "/metrics") == "/metrics"
        for group in job["static_configs"]
        for target in group["targets"]
    }

    assert targets == {f"{name}:{port_of(services[name])}" for name in SERVICE_NAMES}
    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]

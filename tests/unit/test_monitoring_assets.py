"""The monitoring assets speak the code's language: every metric the Prometheus alert rules and
the Grafana dashboard name is one the code exports, the rules are complete, and docker compose
provisions Grafana with them."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no type information

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "trading_bot"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "trading-bot.json"
COMPOSE = ROOT / "docker-compose.yml"

BUILT_IN = {"up"}
"""Series Prometheus makes itself, not the code."""
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "irate", "delta", "by", "without",
    "histogram_quantile", "clamp_min", "clamp_max", "and", "or", "unless", "on", "ignoring",
    "group_left", "group_right", "abs", "topk", "bottomk", "offset", "bool", "le",
}  # fmt: skip
_SUFFIXES = {
    "increment": ("_total",),
    "observe": ("_bucket", "_sum", "_count"),
    "set_gauge": ("",),
}


def exported_metrics() -> set[str]:
    """Return every series name the code's Metrics and Gauges calls export to Prometheus.

    A metric is named by a string literal or a module-level constant at the call; a counter is
    exported with ``_total``, a histogram with ``_bucket``, ``_sum`` and ``_count``.
    """
    trees = [ast.parse(path.read_text("utf-8")) for path in sorted(SOURCE.rglob("*.py"))]
    constants = dict(_string_constants(trees))
    exported: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            suffixes = _SUFFIXES.get(node.func.attr)
            if suffixes is None or not node.args:
                continue
            first = node.args[0]
            name = (
                first.value
                if isinstance(first, ast.Constant) and isinstance(first.value, str)
                else constants.get(first.id)
                if isinstance(first, ast.Name)
                else None
            )
            if name is not None:
                exported.update(name + suffix for suffix in suffixes)
    return exported


def _string_constants(trees: list[ast.Module]) -> Iterator[tuple[str, str]]:
    for tree in trees:
        for node in tree.body:
            target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                yield target.id, value.value


def referenced_metrics(expression: str) -> set[str]:
    """Return the series names a PromQL expression reads."""
    text = re.sub(r"\{[^}]*\}", " ", expression)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", text)  # grouping labels
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = re.sub(r'"[^"]*"', " ", text)
    words = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", text))
    return {word for word in words if word not in PROMQL_WORDS and not word[0].isdigit()}


def alert_rules() -> list[dict[str, Any]]:
    """Return the alert rules. Any: YAML documents."""
    document = yaml.safe_load(ALERTS.read_text("utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    document = json.loads(DASHBOARD.read_text("utf-8"))
    return [target["expr"] for panel in document["panels"] for target in panel.get("targets", [])]


def test_exported_metrics_when_scanned_include_the_operations_ones() -> None:
    exported = exported_metrics()

    assert {
        "trading_auto_paused",
        "service_heartbeat_age_seconds",
        "risk_rejections_total",
        "order_fill_latency_bucket",
        "bus_dead_letters_total",
    } <= exported


@pytest.mark.parametrize(
    ("source", "expressions"),
    [
        ("alerts.yml", [rule["expr"] for rule in alert_rules()]),
        ("trading-bot.json", dashboard_expressions()),
    ],
)
def test_monitoring_assets_name_only_metrics_the_code_exports(
    source: str, expressions: list[str]
) -> None:
    known = exported_metrics() | BUILT_IN

    unknown = {name for expr in expressions for name in referenced_metrics(expr)} - known

    assert expressions
    assert unknown == set(), f"{source} names metrics nothing exports: {sorted(unknown)}"


def test_referenced_metrics_ignore_functions_labels_and_ranges() -> None:
    expression = 'sum by (le) (rate(order_fill_latency_bucket{side="BUY"}[5m])) > 0.5'

    assert referenced_metrics(expression) == {"order_fill_latency_bucket"}


def test_alert_rules_cover_pauses_heartbeats_rejections_latency_and_dead_letters() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules()}

    assert {
        "TradingPausedAutomatically",
        "HeartbeatLost",
        "RiskRejectionRateHigh",
        "FillLatencyP99High",
        "DeadLettersGrowing",
    } <= set(rules)
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"], name


def test_compose_provisions_grafana_and_mounts_the_alert_rules() -> None:
    services = yaml.safe_load(COMPOSE.read_text("utf-8"))["services"]
    prometheus = yaml.safe_load((ALERTS.parent / "prometheus.yml").read_text("utf-8"))

    grafana_volumes = services["grafana"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana_volumes
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana_volumes
    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    assert "/etc/prometheus/alerts.yml" in prometheus["rule_files"]
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/dashboards.yml").read_text("utf-8")
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"

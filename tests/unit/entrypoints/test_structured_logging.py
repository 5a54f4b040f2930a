"""Logging: one JSON object per line in production, service-named, timestamped, secret-free."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from pydantic import SecretStr

from trading_bot.entrypoints.logging import (
    bind_service,
    configure_logging,
    get_logger,
    mask_text,
    wants_json,
)
from trading_bot.entrypoints.settings import LogSettings


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


@pytest.mark.usefixtures("restore_logging")
def test_structlog_line_when_logged_in_json_carries_service_timestamp_and_level() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json"), service="news-fetcher", stream=out)

    get_logger("trading_bot.services.news").info("articles fetched", count=3)

    [line] = json_lines(out)
    assert line["event"] == "articles fetched"
    assert line["count"] == 3
    assert line["service"] == "news-fetcher"
    assert line["level"] == "info"
    assert str(line["timestamp"]).endswith("Z")


@pytest.mark.usefixtures("restore_logging")
def test_stdlib_logger_when_used_by_an_adapter_comes_out_the_same_way() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json"), service="trade-executor", stream=out)

    logging.getLogger("trading_bot.adapters.bus").warning(
        "dead-lettered %s", "1-0", extra={"stream": "signals:generated"}
    )

    [line] = json_lines(out)
    assert line["event"] == "dead-lettered 1-0"
    assert line["stream"] == "signals:generated"
    assert line["service"] == "trade-executor"
    assert line["logger"] == "trading_bot.adapters.bus"
    assert "timestamp" in line


@pytest.mark.usefixtures("restore_logging")
def test_log_line_when_below_the_configured_level_is_dropped() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json", level="WARNING"), service="svc", stream=out)

    get_logger().info("chatter")
    logging.getLogger("library").info("more chatter")
    get_logger().warning("worth reading")

    assert [line["event"] for line in json_lines(out)] == ["worth reading"]


@pytest.mark.usefixtures("restore_logging")
def test_log_level_when_one_logger_is_changed_at_run_time_applies_to_the_next_call() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json", level="ERROR"), service="svc", stream=out)
    log = get_logger("tests.level_changed_at_run_time")  # a logger no other test uses

    log.info("before")
    logging.getLogger("tests.level_changed_at_run_time").setLevel(logging.DEBUG)
    log.debug("after", detail=1)
    log.log(logging.INFO, "by number")
    get_logger("tests.another_logger").info("another logger, still at ERROR")

    lines = json_lines(out)
    assert [line["event"] for line in lines] == ["after", "by number"]
    assert lines[0]["detail"] == 1


@pytest.mark.usefixtures("restore_logging")
def test_exception_when_logged_at_the_error_level_keeps_its_traceback() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json", level="ERROR"), service="svc", stream=out)

    try:
        raise RuntimeError("broker down")
    except RuntimeError:
        get_logger().exception("order failed")

    [line] = json_lines(out)
    assert line["event"] == "order failed"
    assert line["level"] == "error"
    assert "broker down" in json.dumps(line["exception"])


@pytest.mark.usefixtures("restore_logging")
def test_secrets_when_logged_in_any_shape_are_masked() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json"), service="api-gateway", stream=out)

    get_logger().info(
        "login",
        jwt_secret=SecretStr("sup3r"),
        refresh_token="tok-123",
        password="hunter2",
        headers={"Authorization": "Bearer eyJabc.def", "Accept": "application/json"},
        dsn="postgresql+asyncpg://bot:pa55@db:5432/trading",
        note="client sent Bearer eyJzzz.yyy",
        values=[SecretStr("in-a-list")],
    )
    logging.getLogger("httpx").info("GET with %s", "Basic dXNlcjpwYXNz")

    text = out.getvalue()
    for secret in ("sup3r", "tok-123", "hunter2", "eyJabc", "pa55", "eyJzzz", "in-a-list"):
        assert secret not in text
    assert "dXNlcjpwYXNz" not in text
    [login, _] = json_lines(out)
    assert login["headers"] == {"Authorization": "**********", "Accept": "application/json"}
    assert login["dsn"] == "postgresql+asyncpg://bot:**********@db:5432/trading"


@pytest.mark.usefixtures("restore_logging")
def test_exception_when_logged_shows_no_local_variables() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json"), service="svc", stream=out)

    def connect(api_key: str) -> None:
        raise ConnectionError("refused")

    try:
        connect("AKIA-very-secret")
    except ConnectionError:
        logging.getLogger("adapter").exception("connect failed")

    [line] = json_lines(out)
    assert "AKIA-very-secret" not in out.getvalue()
    assert "ConnectionError" in json.dumps(line["exception"])


@pytest.mark.usefixtures("restore_logging")
def test_console_format_when_asked_renders_readable_lines() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="console"), service="node", stream=out)

    get_logger("x").info("node started", port=8000, token="abc")

    text = out.getvalue()
    assert "node started" in text
    assert "service=node" in text
    assert "port=8000" in text
    assert "abc" not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_when_called_twice_does_not_duplicate_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(LogSettings(format="json"), service="svc", stream=first)
    configure_logging(LogSettings(format="json"), service="svc", stream=second)

    get_logger().info("once")

    assert first.getvalue() == ""
    assert len(json_lines(second)) == 1


@pytest.mark.usefixtures("restore_logging")
async def test_tasks_when_bound_to_different_services_log_their_own_names() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json"), service="node", stream=out)

    async def service(name: str) -> None:
        bind_service(name)
        await asyncio.sleep(0)
        logging.getLogger("svc").info("tick")

    await asyncio.gather(service("news-fetcher"), service("trade-executor"))
    get_logger().info("node line")

    services = sorted(str(line["service"]) for line in json_lines(out))
    assert services == ["news-fetcher", "node", "trade-executor"]


@pytest.mark.parametrize(
    ("fmt", "production", "tty", "expected"),
    [
        ("auto", False, True, False),
        ("auto", False, False, True),
        ("auto", True, True, True),
        ("json", False, True, True),
        ("console", True, False, False),
    ],
)
def test_wants_json_when_format_is_auto_follows_topology_and_terminal(
    fmt: str, production: bool, tty: bool, expected: bool
) -> None:
    stream = _Terminal() if tty else io.StringIO()

    assert wants_json(LogSettings(format=fmt), production=production, stream=stream) is expected


def test_mask_text_when_nothing_secret_leaves_text_alone() -> None:
    text = "GET https://example.com:443/path?q=1 took 3 ms"

    assert mask_text(text) == text

"""`trading-bot user`: invitation links and API tokens from the command line."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.entrypoints.cli import app as cli
from trading_bot.testing.api import (
    bearer,
    gateway_app,
    gateway_container,
    running,
    sign_up,
)
from trading_bot.testing.storage import migrated_sqlite
from trading_bot.testing.webauthn import SoftwareAuthenticator

TOKEN = re.compile(r"tb[ik]_[A-Za-z0-9_\-]{20,}")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = asyncio.run(migrated_sqlite(tmp_path))
    monkeypatch.setenv("TRADING_STORAGE__URL", url)
    monkeypatch.setenv("TRADING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRADING_API__ORIGIN", "http://localhost:8000")
    return url


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["--env-file", "/nonexistent", *args])
    assert result.exit_code == 0, result.output
    return result.output


async def _sign_up_with(url: str, invitation: str) -> str:
    clock = WallClock()
    app = gateway_app(gateway_container(url, clock=clock, bus=MemoryBus(clock=clock)))
    async with running(app) as client:
        session = await sign_up(client, SoftwareAuthenticator(), invitation, "alice")
        return str(session["access_token"])


def test_user_invite_when_no_account_exists_prints_a_bootstrap_link_that_signs_up(
    database: str,
) -> None:
    output = _run("user", "invite")

    assert "bootstrap" in output
    assert "http://localhost:8000/signup?token=" in output
    token = TOKEN.search(output)
    assert token is not None
    assert asyncio.run(_sign_up_with(database, token[0])).count(".") == 2


def test_user_token_when_minted_is_printed_once_and_works_with_its_scope(database: str) -> None:
    invite = TOKEN.search(_run("user", "invite"))
    assert invite is not None
    asyncio.run(_sign_up_with(database, invite[0]))

    output = _run("user", "token", "--name", "grafana", "--scope", "read", "--ttl", "30d")

    minted = TOKEN.search(output)
    assert minted is not None
    assert minted[0].startswith("tbk_")
    listing = _run("user", "tokens")
    assert "grafana" in listing
    assert minted[0] not in listing

    async def use(token: str) -> tuple[int, int]:
        clock = WallClock()
        app = gateway_app(gateway_container(database, clock=clock, bus=MemoryBus(clock=clock)))
        async with running(app) as client:
            read = await client.get("/api/portfolio", headers=bearer(token))
            control = await client.post("/api/controls/pause", headers=bearer(token))
            return read.status_code, control.status_code

    assert asyncio.run(use(minted[0])) == (200, 403)


def test_user_revoke_token_when_given_an_id_stops_the_token(database: str) -> None:
    invite = TOKEN.search(_run("user", "invite"))
    assert invite is not None
    asyncio.run(_sign_up_with(database, invite[0]))
    output = _run("user", "token", "--name", "cron", "--scope", "control", "--ttl", "never")
    token_id = re.search(r"API token ([0-9a-f\-]{36})", output)
    assert token_id is not None

    revoked = _run("user", "revoke-token", token_id[1])

    assert f"revoked {token_id[1]}" in revoked
    again = CliRunner().invoke(
        cli, ["--env-file", "/nonexistent", "user", "revoke-token", token_id[1]]
    )
    assert again.exit_code == 1
    assert "no live token" in again.output


def test_user_token_when_no_account_exists_fails_with_a_clear_message(database: str) -> None:
    result = CliRunner().invoke(cli, ["--env-file", "/nonexistent", "user", "token", "--name", "x"])

    assert result.exit_code == 1
    assert "no account yet" in result.output


def test_user_token_when_the_lifetime_is_malformed_is_refused(database: str) -> None:
    result = CliRunner().invoke(
        cli, ["--env-file", "/nonexistent", "user", "token", "--name", "x", "--ttl", "soon"]
    )

    assert result.exit_code == 2
    assert "30d" in result.output

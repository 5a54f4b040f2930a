"""The `trading-bot` command line: settings errors, `config`, `version` and `db upgrade`."""

from __future__ import annotations

import json
import sqlite3
from importlib.metadata import version
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from trading_bot.entrypoints.cli import app
from trading_bot.entrypoints.cli_config import render_env_example
from trading_bot.entrypoints.settings import Settings, load_settings

REPOSITORY = Path(__file__).resolve().parents[3]
SECRET = "s3cr3t-0123456789-abcdefghij-0123456789"

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env, and relative paths land in tmp_path
    return CliRunner()


@pytest.mark.parametrize(
    "command",
    [["version"], ["config", "show"], ["config", "env-example"], ["up"], ["db", "upgrade"]],
)
@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "TRADING_API__PORT",
            "abc",
            "error: TRADING_API__PORT: Input should be a valid integer, unable to parse string "
            "as an integer",
        ),
        ("TRADING_MODE", "yolo", "error: TRADING_MODE: Input should be 'demo', 'paper' or 'live'"),
    ],
)
def test_any_command_when_a_setting_is_invalid_exits_2_with_one_line_naming_it(
    runner: CliRunner, command: list[str], variable: str, value: str, line: str
) -> None:
    result = runner.invoke(app, command, env={variable: value})

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


def test_any_command_when_production_lacks_a_jwt_secret_exits_2_naming_it(
    runner: CliRunner,
) -> None:
    result = runner.invoke(app, ["config", "show"], env={"TRADING_BUS__KIND": "redis"})

    assert result.exit_code == 2
    assert result.stderr.startswith("error: TRADING_API__JWT_SECRET: required with the redis bus")
    assert len(result.stderr.splitlines()) == 1


def test_config_show_when_a_secret_is_set_masks_it(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["config", "show"],
        env={
            "TRADING_API__JWT_SECRET": SECRET,
            "TRADING_ALPACA__API_KEY": "AKID-visible-nowhere",
            "TRADING_STORAGE__URL": "postgresql+asyncpg://bot:pa55word@db:5432/trading",
            "TRADING_API__PORT": "9100",
        },
    )

    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["api"]["jwt_secret"] == "**********"
    assert shown["alpaca"]["api_key"] == "**********"
    assert shown["storage"]["url"] == "postgresql+asyncpg://bot:**********@db:5432/trading"
    assert shown["api"]["port"] == 9100
    for secret in (SECRET, "AKID-visible-nowhere", "pa55word"):
        assert secret not in result.stdout


def test_config_show_when_asked_for_env_format_prints_variables_with_secrets_masked(
    runner: CliRunner,
) -> None:
    result = runner.invoke(
        app, ["config", "show", "--format", "env"], env={"TRADING_API__JWT_SECRET": SECRET}
    )

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "TRADING_API__JWT_SECRET=**********" in lines
    assert "TRADING_MODE=demo" in lines
    assert SECRET not in result.stdout


def test_config_show_when_an_env_file_is_given_reads_it(runner: CliRunner, tmp_path: Path) -> None:
    env_file = tmp_path / "staging.env"
    env_file.write_text("TRADING_API__PORT=8123\n", encoding="utf-8")

    result = runner.invoke(app, ["--env-file", str(env_file), "config", "show"])

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["api"]["port"] == 8123


def test_version_when_asked_prints_the_installed_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["version"])

    assert result.exit_code == 0
    assert result.stdout.strip() == f"trading-bot {version('trading-bot')}"


def test_env_example_when_committed_matches_the_settings_model() -> None:
    committed = (REPOSITORY / ".env.example").read_text(encoding="utf-8")

    assert committed == render_env_example(), (
        "regenerate it: trading-bot config env-example > .env.example"
    )


def test_env_example_when_printed_documents_every_setting(runner: CliRunner) -> None:
    defaults = Settings.model_validate({})
    expected = []
    for name in Settings.model_fields:
        section = getattr(defaults, name)
        if not isinstance(section, BaseModel):
            expected.append(f"TRADING_{name.upper()}")
            continue
        expected += [
            f"TRADING_{name.upper()}__{field.upper()}"
            for field in type(section).model_fields
            if not isinstance(getattr(section, field), BaseModel)
        ]

    result = runner.invoke(app, ["config", "env-example"])

    assert result.exit_code == 0
    assert [name for name in expected if f"# {name}=" not in result.stdout] == []


def test_env_example_when_copied_to_dotenv_changes_nothing(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(render_env_example(), encoding="utf-8")

    assert load_settings(dotenv) == Settings.model_validate({})


def test_db_upgrade_when_storage_is_a_new_sqlite_file_creates_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    database = tmp_path / "state" / "bot.db"

    result = runner.invoke(
        app, ["db", "upgrade"], env={"TRADING_STORAGE__URL": f"sqlite+aiosqlite:///{database}"}
    )

    assert result.exit_code == 0, result.stderr
    assert "is up to date" in result.stdout
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" in tables


def test_cli_when_run_without_a_command_shows_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, [])

    for command in ("up", "config", "db", "version"):
        assert command in result.stdout

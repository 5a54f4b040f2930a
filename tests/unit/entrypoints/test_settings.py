"""Settings: defaults, environment overrides, and refusal of invalid or unsafe values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.settings import (
    AlpacaSettings,
    ApiSettings,
    Mode,
    Settings,
    env_var_name,
    load_settings,
)

SECRET = "s3cr3t-0123456789-abcdefghij-0123456789"


@pytest.fixture
def env(clean_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return clean_env


def load(tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "absent.env")


def test_settings_when_nothing_is_set_use_the_embedded_defaults(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load(tmp_path)

    assert settings.mode is Mode.DEMO
    assert settings.data_dir == Path("data")
    assert settings.bus.kind == "memory"
    assert (settings.bus.claim_idle_ms, settings.bus.max_deliveries) == (30_000, 5)
    assert settings.bus.maxlen == 100_000
    assert settings.storage.url == "sqlite+aiosqlite:///./data/trading-bot.db"
    assert (settings.api.host, settings.api.port) == ("127.0.0.1", 8000)
    assert settings.api.jwt_secret is None
    assert (settings.api.access_token_minutes, settings.api.refresh_token_days) == (15, 7)
    assert settings.api.expected_origins == ["http://localhost:8000", "http://127.0.0.1:8000"]
    assert settings.alpaca.paper is True
    assert settings.alpaca.feed == "iex"
    assert not settings.production


def test_settings_when_nested_variables_are_set_override_their_section(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("TRADING_API__PORT", "9001")
    env.setenv("TRADING_BUS__MAX_DELIVERIES", "3")
    env.setenv("TRADING_LOG__LEVEL", "debug")
    env.setenv("TRADING_DATA_DIR", "/var/lib/trading-bot")

    settings = load(tmp_path)

    assert settings.api.port == 9001
    assert settings.bus.max_deliveries == 3
    assert settings.log.level == "DEBUG"
    assert settings.data_dir == Path("/var/lib/trading-bot")


@pytest.mark.parametrize(
    "value", ["http://a.example:1, https://b.example", '["http://a.example:1","https://b.example"]']
)
def test_list_setting_when_given_as_commas_or_json_reads_the_same(
    env: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    env.setenv("TRADING_API__CORS_ORIGINS", value)

    assert load(tmp_path).api.cors_origins == ("http://a.example:1", "https://b.example")


def test_settings_when_a_dotenv_file_exists_read_it_and_let_the_environment_win(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("TRADING_API__PORT=7000\nTRADING_API__HOST=0.0.0.0\n", encoding="utf-8")
    env.setenv("TRADING_API__PORT", "7001")

    settings = load_settings(dotenv)

    assert (settings.api.host, settings.api.port) == ("0.0.0.0", 7001)  # noqa: S104 -- a value


def test_settings_when_a_variable_is_empty_treat_it_as_unset(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("TRADING_API__JWT_SECRET", "")

    assert load(tmp_path).api.jwt_secret is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TRADING_API__PORT", "abc", "TRADING_API__PORT: Input should be a valid integer"),
        ("TRADING_API__PORT", "70000", "TRADING_API__PORT: Input should be less than or equal"),
        ("TRADING_MODE", "yolo", "TRADING_MODE: Input should be 'demo', 'paper' or 'live'"),
        ("TRADING_BUS__KIND", "kafka", "TRADING_BUS__KIND: Input should be 'memory' or 'redis'"),
        ("TRADING_LOG__FORMAT", "xml", "TRADING_LOG__FORMAT:"),
        ("TRADING_API__PROT", "8000", "TRADING_API__PROT: unknown setting"),
        ("TRADING_API__CORS_ORIGINS", "*", "TRADING_API__CORS_ORIGINS: list the origins"),
        ("TRADING_API__CORS_ORIGINS", "[bad", "TRADING_API__CORS_ORIGINS:"),
        ("TRADING_API__ORIGIN", "localhost:8000", "TRADING_API__ORIGIN: 'localhost:8000' must"),
        ("TRADING_API", "{bad json", "TRADING_API: cannot parse the value"),
        ("TRADING_ALPACA__FEED", "nyse", "TRADING_ALPACA__FEED:"),
        ("TRADING_API__JWT_SECRET", "short", "TRADING_API__JWT_SECRET: must be at least 32"),
    ],
)
def test_settings_when_a_value_is_invalid_refuse_it_in_one_line_naming_the_variable(
    env: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, message: str
) -> None:
    env.setenv(variable, value)

    with pytest.raises(ConfigurationError) as caught:
        load(tmp_path)

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"TRADING_BUS__KIND": "redis"}, "required with the redis bus"),
        ({"TRADING_MODE": "paper"}, "required in paper mode"),
        ({"TRADING_MODE": "live", "TRADING_ALPACA__PAPER": "false"}, "required in live mode"),
    ],
)
def test_production_settings_when_the_jwt_secret_is_missing_refuse_to_start(
    env: pytest.MonkeyPatch, tmp_path: Path, variables: dict[str, str], reason: str
) -> None:
    for name, value in variables.items():
        env.setenv(name, value)

    with pytest.raises(ConfigurationError, match=f"TRADING_API__JWT_SECRET: {reason}"):
        load(tmp_path)


def test_redis_settings_when_the_jwt_secret_is_set_are_accepted(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("TRADING_BUS__KIND", "redis")
    env.setenv("TRADING_API__JWT_SECRET", SECRET)

    settings = load(tmp_path)

    assert settings.production
    assert settings.api.jwt_secret is not None
    assert settings.api.jwt_secret.get_secret_value() == SECRET


def test_live_mode_when_alpaca_is_still_on_paper_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="TRADING_ALPACA__PAPER: set it to false"):
        Settings.model_validate(
            {"mode": "live", "api": {"jwt_secret": SECRET}, "alpaca": {"api_key": "k"}}
        )


def test_paper_mode_when_alpaca_is_set_to_live_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="TRADING_ALPACA__PAPER: must be true in paper mode"):
        Settings.model_validate(
            {"mode": "paper", "api": {"jwt_secret": SECRET}, "alpaca": {"paper": False}}
        )


def test_paper_mode_when_alpaca_keys_are_missing_names_the_missing_key() -> None:
    with pytest.raises(ValueError, match="TRADING_ALPACA__SECRET_KEY: required in paper mode"):
        Settings.model_validate(
            {"mode": "paper", "api": {"jwt_secret": SECRET}, "alpaca": {"api_key": "k"}}
        )


def test_paper_mode_when_complete_is_accepted() -> None:
    settings = Settings.model_validate(
        {
            "mode": "paper",
            "api": {"jwt_secret": SECRET},
            "alpaca": {"api_key": "key", "secret_key": "secret"},
        }
    )

    assert settings.mode is Mode.PAPER


def test_secrets_when_printed_or_dumped_are_masked() -> None:
    api = ApiSettings(jwt_secret=SecretStr(SECRET))
    alpaca = AlpacaSettings(api_key=SecretStr("AKID"), secret_key=SecretStr("hush"))

    shown = f"{api!r} {api} {alpaca!r} {alpaca.model_dump_json()} {api.model_dump(mode='json')}"

    assert SECRET not in shown
    assert "AKID" not in shown
    assert "hush" not in shown
    assert "**********" in shown


def test_sections_when_built_are_immutable() -> None:
    api = ApiSettings()

    with pytest.raises(ValueError, match="frozen"):
        api.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("loc", "variable"),
    [
        (("api", "port"), "TRADING_API__PORT"),
        (("mode",), "TRADING_MODE"),
        (("api", "cors_origins", 0), "TRADING_API__CORS_ORIGINS"),
        (("api", "nonsense"), "TRADING_API__NONSENSE"),
        ((), "TRADING_"),
    ],
)
def test_env_var_name_when_given_an_error_location_names_the_variable(
    loc: tuple[int | str, ...], variable: str
) -> None:
    assert env_var_name(loc) == variable

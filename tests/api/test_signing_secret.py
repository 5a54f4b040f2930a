"""The JWT signing key: configured in production, generated once and kept (0600) otherwise."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.api.auth.secrets import (
    SECRET_FILE_NAME,
    load_or_create_secret,
    signing_secret,
)
from trading_bot.entrypoints.settings import ApiSettings, Settings


def test_signing_secret_when_none_is_configured_is_generated_once_with_owner_only_access(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)

    first = signing_secret(settings)
    second = signing_secret(settings)

    path = tmp_path / SECRET_FILE_NAME
    assert first == second
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_signing_secret_when_configured_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    configured = "c" * 40
    settings = Settings(
        _env_file=None, data_dir=tmp_path, api=ApiSettings(jwt_secret=SecretStr(configured))
    )

    assert signing_secret(settings) == configured
    assert not (tmp_path / SECRET_FILE_NAME).exists()


def test_signing_secret_when_the_stored_key_is_too_short_is_refused(tmp_path: Path) -> None:
    path = tmp_path / SECRET_FILE_NAME
    path.write_text("short")

    with pytest.raises(ConfigurationError, match="shorter than 32"):
        load_or_create_secret(path)

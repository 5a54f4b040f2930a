"""Where the migrations are found: inside an installed package first, else the source checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from trading_bot.adapters.storage.migrate import alembic_config, migrations_directory
from trading_bot.core.errors import ConfigurationError


def _scripts(directory: Path) -> Path:
    (directory / "versions").mkdir(parents=True)
    (directory / "env.py").write_text("")
    return directory


def test_migrations_directory_when_the_package_carries_them_uses_the_packaged_copy(
    tmp_path: Path,
) -> None:
    package = tmp_path / "site-packages" / "trading_bot"
    packaged = _scripts(package / "_migrations")

    assert migrations_directory(package) == packaged


def test_migrations_directory_when_running_from_a_checkout_uses_the_repository_copy(
    tmp_path: Path,
) -> None:
    package = tmp_path / "repo" / "src" / "trading_bot"
    package.mkdir(parents=True)
    source = _scripts(tmp_path / "repo" / "migrations")

    assert migrations_directory(package) == source


def test_migrations_directory_when_neither_exists_says_where_it_looked(tmp_path: Path) -> None:
    package = tmp_path / "src" / "trading_bot"

    with pytest.raises(ConfigurationError, match="_migrations"):
        migrations_directory(package)


def test_migrations_directory_in_this_checkout_finds_the_first_revision() -> None:
    found = migrations_directory()

    assert (found / "versions" / "0001_initial_schema.py").is_file()


def test_alembic_config_when_the_url_has_a_percent_encoded_password_keeps_it_intact() -> None:
    url = "postgresql+asyncpg://bot:p%40ss%25word@db:5432/trading"

    config = alembic_config(url)

    assert config.attributes["url"] == url

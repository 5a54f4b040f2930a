"""The README's configuration table is generated from the settings models and cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trading_bot.entrypoints.cli import app
from trading_bot.entrypoints.cli_config import iter_fields
from trading_bot.entrypoints.cli_config_table import (
    TABLE_END,
    TABLE_START,
    render_config_table,
    replace_table,
)
from trading_bot.entrypoints.settings import Settings

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_configuration_table_is_what_the_settings_generate() -> None:
    readme = README.read_text("utf-8")

    assert replace_table(readme, render_config_table()) == readme, (
        "README.md's configuration table is stale: run "
        "`trading-bot config table --update README.md`"
    )


def test_config_table_lists_every_setting_once_with_its_default() -> None:
    variables = [variable for variable, *_ in iter_fields(Settings.model_construct())]

    table = render_config_table()

    rows = [line for line in table.splitlines() if line.startswith("| `TRADING_")]
    assert [row.split("`")[1] for row in rows] == variables
    assert (
        "| `TRADING_RISK__STOP_LOSS_PCT` | `0.03` | stop below entry (long); 0 disables |" in rows
    )
    assert "| `TRADING_API__JWT_SECRET` | *unset* |" in table


def test_config_table_escapes_pipes_so_a_description_stays_in_its_cell() -> None:
    table = render_config_table()

    (mode,) = [line for line in table.splitlines() if line.startswith("| `TRADING_MODE`")]
    assert mode == "| `TRADING_MODE` | `demo` | demo \\| paper \\| live |"


def test_replace_table_when_the_markers_are_missing_refuses_and_names_them() -> None:
    with pytest.raises(ValueError, match="config-table:start"):
        replace_table("# a README without the markers\n", render_config_table())


def test_config_table_update_rewrites_only_the_part_between_the_markers(tmp_path: Path) -> None:
    document = tmp_path / "README.md"
    document.write_text(f"# title\n\n{TABLE_START}\nstale row\n{TABLE_END}\n\n## after\n", "utf-8")

    result = CliRunner().invoke(app, ["config", "table", "--update", str(document)])

    assert result.exit_code == 0, result.output
    text = document.read_text("utf-8")
    assert text.startswith("# title\n\n" + TABLE_START)
    assert text.endswith(TABLE_END + "\n\n## after\n")
    assert "stale row" not in text
    assert "`TRADING_BUS__KIND`" in text


def test_config_table_update_when_the_file_has_no_markers_exits_1_and_leaves_it(
    tmp_path: Path,
) -> None:
    document = tmp_path / "README.md"
    document.write_text("# title\n", "utf-8")

    result = CliRunner().invoke(app, ["config", "table", "--update", str(document)])

    assert result.exit_code == 1
    assert "cannot update" in result.output
    assert document.read_text("utf-8") == "# title\n"

"""The bundled ticker list: name cleaning, CSV round trip, and rebuilding from Alpaca assets."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alpaca.trading.models import Asset

from trading_bot.adapters.sentiment.ticker_list import (
    TickerEntry,
    build_entries,
    company_aliases,
    read_entries,
    write_entries,
)
from trading_bot.adapters.sentiment.tickers import TickerExtractor, refresh_from_alpaca


def _asset(symbol: str, name: str, *, exchange: str = "NASDAQ", tradable: bool = True) -> Asset:
    """Build an alpaca-py Asset from the JSON shape Alpaca's /v2/assets returns."""
    return Asset(
        **{
            "id": str(uuid.uuid4()),
            "class": "us_equity",
            "exchange": exchange,
            "symbol": symbol,
            "name": name,
            "status": "active",
            "tradable": tradable,
            "marginable": True,
            "shortable": True,
            "easy_to_borrow": True,
            "fractionable": True,
        }
    )


@pytest.mark.parametrize(
    ("name", "aliases"),
    [
        ("Apple Inc.", ["Apple Inc.", "Apple"]),
        ("Microsoft Corporation", ["Microsoft Corporation", "Microsoft"]),
        ("The Coca-Cola Company", ["Coca-Cola Company", "Coca-Cola"]),
        ("Alphabet Inc. Class A Common Stock", ["Alphabet Inc.", "Alphabet"]),
        ("Meta Platforms, Inc. Class A Common Stock", ["Meta Platforms, Inc.", "Meta"]),
        ("Arm Holdings plc American Depositary Shares", ["Arm Holdings plc", "Arm"]),
        ("Home Depot", ["Home Depot"]),
    ],
)
def test_company_aliases_when_name_has_legal_suffixes_strips_them(
    name: str, aliases: list[str]
) -> None:
    assert company_aliases(name) == aliases


def test_bundled_list_when_read_holds_the_large_us_companies() -> None:
    entries = {e.symbol: e for e in read_entries()}

    assert len(entries) > 1_000
    assert "Apple" in entries["AAPL"].aliases
    assert "Google" in entries["GOOGL"].aliases
    assert "Target" in entries["TGT"].context_aliases


def test_ticker_list_when_written_and_read_back_is_unchanged(tmp_path: Path) -> None:
    entries = [
        TickerEntry("AAPL", "Apple Inc.", "NASDAQ", ("Apple Inc.", "Apple"), ()),
        TickerEntry("TGT", "Target Corporation", "NYSE", ("Target Corporation",), ("Target",)),
    ]
    path = tmp_path / "tickers.csv"

    write_entries(entries, path)

    assert read_entries(path) == entries


def test_build_entries_when_two_companies_claim_an_alias_drops_it() -> None:
    entries = build_entries(
        [("MPC", "Marathon Petroleum", "NYSE"), ("MARA", "Marathon Digital", "NASDAQ")],
        common_words=frozenset(),
        extra_aliases={"MPC": ["Marathon"], "MARA": ["Marathon"]},
    )

    assert all("Marathon" not in e.aliases for e in entries)


def test_refresh_from_alpaca_when_assets_listed_matches_new_names_and_keeps_bundled_aliases(
    tmp_path: Path,
) -> None:
    assets = [
        _asset("AAPL", "Apple Inc. Common Stock"),
        _asset("GOOGL", "Alphabet Inc. Class A Common Stock"),
        _asset("ZZTOP", "Zebulon Quantum Widgets, Inc. Common Stock", exchange="NYSE"),
        _asset("OTCX", "Pinkish Sheets Corp", exchange="OTC"),
        _asset("HALT", "Halted Holdings Inc.", tradable=False),
        _asset("bad symbol!", "Broken Name Inc."),
    ]
    saved = tmp_path / "alpaca.csv"

    extractor = refresh_from_alpaca(assets, save_to=saved)

    assert extractor.symbols == {"AAPL", "GOOGL", "ZZTOP"}
    assert extractor.extract("Zebulon Quantum Widgets soars; Google lags") == ["ZZTOP", "GOOGL"]
    assert TickerExtractor(read_entries(saved)).symbols == extractor.symbols

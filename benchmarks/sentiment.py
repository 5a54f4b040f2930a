"""Sentiment analyzer benchmark: articles per second for the lexicon and a BERT-base classifier.

Run ``python -m benchmarks.sentiment`` (``--help`` for options). The BERT model has FinBERT's
shape (BertConfig defaults: 768 wide, 12 layers, 30,522-token WordPiece vocabulary) with random
weights; it compares the plain fp32 transformers pipeline at batch 1 with every FinBertAnalyzer
backend at batch 1 and 32, and reports how far each backend's scores stray from fp32. Each
figure is min / median over several runs.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from transformers import pipeline

from trading_bot.adapters.sentiment.finbert import Backend, FinBertAnalyzer, FinBertConfig
from trading_bot.adapters.sentiment.lexicon import LexiconAnalyzer
from trading_bot.core.model import RawArticle
from trading_bot.testing.tiny_bert import HEADLINE_WORDS, write_base_bert

HEADLINES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "headlines.jsonl"
BODY = "The company said results reflected strong demand, and analysts expect guidance to rise."
AT = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
SCORE_TOLERANCE = 0.02


@dataclass(frozen=True, slots=True)
class Rate:
    """Articles per second over several runs: best (from the fastest run) and median."""

    label: str
    best: float
    median: float


def measure(label: str, count: int, work: Callable[[], object], runs: int) -> Rate:
    """Time ``work`` (which handles ``count`` articles) ``runs`` times, after a warm-up run."""
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return Rate(label, count / min(times), count / statistics.median(times))


def headlines(count: int) -> list[str]:
    """Return ``count`` headline + one-sentence-body texts, cycling the labelled fixture."""
    titles = [json.loads(line)["title"] for line in HEADLINES.read_text("utf-8").splitlines()]
    return [f"{titles[i % len(titles)]}. {BODY}" for i in range(count)]


def lexicon_rates(count: int, runs: int) -> list[Rate]:
    """Measure the lexicon analyzer directly and through ``analyze`` (with its thread hop)."""
    analyzer = LexiconAnalyzer()
    titles = [json.loads(line)["title"] for line in HEADLINES.read_text("utf-8").splitlines()]
    pairs = [(titles[i % len(titles)], BODY) for i in range(count)]
    articles = [
        RawArticle.create(
            source="bench",
            url=f"https://news.example/{i}",
            title=title,
            content=body,
            published_at=AT,
            available_at=AT,
        )
        for i, (title, body) in enumerate(pairs)
    ]
    return [
        measure(
            "lexicon, score_text", count, lambda: [analyzer.score_text(*p) for p in pairs], runs
        ),
        measure(
            f"lexicon, analyze() batch {count}",
            count,
            lambda: asyncio.run(analyzer.analyze(articles)),
            runs,
        ),
    ]


def pipeline_scores(classifier: Any, texts: Sequence[str]) -> list[float]:  # Any: HF pipeline
    """Score texts one at a time with a transformers pipeline: P(positive) - P(negative)."""
    scores = []
    for text in texts:
        (result,) = classifier([text])
        by_label = {r["label"].lower(): r["score"] for r in result}
        scores.append(by_label["positive"] - by_label["negative"])
    return scores


BERT_RUNS: tuple[tuple[Backend, int], ...] = (
    ("torch", 32),
    ("torch-int8", 1),
    ("torch-int8", 32),
    ("onnx", 32),
    ("onnx-int8", 1),
    ("onnx-int8", 32),
)
"""Backend and batch size of each measured FinBertAnalyzer run (fp32 batch 1 is the pipeline)."""


def bert_rates(count: int, runs: int, model_dir: Path) -> tuple[list[Rate], dict[str, float]]:
    """Measure the fp32 pipeline at batch 1 and the analyzer's backends at batch 1 and 32.

    Runs go round-robin (every contender once per round) so that load from other processes on a
    shared machine hits them alike; the first pass of each scores the texts for the drift figure
    and warms it up.
    """
    texts = headlines(count)
    classifier = pipeline("text-classification", model=str(model_dir), top_k=None, device=-1)
    reference = pipeline_scores(classifier, texts)
    contenders: list[tuple[str, Callable[[], object]]] = [
        ("transformers pipeline fp32, batch 1", lambda: pipeline_scores(classifier, texts))
    ]
    drift: dict[str, float] = {}
    for backend, batch in BERT_RUNS:
        analyzer = FinBertAnalyzer(
            FinBertConfig(
                model=str(model_dir),
                backend=backend,
                batch_size=batch,
                device="cpu",
                cache_dir=model_dir / "onnx",
            )
        )
        scores = [s.score for s in analyzer.score_texts(texts)]
        worst = max(abs(a - b) for a, b in zip(scores, reference, strict=True))
        drift[backend] = max(drift.get(backend, 0.0), worst)
        contenders.append(
            (
                f"FinBertAnalyzer {backend}, batch {batch}",
                functools.partial(analyzer.score_texts, texts),
            )
        )
    times: dict[str, list[float]] = {label: [] for label, _ in contenders}
    for _ in range(runs):
        for label, work in contenders:
            start = time.perf_counter()
            work()
            times[label].append(time.perf_counter() - start)
    rates = [
        Rate(label, count / min(t), count / statistics.median(t)) for label, t in times.items()
    ]
    return rates, drift


def report(rates: Sequence[Rate], drift: dict[str, float], baseline: Rate | None) -> str:
    """Return the results as a markdown table."""
    lines = [
        "| run | articles/s (best) | articles/s (median) | x fp32 pipeline (median) |",
        "|---|---:|---:|---:|",
    ]
    for rate in rates:
        ratio = f"{rate.median / baseline.median:.1f}x" if baseline else ""
        lines.append(f"| {rate.label} | {rate.best:,.0f} | {rate.median:,.0f} | {ratio} |")
    if drift:
        lines.append("")
        lines.append("| backend | max abs score difference from fp32 pipeline |")
        lines.append("|---|---:|")
        for backend, value in drift.items():
            lines.append(f"| {backend} | {value:.4f} |")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=64, help="articles per BERT run")
    parser.add_argument("--lexicon-articles", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--skip-bert", action="store_true", help="only the lexicon")
    args = parser.parse_args()

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} torch threads, {platform.machine()}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n"
    )
    lexicon = lexicon_rates(args.lexicon_articles, max(args.runs, 5))
    print(report(lexicon, {}, None), "\n", flush=True)
    if args.skip_bert:
        return
    with tempfile.TemporaryDirectory() as scratch:
        words = {w.strip(".,:;'\"()$?!").lower() for t in headlines(300) for w in t.split()}
        model_dir = write_base_bert(Path(scratch) / "bert-base", words=[*HEADLINE_WORDS, *words])
        rates, drift = bert_rates(args.articles, args.runs, model_dir)
    print(report(rates, drift, rates[0]))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    shipped: Backend = FinBertConfig().backend
    verdict = "ok" if drift[shipped] <= SCORE_TOLERANCE else "TOO BIG"
    print(f"\nshipped default: {shipped}; max drift {drift[shipped]:.4f} ({verdict})")


if __name__ == "__main__":
    main()

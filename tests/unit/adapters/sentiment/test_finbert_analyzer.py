"""FinBERT analyzer on tiny BERT classifiers saved to disk and loaded like the real model."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from trading_bot.adapters.sentiment.finbert import Backend, FinBertAnalyzer, FinBertConfig
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import RawArticle
from trading_bot.testing.tiny_bert import write_tiny_bert

pytestmark = pytest.mark.finbert

TEXTS = [
    "Apple shares surge after record quarterly earnings",
    "Tesla stock plunges",
    "Bank reports results",
    "Chip stocks rally as Nvidia beats expectations and raises guidance for the year ahead",
    "Oil falls",
    "Investors weigh inflation data ahead of the Fed decision; markets drift lower",
    "Profit up",
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def _analyzer(
    model: Path, cache: Path | None = None, *, backend: Backend, batch_size: int = 16
) -> FinBertAnalyzer:
    return FinBertAnalyzer(
        FinBertConfig(
            model=str(model), device="cpu", cache_dir=cache, backend=backend, batch_size=batch_size
        )
    )


def _article(title: str, content: str = "") -> RawArticle:
    now = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
    return RawArticle.create(
        source="test",
        url=f"https://news.example/{len(title)}-{len(content)}",
        title=title,
        content=content,
        published_at=now,
        available_at=now,
    )


async def test_finbert_analyze_when_batch_given_returns_one_bounded_score_per_article(
    tiny_model: Path,
) -> None:
    analyzer = _analyzer(tiny_model, backend="torch")
    articles = [_article(t, "Body text follows.") for t in TEXTS]

    scores = await analyzer.analyze(articles)

    assert len(scores) == len(articles)
    for score in scores:
        assert -1.0 <= score.score <= 1.0
        assert 1 / 3 <= score.confidence <= 1.0
        assert score.model == "finbert"


@pytest.mark.parametrize(
    ("labels", "favour", "sign"),
    [
        (("positive", "negative", "neutral"), "positive", 1),
        (("positive", "negative", "neutral"), "negative", -1),
        (("Negative", "Neutral", "Positive"), "Positive", 1),
        (("NEUTRAL", "POSITIVE", "NEGATIVE"), "NEGATIVE", -1),
    ],
)
def test_finbert_when_model_leans_to_a_label_reads_the_mapping_from_id2label(
    tmp_path: Path, labels: tuple[str, ...], favour: str, sign: int
) -> None:
    model = write_tiny_bert(tmp_path, labels=labels, favour=favour)

    (score,) = _analyzer(model, backend="torch").score_texts(["Shares move"])

    assert score.score * sign > 0.8
    assert score.confidence > 0.8


def test_finbert_when_model_lacks_positive_and_negative_labels_refuses_it(
    tmp_path: Path,
) -> None:
    model = write_tiny_bert(tmp_path, labels=("up", "down", "flat"))

    with pytest.raises(ConfigurationError, match="'positive'"):
        _analyzer(model, backend="torch").load()


async def test_finbert_analyze_when_batch_is_empty_answers_without_loading_a_model(
    tmp_path: Path,
) -> None:
    assert await _analyzer(tmp_path / "not-a-model", backend="torch").analyze([]) == []


def test_finbert_when_model_path_does_not_exist_raises_configuration_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigurationError, match="cannot load FinBERT model"):
        _analyzer(tmp_path / "missing", backend="torch").load()


def test_finbert_when_text_exceeds_512_tokens_truncates_instead_of_failing(
    tiny_model: Path,
) -> None:
    analyzer = _analyzer(tiny_model, backend="torch")
    long_text = "shares " * 600

    first, longer = analyzer.probabilities([long_text, long_text + "plunges " * 400])

    # Everything past token 512 is cut, so text added after it changes nothing.
    np.testing.assert_allclose(first, longer, atol=1e-6)


def test_finbert_when_batched_gives_the_same_scores_as_one_by_one(tiny_model: Path) -> None:
    batched = _analyzer(tiny_model, backend="torch", batch_size=4).probabilities(TEXTS)
    single = _analyzer(tiny_model, backend="torch", batch_size=1).probabilities(TEXTS)

    np.testing.assert_allclose(batched, single, atol=1e-5)


@pytest.mark.parametrize("backend", ["torch-int8", "onnx", "onnx-int8"])
def test_finbert_fast_backend_stays_within_002_of_fp32(
    tiny_model: Path, onnx_cache: Path, backend: Backend
) -> None:
    reference = _analyzer(tiny_model, backend="torch").score_texts(TEXTS)

    fast = _analyzer(tiny_model, onnx_cache, backend=backend, batch_size=4).score_texts(TEXTS)

    assert max(abs(a.score - b.score) for a, b in zip(fast, reference, strict=True)) <= 0.02


def test_finbert_onnx_export_when_cached_is_reused(tiny_model: Path, tmp_path: Path) -> None:
    _analyzer(tiny_model, tmp_path, backend="onnx").load()
    exported = sorted(tmp_path.rglob("*.onnx"))
    stamps = [p.stat().st_mtime_ns for p in exported]

    _analyzer(tiny_model, tmp_path, backend="onnx").load()

    assert [p.name for p in exported] == ["model.onnx"]
    assert [p.stat().st_mtime_ns for p in sorted(tmp_path.rglob("*.onnx"))] == stamps


def test_finbert_when_transformers_is_missing_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)

    with pytest.raises(ConfigurationError, match=r"pip install 'trading-bot\[finbert\]'"):
        FinBertAnalyzer()


def test_finbert_config_when_batch_size_is_zero_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match="batch_size"):
        FinBertConfig(batch_size=0)


def test_finbert_config_when_max_length_exceeds_bert_limit_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match="max_length"):
        FinBertConfig(max_length=4096)

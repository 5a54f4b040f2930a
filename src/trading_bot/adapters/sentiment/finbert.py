"""FinBERT sentiment: a BERT classifier fine-tuned on financial text (ProsusAI/finbert by default).

score = P(positive) - P(negative), confidence = the top probability. Labels are read from the
model's ``id2label``. torch and transformers are imported only when the analyzer is built; without
the ``finbert`` extra, building it raises ConfigurationError.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import RawArticle, SentimentScore

if TYPE_CHECKING:
    from trading_bot.adapters.sentiment.finbert_runtime import Encoding, Probabilities, Runner

INSTALL_HINT = "pip install 'trading-bot[finbert]'"

Backend = Literal["onnx-int8", "onnx", "torch-int8", "torch"]
"""How FinBERT runs: ONNX Runtime or PyTorch, each in fp32 or with dynamic int8 Linear layers."""

BACKENDS: tuple[Backend, ...] = ("onnx-int8", "onnx", "torch-int8", "torch")


@dataclass(frozen=True, slots=True)
class FinBertConfig:
    """Settings of :class:`FinBertAnalyzer`.

    - ``model``: a hub id or a local directory (default ``"ProsusAI/finbert"``).
    - ``model_name``: recorded on every score (default ``"finbert"``).
    - ``backend``: ``"onnx-int8"`` (default, the fastest on CPU within 0.02 of fp32 in
      docs/benchmarks.md), ``"onnx"``, ``"torch-int8"`` or ``"torch"`` (plain fp32).
      On a CUDA device the model always runs in fp32 PyTorch.
    - ``batch_size``: texts per forward pass (default 32).
    - ``max_length``: tokens per text, title and body together (default 512, BERT's limit).
    - ``device``: ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.
    - ``cache_dir``: where ONNX exports are kept (default ``~/.cache/trading-bot/onnx``).
    - ``threads``: ONNX Runtime intra-op threads (default: the library's choice).
    """

    model: str = "ProsusAI/finbert"
    model_name: str = "finbert"
    backend: Backend = "onnx-int8"
    batch_size: int = 32
    max_length: int = 512
    device: Literal["auto", "cpu", "cuda"] = "auto"
    cache_dir: Path | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigurationError(f"FinBERT batch_size must be >= 1, got {self.batch_size}")
        if not 8 <= self.max_length <= 512:
            raise ConfigurationError(f"FinBERT max_length must be 8..512, got {self.max_length}")


@dataclass(frozen=True, slots=True)
class _Labels:
    positive: int
    negative: int


class FinBertAnalyzer:
    """Score articles with a transformers sequence classifier, batched, off the event loop.

    The model loads on first use (or on :meth:`load`), in a worker thread when reached through
    :meth:`analyze`. Texts are sorted by length before batching so a batch pads little.
    """

    name = "finbert"

    def __init__(self, config: FinBertConfig | None = None) -> None:
        self._config = config or FinBertConfig()
        needed = ["torch", "transformers"]
        if self._config.backend.startswith("onnx"):
            needed += ["onnxruntime", "onnx"]
        missing = [m for m in needed if importlib.util.find_spec(m) is None]
        if missing:
            raise ConfigurationError(
                f"the FinBERT analyzer needs {', '.join(missing)}: {INSTALL_HINT}"
            )
        self._lock = threading.Lock()
        self._runner: Runner | None = None
        self._labels = _Labels(positive=0, negative=1)
        # Any: transformers' tokenizers are untyped here (no stubs), and loaded lazily.
        self._tokenizer: Any = None
        self._device = "cpu"

    @property
    def config(self) -> FinBertConfig:
        """Return the settings this analyzer was built with."""
        return self._config

    @property
    def device(self) -> str:
        """Return where the model runs ("cpu" or "cuda"); known once loaded."""
        return self._device

    async def analyze(self, articles: Sequence[RawArticle]) -> list[SentimentScore]:
        """Score each article's title and body; the result is aligned with ``articles``."""
        if not articles:
            return []
        texts = [_text_of(a.title, a.content) for a in articles]
        return await asyncio.to_thread(self.score_texts, texts)

    def score_texts(self, texts: Sequence[str]) -> list[SentimentScore]:
        """Score texts synchronously (what ``analyze`` runs in a worker thread)."""
        probabilities = self.probabilities(texts)
        name = self._config.model_name
        scores = []
        for row in probabilities:
            positive = float(row[self._labels.positive])
            negative = float(row[self._labels.negative])
            scores.append(
                SentimentScore(
                    score=max(-1.0, min(1.0, positive - negative)),
                    confidence=max(0.0, min(1.0, float(row.max()))),
                    model=name,
                    reasoning=f"P(positive)={positive:.3f}, P(negative)={negative:.3f}",
                )
            )
        return scores

    def probabilities(self, texts: Sequence[str]) -> Probabilities:
        """Return class probabilities per text, columns in the model's label order."""
        import numpy as np  # noqa: PLC0415  # numpy comes with the optional finbert extra

        runner = self.load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.zeros((len(texts), 0), dtype=np.float32)
        size = self._config.batch_size
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            batch = runner(self._encode([texts[i] for i in chunk]))
            if result.shape[1] == 0:
                result = np.zeros((len(texts), batch.shape[1]), dtype=np.float32)
            result[chunk] = batch
        return result

    def load(self) -> Runner:
        """Load the tokenizer and model (once; later calls return at once)."""
        with self._lock:
            if self._runner is None:
                self._runner = self._build()
            return self._runner

    def _encode(self, texts: list[str]) -> Encoding:
        encoding = self._tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self._config.max_length,
            return_tensors="np",
        )
        return {name: encoding[name] for name in self._tokenizer.model_input_names}

    def _build(self) -> Runner:
        import torch  # noqa: PLC0415  # optional finbert extra, imported on first use
        from transformers import (  # noqa: PLC0415  # optional finbert extra
            AutoModelForSequenceClassification,
            AutoTokenizer,
        )

        from trading_bot.adapters.sentiment import finbert_runtime  # noqa: PLC0415  # needs torch

        config = self._config
        try:
            tokenizer = AutoTokenizer.from_pretrained(config.model)
            model = AutoModelForSequenceClassification.from_pretrained(config.model)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot load FinBERT model {config.model!r}: {exc}") from exc
        self._labels = _labels_of(config.model, model.config.id2label)
        self._tokenizer = tokenizer
        cuda = config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available())
        self._device = "cuda" if cuda else "cpu"
        if cuda or config.backend.startswith("torch"):
            return finbert_runtime.TorchRunner(
                model, device=self._device, int8=config.backend == "torch-int8" and not cuda
            )
        revision = getattr(model.config, "_commit_hash", None)
        path = finbert_runtime.export_onnx(
            model,
            list(tokenizer.model_input_names),
            config.cache_dir or Path.home() / ".cache" / "trading-bot" / "onnx",
            finbert_runtime.fingerprint(config.model, revision),
            int8=config.backend == "onnx-int8",
        )
        return finbert_runtime.OnnxRunner(path, threads=config.threads)


def _text_of(title: str, body: str) -> str:
    body = body.strip()
    return f"{title.strip()}. {body}" if body else title.strip()


def _labels_of(model: str, id2label: dict[int, str]) -> _Labels:
    by_name = {label.strip().lower(): int(index) for index, label in id2label.items()}
    if "positive" not in by_name or "negative" not in by_name:
        raise ConfigurationError(
            f"model {model!r} has labels {sorted(by_name)}; FinBERT scoring needs 'positive' "
            "and 'negative' (any case)"
        )
    return _Labels(positive=by_name["positive"], negative=by_name["negative"])

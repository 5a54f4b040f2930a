"""Ways to run a BERT sequence classifier: plain PyTorch, int8 PyTorch, ONNX Runtime (fp32/int8).

Imported only once the ``finbert`` extra is known to be installed. Every runner takes tokenizer
output as numpy arrays and returns class probabilities, one row per text.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import torch
import transformers

Probabilities = npt.NDArray[np.float32]
Encoding = Mapping[str, npt.NDArray[np.int64]]

ONNX_OPSET = 17


class Runner(Protocol):
    """Turns a padded batch of token ids into class probabilities."""

    def __call__(self, encoding: Encoding) -> Probabilities: ...


class TorchRunner:
    """PyTorch inference, optionally with Linear layers dynamically quantised to int8 (CPU)."""

    def __init__(self, model: torch.nn.Module, *, device: str = "cpu", int8: bool = False) -> None:
        model = model.eval()
        if int8:
            with warnings.catch_warnings():
                # torch.ao.quantization is deprecated in favour of torchao, which we do not ship.
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.filterwarnings("ignore", "torch.quantize_per_tensor", UserWarning)
                quantize = torch.ao.quantization.quantize_dynamic
                # torch leaves quantize_dynamic without annotations.
                model = quantize(model, {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
        self._model = model.to(device)
        self._device = device

    def __call__(self, encoding: Encoding) -> Probabilities:
        inputs = {k: torch.from_numpy(v).to(self._device) for k, v in encoding.items()}
        with torch.inference_mode():
            logits = self._model(**inputs).logits
        probabilities: Probabilities = logits.softmax(-1).float().cpu().numpy()
        return probabilities


class OnnxRunner:
    """ONNX Runtime inference on CPU of a model exported (and optionally quantised) once."""

    def __init__(self, model_path: Path, *, threads: int | None = None) -> None:
        import onnxruntime  # noqa: PLC0415  # part of the optional finbert extra

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = [i.name for i in self._session.get_inputs()]

    def __call__(self, encoding: Encoding) -> Probabilities:
        feed = {name: encoding[name].astype(np.int64) for name in self._inputs}
        logits = np.asarray(self._session.run(["logits"], feed)[0], dtype=np.float32)
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        probabilities: Probabilities = shifted / shifted.sum(axis=-1, keepdims=True)
        return probabilities


def export_onnx(
    model: torch.nn.Module,
    input_names: list[str],
    cache_dir: Path,
    fingerprint: str,
    *,
    int8: bool,
) -> Path:
    """Return the path of the model's ONNX export (int8-quantised if asked), exporting once.

    Exports are kept under ``cache_dir/<fingerprint>``; a half-written export is never visible
    because files are renamed into place only when complete.
    """
    target = cache_dir / fingerprint
    fp32_path = target / "model.onnx"
    int8_path = target / "model-int8.onnx"
    wanted = int8_path if int8 else fp32_path
    if wanted.exists():
        return wanted
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as scratch:
        if not fp32_path.exists():
            staged = Path(scratch) / "model.onnx"
            _export(model.eval(), input_names, staged)
            os.replace(staged, fp32_path)
        if int8:
            from onnxruntime.quantization import (  # noqa: PLC0415  # optional finbert extra
                QuantType,
                quantize_dynamic,
            )

            staged = Path(scratch) / "model-int8.onnx"
            quantize_dynamic(fp32_path, staged, weight_type=QuantType.QInt8)
            os.replace(staged, int8_path)
    return wanted


def _export(model: torch.nn.Module, input_names: list[str], path: Path) -> None:
    # The exporter names graph inputs in the order of forward()'s parameters, not of kwargs.
    order = list(inspect.signature(model.forward).parameters)
    input_names = sorted(input_names, key=order.index)
    # A padded sample: tracing an all-ones mask would bake in "no padding" and ignore masks.
    sample = {name: torch.ones((2, 8), dtype=torch.long) for name in input_names}
    if "attention_mask" in sample:
        sample["attention_mask"][1, 5:] = 0
    if "token_type_ids" in sample:
        sample["token_type_ids"].zero_()
    axes = {name: {0: "batch", 1: "sequence"} for name in input_names}
    with warnings.catch_warnings():
        # The TorchScript-based exporter is deprecated; the dynamo one needs onnxscript.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (),
            str(path),
            kwargs=sample,
            input_names=input_names,
            output_names=["logits"],
            dynamic_axes={**axes, "logits": {0: "batch"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def fingerprint(model_source: str, revision: str | None) -> str:
    """Return a cache key for a model's exports: its source, revision and the library versions.

    ``revision`` is the hub commit for hub models; for a local directory, the size and mtime of
    its files stand in, so replacing the weights triggers a new export.
    """
    parts = [model_source, revision or "", torch.__version__, transformers.__version__]
    local = Path(model_source)
    if not revision and local.is_dir():
        for file in sorted(local.iterdir()):
            if file.is_file():
                stat = file.stat()
                parts.append(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}")
    parts.append(str(ONNX_OPSET))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]

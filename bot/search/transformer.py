"""The `transformer` embedding runtime: the sentence-transformers model (fp32, torch) on the CPU."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from bot.search.embedding import DOCUMENT_TOKENS, QUERY_TOKENS, LineEncoder, document_model_id


class SentenceEncoder(LineEncoder):
    """A sentence-transformers model on the CPU, offline, with a bounded number of threads."""

    runtime = "transformer"

    def __init__(self, path: Path, name: str, threads: int = 1) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.name = name
        self.model_id = document_model_id(name, path)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()  # the token limit differs for documents and queries

    def _embed_lines(self, lines: list[str]) -> np.ndarray:
        with self._lock:
            self._model.max_seq_length = DOCUMENT_TOKENS
            return self._model.encode(lines, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    def encode_query(self, text: str) -> np.ndarray:
        """One question -> a unit-length float32 vector."""
        with self._lock:
            self._model.max_seq_length = QUERY_TOKENS
            vector = self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
        return vector.astype(np.float32)


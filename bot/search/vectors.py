"""Vectors of the hybrid matcher (numpy, the `semantic` extra): an item's line and centroid vectors,
their stored bytes, and the vector index searched by cosine.

Without numpy this module still imports (nothing in it is used then).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

try:
    import numpy as np
except ImportError:  # the semantic extra is not installed: no encoder, so no vectors either
    np = None  # type: ignore[assignment]

FIRST_LINE_WEIGHT = 1.0  # weight of a document's first line (an item's title and tags) in its vector
DOCUMENT_FORMAT = 2  # stored item embeddings: 1 = the centroid, 2 = the centroid and int8 line vectors
PASSAGE_WEIGHT = 0.5  # an item's cosine blends in its best line's with a share of
PASSAGE_RAMP = 20  # (lines - 1) / PASSAGE_RAMP, at most PASSAGE_WEIGHT (validation grid, docs/semantic.md)
COARSE_FROM = 20_000  # vectors from which VectorIndex.top scans a projection first
COARSE_DIMENSIONS = 128
COARSE_POOL = 400  # rows of the projected scan re-scored exactly


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

    def unit_rows(self) -> np.ndarray:
        """The lines as unit float32 rows again (int8 costs them a cosine of about 0.9999)."""
        rows = self.vectors.astype(np.float32) * self.scales[:, None]
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

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



def centroids(documents: Sequence[DocumentVectors], dimension: int) -> np.ndarray:
    """The centroids of ``documents`` as unit float32 rows."""
    return np.array([d.centroid for d in documents], dtype=np.float32).reshape(len(documents), dimension)


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

    Each row has a scope (an item's audience, -1 for everyone); ``top`` given visible scopes finds
    the nearest rows among those only (hidden rows are masked out before the top k are chosen).
    """

    def __init__(self, dim: int) -> None:
        self._matrix = np.zeros((64, dim), dtype=np.float32)
        self._keys: list[Hashable] = []
        self._rows: dict[Hashable, int] = {}
        self._scopes = np.full(64, -1, dtype=np.int32)  # by row
        self._basis: np.ndarray | None = None  # dim x COARSE_DIMENSIONS once fitted
        self._coarse = np.zeros((0, COARSE_DIMENSIONS), dtype=np.float32)  # rows projected on the basis
        self._fitted_at = 0

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._rows

    def set(self, key: Hashable, vector: np.ndarray, scope: int = -1) -> None:
        """Add or replace the vector of ``key``, seen by ``scope`` (-1: everyone)."""
        row = self._rows.get(key)
        if row is None:
            row = len(self._keys)
            if row == len(self._matrix):
                self._matrix = np.concatenate([self._matrix, np.zeros_like(self._matrix)])
                self._scopes = np.concatenate([self._scopes, np.full_like(self._scopes, -1)])
                if self._basis is not None:
                    self._coarse = np.concatenate([self._coarse, np.zeros_like(self._coarse)])
            self._keys.append(key)
            self._rows[key] = row
        self._matrix[row] = vector
        self._scopes[row] = scope
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
            self._scopes[row] = self._scopes[last]
            if self._basis is not None:
                self._coarse[row] = self._coarse[last]
            self._keys[row] = moved
            self._rows[moved] = row
        self._keys.pop()

    def get(self, key: Hashable) -> np.ndarray | None:
        """A copy of the vector of ``key``, or None."""
        row = self._rows.get(key)
        return None if row is None else self._matrix[row].copy()

    def top(self, query: np.ndarray, k: int, scopes: frozenset[int] | None = None) -> list[tuple[Hashable, float]]:
        """The ``k`` keys most similar to ``query`` (cosine), best first; with ``scopes``, among the
        rows of those scopes and of scope -1 only."""
        n = len(self._keys)
        if n == 0 or k <= 0:
            return []
        hidden = None
        if scopes is not None:
            row_scopes = self._scopes[:n]
            hidden = (row_scopes != -1) & ~np.isin(row_scopes, np.fromiter(scopes, np.int32, len(scopes)))
        if self._basis is not None and k < COARSE_POOL < n:
            coarse = self._coarse[:n] @ (query @ self._basis)
            if hidden is not None:
                coarse[hidden] = -np.inf
            rows = np.argpartition(-coarse, COARSE_POOL - 1)[:COARSE_POOL]
            if hidden is not None:
                rows = rows[~hidden[rows]]
            scores = self._matrix[rows] @ query
        elif hidden is not None:
            rows = np.flatnonzero(~hidden)
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

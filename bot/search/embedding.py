"""How a document is embedded: the Encoder protocol, the model id of the recipe, and the
line-by-line recipe both runtimes share (``LineEncoder``)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from bot.search.vectors import DOCUMENT_FORMAT, FIRST_LINE_WEIGHT, DocumentVectors, centroids

if TYPE_CHECKING:
    import numpy as np

DOCUMENT_TOKENS = 32  # word pieces per embedded line of a document (see text.embedding_text)
QUERY_TOKENS = 128
BATCH = 256


class Encoder(Protocol):
    """Texts -> unit-length float32 vectors: ``encode`` one row per text (a past question, a piece of
    expert evidence), ``encode_documents`` an item's centroid and lines, ``encode_query`` a question."""

    name: str
    runtime: str  # "onnx" or "transformer" (EncoderSpec.runtime)
    dimension: int
    model_id: str  # changes when the model changes: stored vectors of another model_id are recomputed

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str],
                         progress: Callable[[int], None] | None = None) -> list[DocumentVectors]: ...

    def encode_query(self, text: str) -> np.ndarray: ...


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


class LineEncoder:
    """The document recipe both runtimes share; a runtime supplies ``_embed_lines`` (unit rows).

    A document of several lines (``text.embedding_text`` puts an item's title and body
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
        return centroids(self.encode_documents(texts, progress), self.dimension)


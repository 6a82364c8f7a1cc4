"""Embeddings kept in the `embeddings` table, so that a start embeds only what is new or changed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.search.changes import ITEM
from bot.search.records import ExpertRecord
from store.models import Embedding

if TYPE_CHECKING:
    from bot.search.embedding import Encoder

EVIDENCE = "evidence"  # embeddings of expert topics and answered questions, keyed by text hash
EMBED_CHUNK = 2048  # embeddings computed and stored per transaction at start
Progress = Callable[[int, str], Callable[[int], None] | None]  # (total, label) -> show(done), or None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class StoredVectors:
    """Embeddings of one encoder, read from and written back to the `embeddings` table: an item's
    are its DocumentVectors (centroid and lines), anything else's one vector. ``progress`` draws
    the embedding of many missing ones."""

    def __init__(self, encoder: Encoder, progress: Progress | None = None) -> None:
        self.encoder = encoder
        self._progress = progress

    def drop_other_models(self, session: Session) -> None:
        """Forget vectors of a previous model (they are recomputed with this one)."""
        session.execute(delete(Embedding).where(Embedding.model_id != self.encoder.model_id))

    def get(self, session: Session, kind: str, texts: Mapping[str, str], now: datetime,
            label: str = "") -> dict[str, Any]:
        """ref -> vector for ``texts`` (ref -> text): stored ones reused, the others computed and stored."""
        stored = self._stored(session, kind, texts)
        vectors = {ref: self._load(kind, stored[ref][1]) for ref, text in texts.items()
                   if ref in stored and stored[ref][0] == text_hash(text)}
        missing = [ref for ref in texts if ref not in vectors]
        session.commit()  # end the reads before embedding: a SQLite transaction holds the write lock
        progress = self._progress(len(missing), label or f"embedding {kind}s") if self._progress else None
        encode = self.encoder.encode_documents if kind == ITEM else self.encoder.encode
        for start in range(0, len(missing), EMBED_CHUNK):
            refs = missing[start:start + EMBED_CHUNK]
            done = (lambda n, base=start: progress(base + n)) if progress else None
            computed = encode([texts[ref] for ref in refs], done)
            vectors.update(zip(refs, computed))
            self._save(session, kind, {ref: (texts[ref], vectors[ref]) for ref in refs}, stored, now)
        return vectors

    def _load(self, kind: str, data: bytes) -> Any:
        from bot.search.vectors import DocumentVectors, from_bytes

        return DocumentVectors.from_bytes(data, self.encoder.dimension) if kind == ITEM else from_bytes(data)

    def _stored(self, session: Session, kind: str, texts: Mapping[str, str]) -> dict[str, tuple[str, bytes]]:
        stmt = select(Embedding.ref, Embedding.text_hash, Embedding.vector).where(
            Embedding.kind == kind, Embedding.model_id == self.encoder.model_id)
        if len(texts) <= 500:
            stmt = stmt.where(Embedding.ref.in_(list(texts)))
        return {ref: (digest, vector) for ref, digest, vector in session.execute(stmt) if ref in texts}

    def _save(self, session: Session, kind: str, rows: Mapping[str, tuple[str, Any]],
              stored: Mapping[str, object], now: datetime) -> None:
        """Insert or update rows and commit; a concurrent insert by another process is not an error."""
        from bot.search.vectors import to_bytes

        stale = [ref for ref in rows if ref in stored]
        if stale:
            session.execute(delete(Embedding).where(
                Embedding.kind == kind, Embedding.model_id == self.encoder.model_id, Embedding.ref.in_(stale)))
        session.add_all(Embedding(kind=kind, ref=ref, model_id=self.encoder.model_id, text_hash=text_hash(text),
                                  vector=to_bytes(vector), updated_at=now) for ref, (text, vector) in rows.items())
        try:
            session.commit()
        except IntegrityError:
            session.rollback()


def evidence_texts(experts: Iterable[ExpertRecord]) -> dict[str, str]:
    """Text hash -> text of every topic and answered question of ``experts``."""
    texts = (text for e in experts for text in (*e.topics, *(q for q, _ in e.answered)))
    return {text_hash(text): text for text in texts}


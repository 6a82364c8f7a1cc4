"""Embeddings kept in the `embeddings` table: the live index reads them, the embedder
(bot.search.embedder) writes them; nothing on the path of a question, an import or a start embeds a
document.

An item is embedded in two passes: first its title line (kind ``item-first``), so that every item
soon has a useful vector, then all its lines (kind ``item``, which replaces the first).
A stored vector counts only for the text it was computed from (``text_hash``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from sqlalchemy import String, cast, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.search.changes import ITEM
from bot.search.records import ExpertRecord
from store.models import Embedding, ItemState, LibraryItem

if TYPE_CHECKING:
    from bot.search.embedding import Encoder

EVIDENCE = "evidence"  # embeddings of expert topics and answered questions, keyed by text hash
ITEM_FIRST = "item-first"  # an item's first-pass vector: its title line and first body lines
FIRST_LINES = 1  # lines of an item embedded in the first pass: its title + tags (FAQ validation, bench/README.md)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def first_lines(text: str) -> str:
    """The part of an item's embedding text the first pass embeds."""
    return "\n".join(text.split("\n")[:FIRST_LINES])


class StoredVectors:
    """Embeddings of one encoder in the `embeddings` table: an item's are its DocumentVectors
    (centroid and lines), anything else's one vector."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def drop_other_models(self, session: Session) -> None:
        """Forget vectors of a previous model (they are recomputed with this one)."""
        session.execute(delete(Embedding).where(Embedding.model_id != self.encoder.model_id))

    def drop_inactive_items(self, session: Session) -> None:
        """Forget the vectors of items out of search (obsolete, archived) or deleted: no start reads them."""
        active = select(cast(LibraryItem.id, String)).where(LibraryItem.state == ItemState.ACTIVE)  # read once
        session.execute(delete(Embedding).where(Embedding.kind.in_([ITEM, ITEM_FIRST]), Embedding.ref.not_in(active)))

    def hashes(self, session: Session, kind: str, refs: Iterable[str] | None = None) -> dict[str, str]:
        """ref -> text hash of the stored vectors of ``kind`` (of ``refs`` only, if given)."""
        stmt = select(Embedding.ref, Embedding.text_hash).where(Embedding.kind == kind,
                                                                Embedding.model_id == self.encoder.model_id)
        if refs is not None:
            stmt = stmt.where(Embedding.ref.in_(list(refs)))
        return {ref: digest for ref, digest in session.execute(stmt)}

    def get(self, session: Session, kind: str, texts: Mapping[str, str]) -> dict[str, Any]:
        """ref -> stored vector of ``texts`` (ref -> text) whose text is the stored one's; items by
        ``items``. Missing ones are left out: they are matched by words until the embedder stores them."""
        return {ref: vector for ref, (digest, vector) in self._rows(session, kind, texts).items()
                if digest == text_hash(texts[ref])}

    def items(self, session: Session, texts: Mapping[str, str]) -> dict[str, Any]:
        """ref -> DocumentVectors of the items ``texts`` (ref -> embedding text): all lines when
        stored, else the first pass's."""
        from bot.search.vectors import DocumentVectors

        full = self.get(session, ITEM, texts)
        rest = {ref: first_lines(text) for ref, text in texts.items() if ref not in full}
        found = {**self.get(session, ITEM_FIRST, rest), **full} if rest else full
        return {ref: DocumentVectors.from_bytes(data, self.encoder.dimension) for ref, data in found.items()}

    def vectors(self, session: Session, kind: str, texts: Mapping[str, str]) -> dict[str, Any]:
        """ref -> stored float32 vector (past questions, expert evidence) of ``texts`` (ref -> text)."""
        from bot.search.vectors import from_bytes

        return {ref: from_bytes(data) for ref, data in self.get(session, kind, texts).items()}

    def _rows(self, session: Session, kind: str, texts: Mapping[str, str]) -> dict[str, tuple[str, bytes]]:
        """ref -> (text hash, vector) of the stored vectors of ``texts``' refs: by ref for a few, else one
        scan of the kind (one query beats many: 100k refs in batches of 500 took minutes on PostgreSQL;
        the embedder's plan deletes the vectors of items out of search, so little of the scan is waste)."""
        stmt = select(Embedding.ref, Embedding.text_hash, Embedding.vector).where(
            Embedding.kind == kind, Embedding.model_id == self.encoder.model_id)
        if len(texts) <= 500:
            stmt = stmt.where(Embedding.ref.in_(list(texts)))
        return {ref: (digest, vector) for ref, digest, vector in session.execute(stmt) if ref in texts}

    def save(self, session: Session, kind: str, rows: Mapping[str, tuple[str, Any]], now: datetime) -> bool:
        """Store ``rows`` (ref -> (text, vector)) in place of any stored vector of those refs (and,
        for full items, of their first pass) and commit; False if another process stored one first."""
        from bot.search.vectors import to_bytes

        kinds = [kind, ITEM_FIRST] if kind == ITEM else [kind]
        session.execute(delete(Embedding).where(Embedding.kind.in_(kinds), Embedding.model_id == self.encoder.model_id,
                                                Embedding.ref.in_(list(rows))))
        session.add_all(Embedding(kind=kind, ref=ref, model_id=self.encoder.model_id, text_hash=text_hash(text),
                                  vector=to_bytes(vector), updated_at=now) for ref, (text, vector) in rows.items())
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
        return True


def evidence_texts(experts: Iterable[ExpertRecord]) -> dict[str, str]:
    """Text hash -> text of every topic and answered question of ``experts``."""
    texts = (text for e in experts for text in (*e.topics, *(q for q, _ in e.answered)))
    return {text_hash(text): text for text in texts}

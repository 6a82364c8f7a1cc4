"""Background embedding: store the vectors of everything the live index has none for, in chunks.

Run by a worker thread of the leader process (bot.run.scheduler) and by `learnbot embed`, which an
admin may run on other machines, several at once: each chunk (up to CHUNK refs of one kind, by id
range) is claimed with a PostgreSQL advisory lock held while it is embedded, and what is still
missing is re-read after the claim, so no text is embedded twice. (SQLite is a single-process
store: there no claim is taken, and two embedders at once might both embed a chunk.) A stopped run
loses only its current chunk: the next one resumes with what is still missing.

Two passes. First the short texts (past questions, expert evidence) and each item's title line
(``stored_vectors.FIRST_LINES``), so every item soon has a useful vector; then the rest of each
item's lines, combined with the first pass's line vectors (not embedded again) into the full vector.
Each stored chunk logs an index change per thing, in the same transaction, so every process's live
index picks the new vectors up at its next refresh.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from threading import Event
from typing import TYPE_CHECKING, Any, Callable, Iterator

from sqlalchemy import String, cast, exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.search.changes import EXPERT, ITEM, QUESTION, note_change
from bot.search.database import answered_questions, expert_records, split_tags
from bot.search.records import ItemRecord
from bot.search.stored_vectors import EVIDENCE, FIRST_LINES, ITEM_FIRST, StoredVectors, first_lines, text_hash
from bot.search.text import embedding_text
from store.db import read_only_sessions
from store.models import Embedding, ItemState, LibraryItem

if TYPE_CHECKING:
    from bot.search.embedding import Encoder

CHUNK = 256  # refs per claimed chunk: a few seconds of embedding on one core
LOCK_CLASS = 0x1EA20  # first key of a chunk's advisory lock (plus the kind's number); second: the chunk
KINDS = (QUESTION, EVIDENCE, ITEM_FIRST, ITEM)  # a chunk's claim key is its kind's number here


@dataclass(frozen=True)
class Chunk:
    """Texts of one kind to embed (ref -> text) and the index changes to log once they are stored;
    a first-pass chunk also holds its items' whole texts (``whole``), an evidence chunk the past
    questions of the same texts (``asked``: ref -> question ref), whose vectors it reuses."""

    kind: str
    number: int
    texts: dict[str, str]
    changes: tuple[tuple[str, str], ...]
    whole: dict[str, str] = field(default_factory=dict)
    asked: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbedReport:
    """What a run did: texts embedded, and texts left because another embedder holds their chunk."""

    embedded: int
    busy: int
    stopped: bool


@dataclass(frozen=True)
class EmbedStatus:
    """How far the library's items are: fully embedded, by their title (first pass) only, not at all."""

    items: int
    embedded: int
    first_pass: int

    @property
    def pending(self) -> int:
        return self.items - self.embedded - self.first_pass

    def summary(self) -> str:
        return (f"{self.embedded:,} of {self.items:,} items embedded, {self.first_pass:,} by title only, "
                f"{self.pending:,} not yet")


def embedding_status(session: Session, model_id: str) -> EmbedStatus:
    """Counts of active items by their stored vectors of ``model_id`` (an edited item counts by its old
    vector until the embedder replaces it, even once its new title is embedded)."""
    active = LibraryItem.state == ItemState.ACTIVE

    def stored(kind: str) -> Any:
        return exists().where(Embedding.kind == kind, Embedding.model_id == model_id,
                              Embedding.ref == cast(LibraryItem.id, String))

    def count(*where: Any) -> int:
        return session.scalar(select(func.count()).select_from(LibraryItem).where(active, *where)) or 0

    return EmbedStatus(count(), count(stored(ITEM)), count(stored(ITEM_FIRST), ~stored(ITEM)))


class Embedder:
    """Embeds and stores, chunk by chunk, what has no stored vector for ``encoder``."""

    def __init__(self, sessions: sessionmaker[Session], encoder: Encoder, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._reads = read_only_sessions(sessions)  # for the plan's long reads: writers need not wait for them
        self._encoder = encoder
        self._vectors = StoredVectors(encoder)
        self._clock = clock

    def run(self, chunks: list[Chunk] | None = None, stop: Event | None = None,
            progress: Callable[[int], None] | None = None) -> EmbedReport:
        """Embed ``chunks`` (default: ``plan()``'s), in order, then once more those another embedder
        held (it may have finished, or died); returns early once ``stop`` is set.
        ``progress(texts done)`` after each chunk of the first round."""
        if chunks is None:
            chunks = self.plan()
        done, embedded, held = 0, 0, list[Chunk]()
        for chunk in chunks:
            if stop is not None and stop.is_set():
                return EmbedReport(embedded, _texts(held), stopped=True)
            count = self._embed_claimed(chunk)
            if count is None:
                held.append(chunk)
            else:
                embedded += count
            done += len(chunk.texts)
            if progress:
                progress(done)
        busy: list[Chunk] = []
        for i, chunk in enumerate(held):
            if stop is not None and stop.is_set():
                return EmbedReport(embedded, _texts(busy + held[i:]), stopped=True)
            if (count := self._embed_claimed(chunk)) is None:
                busy.append(chunk)
            else:
                embedded += count
        return EmbedReport(embedded, _texts(busy), stopped=False)

    def plan(self) -> list[Chunk]:
        """The chunks still to embed, pass 1 first (vectors of another model, and of items out of search or
        deleted, are deleted first)."""
        with self._sessions() as session:
            self._vectors.drop_other_models(session)
            self._vectors.drop_inactive_items(session)
            session.commit()
        with self._reads() as session:
            return self._plan(session, self._clock())

    def _plan(self, session: Session, now: datetime) -> list[Chunk]:
        full = self._missing(session, ITEM, _item_texts(session))
        long = {ref: text for ref, text in full.items() if first_lines(text) != text}
        firsts = self._missing(session, ITEM_FIRST, {ref: first_lines(text) for ref, text in long.items()})
        owners: dict[str, set[str]] = defaultdict(set)  # evidence text hash -> the experts who carry it
        evidence: dict[str, str] = {}
        for expert in expert_records(session, now).values():
            for text in (*expert.topics, *(q for q, _ in expert.answered)):
                evidence[text_hash(text)] = text
                owners[text_hash(text)].add(expert.user_id)
        questions = {str(q.id): q.text for q in answered_questions(session)}
        asked = {text_hash(text): ref for ref, text in questions.items()}
        work = [  # pass 1: short texts, titles, items of one line; pass 2: the other items
            (QUESTION, self._missing(session, QUESTION, questions)),
            (EVIDENCE, self._missing(session, EVIDENCE, evidence)),
            (ITEM_FIRST, firsts),
            (ITEM, {ref: text for ref, text in full.items() if ref not in long}),
            (ITEM, long),
        ]
        session.commit()
        chunks = []
        for kind, pending in work:
            by_number: dict[int, dict[str, str]] = defaultdict(dict)
            for ref, text in pending.items():
                by_number[_chunk_number(kind, ref)][ref] = text
            for number, texts in sorted(by_number.items()):
                changes = (((EXPERT, user) for ref in texts for user in sorted(owners[ref])) if kind == EVIDENCE
                           else ((QUESTION if kind == QUESTION else ITEM, ref) for ref in texts))
                whole = {ref: full[ref] for ref in texts} if kind == ITEM_FIRST else {}
                same = {ref: asked[ref] for ref in texts if ref in asked} if kind == EVIDENCE else {}
                chunks.append(Chunk(kind, number, texts, tuple(dict.fromkeys(changes)), whole, same))
        return chunks

    def _missing(self, session: Session, kind: str, texts: dict[str, str]) -> dict[str, str]:
        """The texts whose stored vector of ``kind`` is missing or was computed from another text."""
        stored = self._vectors.hashes(session, kind, None if len(texts) > 500 else texts)
        return {ref: text for ref, text in texts.items() if stored.get(ref) != text_hash(text)}

    def _embed_claimed(self, chunk: Chunk) -> int | None:
        """Texts of ``chunk`` embedded under its claim, or None when another embedder holds it."""
        with self._claimed(chunk) as claimed:
            return self._embed(chunk) if claimed else None

    @contextmanager
    def _claimed(self, chunk: Chunk) -> Iterator[bool]:
        """Hold the chunk's claim (PostgreSQL: an advisory lock for as long as the block runs); False
        when another embedder holds it. A process that dies loses its connection, and the claim with it."""
        with self._sessions() as session:
            if session.get_bind().dialect.name != "postgresql":
                yield True
                return
            kind = ITEM if chunk.kind == ITEM_FIRST else chunk.kind  # an item's two passes: one claim
            yield bool(session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_CLASS + KINDS.index(kind),
                                                                            chunk.number))))
            session.rollback()  # ends the transaction, and with it the lock

    def _embed(self, chunk: Chunk) -> int:
        """Embed and store what of ``chunk`` is still missing (another embedder may have stored some
        between the plan and the claim); returns how many texts were embedded. An item edited or taken
        out of search since the plan is left out: the next plan has its current text."""
        with self._sessions() as session:
            texts = self._missing(session, chunk.kind, chunk.texts)
            if chunk.kind in (ITEM, ITEM_FIRST):
                current = _item_texts(session, [int(ref) for ref in texts])
                planned = chunk.whole if chunk.kind == ITEM_FIRST else chunk.texts
                texts = {ref: text for ref, text in texts.items() if current.get(ref) == planned[ref]}
            if chunk.kind == ITEM_FIRST:  # and not meanwhile embedded whole
                unfinished = self._missing(session, ITEM, chunk.whole)
                texts = {ref: text for ref, text in texts.items() if ref in unfinished}
            firsts = self._first_passes(session, texts) if chunk.kind == ITEM else {}
            reused = self._asked(session, chunk, texts) if chunk.asked else {}
            session.commit()  # no transaction stays open while embedding (on SQLite it would hold the write lock)
            if not texts:
                return 0
            refs = list(texts)
            if chunk.kind == ITEM:
                vectors = self._documents([texts[ref] for ref in refs], [firsts.get(ref) for ref in refs])
            elif chunk.kind == ITEM_FIRST:
                vectors = self._encoder.encode_documents([texts[ref] for ref in refs])
            else:
                fresh = [ref for ref in refs if ref not in reused]
                encoded = dict(zip(fresh, self._encoder.encode([texts[ref] for ref in fresh]))) if fresh else {}
                vectors = [reused[ref] if ref in reused else encoded[ref] for ref in refs]
            now = self._clock()
            for kind, ref in chunk.changes:
                note_change(session, kind, ref, now)
            stored = self._vectors.save(session, chunk.kind, {ref: (texts[ref], v) for ref, v in zip(refs, vectors)},
                                        now)
        return len(refs) if stored else 0

    def _asked(self, session: Session, chunk: Chunk, texts: dict[str, str]) -> dict[str, Any]:
        """ref -> the stored vector of the past question of the same text, for evidence ``texts``."""
        known = self._vectors.vectors(session, QUESTION, {chunk.asked[ref]: text for ref, text in texts.items()
                                                          if ref in chunk.asked})
        return {ref: known[chunk.asked[ref]] for ref in texts if chunk.asked.get(ref) in known}

    def _first_passes(self, session: Session, texts: dict[str, str]) -> dict[str, Any]:
        """ref -> the stored first-pass DocumentVectors of those items whose title line is unchanged."""
        from bot.search.vectors import DocumentVectors

        found = self._vectors.get(session, ITEM_FIRST, {ref: first_lines(text) for ref, text in texts.items()})
        return {ref: DocumentVectors.from_bytes(data, self._encoder.dimension) for ref, data in found.items()}

    def _documents(self, texts: list[str], firsts: list[Any]) -> list[Any]:
        """Full DocumentVectors of items; an item with a first pass has only its other lines embedded."""
        import numpy as np

        from bot.search.embedding import passages
        from bot.search.vectors import DocumentVectors

        rows = [None if first is None else _line_rows(first) for first in firsts]
        fresh = [i for i, first in enumerate(rows) if first is None]
        out: list[Any] = [None] * len(texts)
        for i, vectors in zip(fresh, self._encoder.encode_documents([texts[i] for i in fresh])):
            out[i] = vectors
        rest = {i: passages(texts[i])[FIRST_LINES:] for i, first in enumerate(rows) if first is not None}
        lines = self._encoder.encode([line for i in rest for line in rest[i]]) if rest else None
        row = 0
        for i, more in rest.items():
            out[i] = DocumentVectors.of_lines(np.vstack([rows[i], lines[row:row + len(more)]]))
            row += len(more)
        return out


def _texts(chunks: list[Chunk]) -> int:
    return sum(len(chunk.texts) for chunk in chunks)


def _item_texts(session: Session, ids: list[int] | None = None) -> dict[str, str]:
    """ref -> embedding text of the active items (of ``ids`` only, if given)."""
    stmt = select(LibraryItem.id, LibraryItem.title, LibraryItem.body, LibraryItem.tags).where(
        LibraryItem.state == ItemState.ACTIVE)
    if ids is not None:
        stmt = stmt.where(LibraryItem.id.in_(ids))
    return {str(i): embedding_text(ItemRecord(i, title, body, split_tags(tags)))
            for i, title, body, tags in session.execute(stmt)}


def _line_rows(first: Any) -> Any:
    """The unit line vectors of a first pass (a single line's is its centroid), or None if it does not
    hold FIRST_LINES lines."""
    rows = first.lines.unit_rows() if len(first.lines.scales) else first.centroid[None, :]
    return rows if len(rows) == FIRST_LINES else None


def _chunk_number(kind: str, ref: str) -> int:
    """The chunk a ref belongs to: an id range, or (evidence, keyed by text hash) a hash prefix."""
    return int(ref[:2], 16) if kind == EVIDENCE else int(ref) // CHUNK

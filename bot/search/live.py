"""The live matching index of one process: built from the database, kept current by the change log.

Every write that affects matching appends an `IndexChange` row in the same transaction; each process
replays the rows it has not seen yet (`refresh`), so items added by another process become
searchable within one refresh interval and a restart rebuilds everything from the tables.

With an encoder (the `semantic` extra) the index embeds questions only: documents take their vectors
from the `embeddings` table, which the embedder (bot.search.embedder) fills in the background. A
start, an import or a refresh never waits for embedding: what has no stored vector yet is matched by
words alone, and joins semantic matching when the embedder stores its vector and logs the change.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.search.changes import EXPERT, ITEM, QUESTION, SYNONYMS
from bot.search.database import answered_questions, expert_records, item_record, item_records, synonym_groups
from bot.search.engine import MatchIndex
from bot.search.records import Audiences, ExpertRecord, ItemRecord, MatchResult, QuestionRecord
from bot.search.stored_vectors import EVIDENCE, ITEM_FIRST, StoredVectors, evidence_texts
from bot.search.text import embedding_text
from store.db import read_only_sessions
from store.models import Answer, Expertise, IndexChange, ItemState, LibraryItem

if TYPE_CHECKING:
    from bot.search.embedding import Encoder

RELOAD_AFTER = 2000
FADE_EVERY = timedelta(days=1)  # learned expertise is re-weighed for its age this often
FADE_CHUNK = 500  # experts re-weighed per hold of the index lock
GAP_WAIT = timedelta(minutes=10)  # how long a skipped change number is looked for again (a write still running)
GAP_LOOKBACK = 10_000  # change numbers below the start of a build checked for writes still running
MAX_GAPS = 100  # ranges of skipped change numbers kept (the oldest are dropped)


class LiveIndex:
    """A MatchIndex plus the position in the change log it has caught up to. It only reads, in read-only
    sessions (on SQLite, writers do not wait for a build's reads)."""

    def __init__(self, sessions: sessionmaker[Session], threshold: float | None = None,
                 encoder: Encoder | None = None) -> None:
        self._sessions = read_only_sessions(sessions)
        self._threshold = threshold
        self.encoder = encoder
        self._vectors = StoredVectors(encoder) if encoder is not None else None
        self._index = self._new_index([])
        self._seen = 0
        self._gaps: list[tuple[int, int, datetime]] = []  # (first, last, since): change numbers not seen yet
        self._faded_at: datetime | None = None
        self._lock = threading.Lock()  # incremental changes and the swap after a rebuild
        self._rebuild = threading.Lock()  # one full rebuild at a time; searches never wait for it

    def _new_index(self, synonyms: list[tuple[str, ...]]) -> MatchIndex:
        return MatchIndex(synonyms=synonyms, threshold=self._threshold, encoder=self.encoder, embed_documents=False)

    def search(self, query: str, limit: int = 5, *, explain: bool = False, exclude_experts: tuple[str, ...] = (),
               now: datetime | None = None, audiences: Audiences = ()) -> MatchResult:
        """Search the current index; with `now`, stale items are demoted; content is the items of
        `audiences` and the organisation-wide ones (ALL_AUDIENCES: every item; MatchIndex.search)."""
        return self._index.search(query, limit, explain=explain, exclude_experts=exclude_experts, now=now,
                                  audiences=audiences)

    def load(self, now: datetime) -> None:
        """Build the whole index from the database (at start)."""
        with self._rebuild:
            self._build(now)

    def _build(self, now: datetime) -> None:
        """Build a new index with the stored vectors, then swap it in; searches use the previous one
        meanwhile, and changes logged after the start of the build are replayed by the next refresh.
        The database is read first, in one transaction (one snapshot), ended before indexing."""
        with self._sessions() as session:
            seen = session.scalar(select(func.max(IndexChange.id))) or 0
            first = max(1, seen - GAP_LOOKBACK + 1)
            gaps = [(lo, hi, now) for lo, hi in _missing_numbers(first, seen, session.scalars(
                select(IndexChange.id).where(IndexChange.id >= first)))]
            synonyms = synonym_groups(session)
            items = item_records(session)
            questions = answered_questions(session)
            experts = list(expert_records(session, now).values())
            item_vectors, question_vectors, evidence_vectors = self._load_vectors(session, items, questions, experts)
        index = self._new_index(synonyms)
        for record in items:
            index.upsert_item(record, item_vectors.get(str(record.id)))
        for question in questions:
            index.upsert_question(question, question_vectors.get(str(question.id)))
        for expert in experts:
            index.upsert_expert(expert, evidence_vectors)
        with self._lock:
            self._index, self._seen, self._faded_at, self._gaps = index, seen, now, gaps[-MAX_GAPS:]

    def _load_vectors(self, session: Session, items: list[ItemRecord], questions: list[QuestionRecord],
                      experts: list[ExpertRecord]) -> tuple[dict[str, Any], ...]:
        """The stored embeddings of everything (what has none is left out); empty without an encoder."""
        if self._vectors is None:
            return {}, {}, {}
        texts = evidence_texts(experts)
        by_hash = self._vectors.vectors(session, EVIDENCE, texts)
        embedded = {*self._vectors.hashes(session, ITEM), *self._vectors.hashes(session, ITEM_FIRST)}
        return (
            self._vectors.items(session, {str(r.id): embedding_text(r) for r in items if str(r.id) in embedded}),
            self._vectors.vectors(session, QUESTION, {str(q.id): q.text for q in questions}),
            {text: by_hash[key] for key, text in texts.items() if key in by_hash},
        )

    def refresh(self, now: datetime, *, rebuild: bool = True) -> int:
        """Apply the changes logged since the last refresh; returns how many were applied.

        Each changed thing is re-read once however often it changed; after a bulk import (more
        than RELOAD_AFTER changes) a full rebuild is quicker than replaying. It runs only with
        ``rebuild`` (the scheduler's refresh, not a request's) and when no other rebuild is running;
        so does the daily re-weighing of learned expertise (`fade`).
        """
        applied = self._replay(now, rebuild)
        if rebuild and (self._faded_at is None or now - self._faded_at >= FADE_EVERY):
            self.fade(now)
        return applied

    def fade(self, now: datetime) -> None:
        """Re-weigh every expert's answers for their age at `now`, a chunk at a time: searches go on
        between chunks, and a chunk is read under the lock so a newer change is never overwritten."""
        with self._sessions() as session:
            user_ids = sorted(set(session.scalars(select(Expertise.user_id))) | set(session.scalars(
                select(Answer.user_id).where(Answer.deleted_at.is_(None)))))
        for start in range(0, len(user_ids), FADE_CHUNK):
            with self._lock, self._sessions() as session:
                for expert in expert_records(session, now, user_ids[start:start + FADE_CHUNK]).values():
                    self._index.upsert_expert(expert)  # same texts: the indexed embeddings are reused
        self._faded_at = now

    def _replay(self, now: datetime, rebuild: bool) -> int:
        """Apply the changes after the last one seen, and those numbered before it that were not
        committed yet then (PostgreSQL numbers a change when it is written, not when it commits)."""
        with self._lock:
            gaps = [(lo, hi, since) for lo, hi, since in self._gaps if now - since < GAP_WAIT]
            with self._sessions() as session:
                changes = session.execute(
                    select(IndexChange.id, IndexChange.kind, IndexChange.ref)
                    .where(or_(IndexChange.id > self._seen, *(IndexChange.id.between(lo, hi) for lo, hi, _ in gaps)))
                    .order_by(IndexChange.id)
                ).all()
                if len(changes) <= RELOAD_AFTER:
                    for kind, ref in dict.fromkeys((kind, ref) for _, kind, ref in changes):
                        self._apply(session, kind, ref, now)
                    numbers = [number for number, _, _ in changes]
                    gaps = [(a, b, since) for lo, hi, since in gaps for a, b in _missing_numbers(lo, hi, numbers)]
                    top = max(self._seen, numbers[-1] if numbers else 0)
                    gaps += [(lo, hi, now) for lo, hi in _missing_numbers(self._seen + 1, top, numbers)]
                    self._seen, self._gaps = top, gaps[-MAX_GAPS:]
                    return len(changes)
        if not rebuild or not self._rebuild.acquire(blocking=False):
            return 0  # the current index keeps serving until the rebuild swaps in
        try:
            self._build(now)
        finally:
            self._rebuild.release()
        return len(changes)

    def _apply(self, session: Session, kind: str, ref: str, now: datetime) -> None:
        if kind == ITEM:
            item = session.get(LibraryItem, int(ref))
            if item is None or item.state != ItemState.ACTIVE:
                self._index.remove_item(int(ref))
            else:
                record = item_record(session, item)
                self._index.upsert_item(record, self._vector(session, ITEM, ref, embedding_text(record)))
        elif kind == EXPERT:
            expert = expert_records(session, now, [ref]).get(ref)
            if expert is None:
                self._index.remove_expert(ref)
            else:
                self._index.upsert_expert(expert, self._evidence_vectors(session, expert))
        elif kind == QUESTION:
            records = answered_questions(session, int(ref))
            if records:
                self._index.upsert_question(records[0], self._vector(session, QUESTION, ref, records[0].text))
            else:
                self._index.remove_question(int(ref))
        elif kind == SYNONYMS:
            self._index.set_synonyms(synonym_groups(session))

    def _vector(self, session: Session, kind: str, ref: str, text: str) -> Any:
        """The stored embedding of one item or past question; None when not stored (yet) or without an encoder."""
        if self._vectors is None:
            return None
        if kind == ITEM:
            return self._vectors.items(session, {ref: text}).get(ref)
        return self._vectors.vectors(session, kind, {ref: text}).get(ref)

    def _evidence_vectors(self, session: Session, expert: ExpertRecord) -> dict[str, Any] | None:
        if self._vectors is None:
            return None
        texts = evidence_texts([expert])
        by_hash = self._vectors.vectors(session, EVIDENCE, texts)
        return {text: by_hash[key] for key, text in texts.items() if key in by_hash}


def _missing_numbers(first: int, last: int, found: Iterable[int]) -> list[tuple[int, int]]:
    """The ranges (first, last) of the numbers from ``first`` to ``last`` that are not in ``found``."""
    ranges, expected = [], first
    for number in sorted(n for n in found if first <= n <= last):
        if number > expected:
            ranges.append((expected, number - 1))
        expected = number + 1
    if expected <= last:
        ranges.append((expected, last))
    return ranges

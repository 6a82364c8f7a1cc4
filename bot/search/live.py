"""The live matching index of one process: built from the database, kept current by a change log.

Every write that affects matching appends an `IndexChange` row in the same transaction; each process
replays the rows it has not seen yet (`refresh`), so items added by another process become
searchable within one refresh interval and a restart rebuilds everything from the tables.

With an encoder (the `semantic` extra) the embeddings are kept in the `embeddings` table: a start
reads them and computes only the missing or stale ones (text or model changed), in batches.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.search.engine import ExpertRecord, ItemRecord, MatchIndex, MatchResult, QuestionRecord, embedding_text
from bot.progress import progress_bar
from store.models import (
    Answer,
    Embedding,
    Expertise,
    Feedback,
    IndexChange,
    LibraryItem,
    Question,
    SynonymGroup,
)

if TYPE_CHECKING:
    from bot.search.encoders import Encoder

ITEM, EXPERT, QUESTION, SYNONYMS = "item", "expert", "question", "synonyms"
LEARNED_HALF_LIFE = timedelta(days=180)
RELOAD_AFTER = 2000
EVIDENCE = "evidence"  # embeddings of expert topics and answered questions, keyed by text hash
EMBED_CHUNK = 2048  # embeddings computed and stored per transaction at start


def note_change(session: Session, kind: str, ref: object, now: datetime) -> None:
    """Tell every process's index to re-read `ref` of `kind` (call inside the writing transaction)."""
    session.add(IndexChange(kind=kind, ref=str(ref), created_at=now))


def split_tags(tags: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in tags.replace(";", ",").split(",") if t.strip())


def item_record(session: Session, item: LibraryItem) -> ItemRecord:
    """The matcher's view of one item, with what feedback taught about it."""
    rows = session.execute(
        select(Question.text, Feedback.helpful)
        .join(Feedback, Feedback.question_id == Question.id)
        .where(Feedback.item_id == item.id)
    ).all()
    return ItemRecord(
        id=item.id, title=item.title, body=item.body, tags=split_tags(item.tags), url=item.url,
        aliases=tuple(text for text, helpful in rows if helpful),
        rejections=tuple(text for text, helpful in rows if not helpful),
    )


def expert_records(session: Session, now: datetime, user_ids: Iterable[str] | None = None) -> dict[str, ExpertRecord]:
    """Declared and imported topics plus the questions each person answered.

    An answer weighs 1 (2 once accepted) and fades with a half-life of LEARNED_HALF_LIFE, so
    routing follows who actually helps now. With `user_ids`, only those people.
    """
    topics_q = select(Expertise.user_id, Expertise.topic).order_by(Expertise.id)
    answers_q = (select(Answer.user_id, Question.text, Answer.accepted_at, Answer.created_at)
                 .join(Question, Question.id == Answer.question_id).where(Answer.deleted_at.is_(None)))
    if user_ids is not None:
        ids = list(user_ids)
        topics_q, answers_q = topics_q.where(Expertise.user_id.in_(ids)), answers_q.where(Answer.user_id.in_(ids))
    topics: dict[str, list[str]] = defaultdict(list)
    answered: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for user_id, topic in session.execute(topics_q):
        topics[user_id].append(topic)
    for user_id, text, accepted_at, created_at in session.execute(answers_q):
        answered[user_id].append((text, _faded(2.0 if accepted_at else 1.0, created_at, now)))
    return {user_id: ExpertRecord(user_id=user_id, topics=tuple(topics[user_id]), answered=tuple(answered[user_id]))
            for user_id in set(topics) | set(answered)}


def _faded(weight: float, created: datetime, now: datetime) -> float:
    age = max(now - created, timedelta(0))
    return weight * 0.5 ** (age / LEARNED_HALF_LIFE)


def _answered_questions(session: Session, only_id: int | None = None) -> list[QuestionRecord]:
    """Past questions worth offering again: resolved, with an answer still standing."""
    standing = exists().where(Answer.question_id == Question.id, Answer.deleted_at.is_(None))
    stmt = select(Question.id, Question.text).where(Question.status == "resolved", standing)
    if only_id is not None:
        stmt = stmt.where(Question.id == only_id)
    return [QuestionRecord(id=qid, text=text) for qid, text in session.execute(stmt)]


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class StoredVectors:
    """Embeddings of one encoder, read from and written back to the `embeddings` table: an item's
    are its DocumentVectors (centroid and lines), anything else's one vector."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def drop_other_models(self, session: Session) -> None:
        """Forget vectors of a previous model (they are recomputed with this one)."""
        session.execute(delete(Embedding).where(Embedding.model_id != self.encoder.model_id))

    def get(self, session: Session, kind: str, texts: Mapping[str, str], now: datetime,
            label: str = "") -> dict[str, Any]:
        """ref -> vector for ``texts`` (ref -> text): stored ones reused, the others computed and stored."""
        stored = self._stored(session, kind, texts)
        vectors = {ref: self._load(kind, stored[ref][1]) for ref, text in texts.items()
                   if ref in stored and stored[ref][0] == _text_hash(text)}
        missing = [ref for ref in texts if ref not in vectors]
        session.commit()  # end the reads before embedding: a SQLite transaction holds the write lock
        progress = progress_bar(len(missing), label or f"embedding {kind}s")
        encode = self.encoder.encode_documents if kind == ITEM else self.encoder.encode
        for start in range(0, len(missing), EMBED_CHUNK):
            refs = missing[start:start + EMBED_CHUNK]
            done = (lambda n, base=start: progress(base + n)) if progress else None
            computed = encode([texts[ref] for ref in refs], done)
            vectors.update(zip(refs, computed))
            self._save(session, kind, {ref: (texts[ref], vectors[ref]) for ref in refs}, stored, now)
        return vectors

    def _load(self, kind: str, data: bytes) -> Any:
        from bot.search.encoders import DocumentVectors, from_bytes

        return DocumentVectors.from_bytes(data, self.encoder.dimension) if kind == ITEM else from_bytes(data)

    def _stored(self, session: Session, kind: str, texts: Mapping[str, str]) -> dict[str, tuple[str, bytes]]:
        stmt = select(Embedding.ref, Embedding.text_hash, Embedding.vector).where(
            Embedding.kind == kind, Embedding.model_id == self.encoder.model_id)
        if len(texts) <= 500:
            stmt = stmt.where(Embedding.ref.in_(list(texts)))
        return {ref: (text_hash, vector) for ref, text_hash, vector in session.execute(stmt) if ref in texts}

    def _save(self, session: Session, kind: str, rows: Mapping[str, tuple[str, Any]],
              stored: Mapping[str, object], now: datetime) -> None:
        """Insert or update rows and commit; a concurrent insert by another process is not an error."""
        from bot.search.encoders import to_bytes

        stale = [ref for ref in rows if ref in stored]
        if stale:
            session.execute(delete(Embedding).where(
                Embedding.kind == kind, Embedding.model_id == self.encoder.model_id, Embedding.ref.in_(stale)))
        session.add_all(Embedding(kind=kind, ref=ref, model_id=self.encoder.model_id, text_hash=_text_hash(text),
                                  vector=to_bytes(vector), updated_at=now) for ref, (text, vector) in rows.items())
        try:
            session.commit()
        except IntegrityError:
            session.rollback()


def _evidence_texts(experts: Iterable[ExpertRecord]) -> dict[str, str]:
    """Text hash -> text of every topic and answered question of ``experts``."""
    texts = (text for e in experts for text in (*e.topics, *(q for q, _ in e.answered)))
    return {_text_hash(text): text for text in texts}


class LiveIndex:
    """A MatchIndex plus the position in the change log it has caught up to."""

    def __init__(self, sessions: sessionmaker[Session], threshold: float | None = None,
                 encoder: Encoder | None = None) -> None:
        self._sessions = sessions
        self._threshold = threshold
        self._encoder = encoder
        self._vectors = StoredVectors(encoder) if encoder is not None else None
        self._index = self._new_index([])
        self._seen = 0
        self._lock = threading.Lock()  # incremental changes and the swap after a rebuild
        self._rebuild = threading.Lock()  # one full rebuild at a time; searches never wait for it

    def _new_index(self, synonyms: list[tuple[str, ...]]) -> MatchIndex:
        return MatchIndex(synonyms=synonyms, threshold=self._threshold, encoder=self._encoder)

    def search(self, query: str, limit: int = 5, *, explain: bool = False,
               exclude_experts: tuple[str, ...] = ()) -> MatchResult:
        return self._index.search(query, limit, explain=explain, exclude_experts=exclude_experts)

    def load(self, now: datetime) -> None:
        """Build the whole index from the database (at start)."""
        with self._rebuild:
            self._build(now)

    def _build(self, now: datetime) -> None:
        """Build a new index (embedding what has no stored vector, which can take minutes), then
        swap it in; searches use the previous one meanwhile, and changes logged after the start of
        the build are replayed by the next refresh."""
        with self._sessions() as session:
            seen = session.scalar(select(func.max(IndexChange.id))) or 0
            index = self._new_index(_synonyms(session))
            aliases: dict[int, list[str]] = defaultdict(list)
            rejections: dict[int, list[str]] = defaultdict(list)
            for item_id, text, helpful in session.execute(
                select(Feedback.item_id, Question.text, Feedback.helpful)
                .join(Question, Question.id == Feedback.question_id)
            ):
                (aliases if helpful else rejections)[item_id].append(text)
            items = [ItemRecord(
                id=item.id, title=item.title, body=item.body, tags=split_tags(item.tags), url=item.url,
                aliases=tuple(aliases.get(item.id, ())), rejections=tuple(rejections.get(item.id, ())),
            ) for item in session.scalars(select(LibraryItem)).yield_per(5000)]
            questions = _answered_questions(session)
            experts = list(expert_records(session, now).values())
            item_vectors, question_vectors, evidence_vectors = self._load_vectors(session, items, questions, experts, now)
            for record in items:
                index.upsert_item(record, item_vectors.get(str(record.id)))
            for question in questions:
                index.upsert_question(question, question_vectors.get(str(question.id)))
            for expert in experts:
                index.upsert_expert(expert, evidence_vectors)
        with self._lock:
            self._index, self._seen = index, seen

    def _load_vectors(self, session: Session, items: list[ItemRecord], questions: list[QuestionRecord],
                      experts: list[ExpertRecord], now: datetime) -> tuple[dict[str, Any], ...]:
        """Stored embeddings of everything (missing ones computed and stored); empty without an encoder."""
        if self._vectors is None:
            return {}, {}, {}
        self._vectors.drop_other_models(session)
        by_hash = self._vectors.get(session, EVIDENCE, _evidence_texts(experts), now, "embedding expertise")
        return (
            self._vectors.get(session, ITEM, {str(r.id): embedding_text(r) for r in items}, now),
            self._vectors.get(session, QUESTION, {str(q.id): q.text for q in questions}, now),
            {text: by_hash[key] for key, text in _evidence_texts(experts).items()},
        )

    def refresh(self, now: datetime, *, rebuild: bool = True) -> int:
        """Apply the changes logged since the last refresh; returns how many were applied.

        Each changed thing is re-read once however often it changed; after a bulk import (more
        than RELOAD_AFTER changes) a full rebuild is quicker than replaying. It runs only with
        ``rebuild`` (the scheduler's refresh, not a request's) and when no other rebuild is running.
        """
        with self._lock, self._sessions() as session:
            changes = session.execute(
                select(IndexChange.id, IndexChange.kind, IndexChange.ref)
                .where(IndexChange.id > self._seen).order_by(IndexChange.id)
            ).all()
        if len(changes) > RELOAD_AFTER:
            if not rebuild or not self._rebuild.acquire(blocking=False):
                return 0  # the current index keeps serving until the rebuild swaps in
            try:
                self._build(now)
            finally:
                self._rebuild.release()
            return len(changes)
        with self._lock, self._sessions() as session:
            for kind, ref in dict.fromkeys((kind, ref) for _, kind, ref in changes):
                self._apply(session, kind, ref, now)
            if changes:
                self._seen = max(self._seen, changes[-1][0])
            return len(changes)

    def _apply(self, session: Session, kind: str, ref: str, now: datetime) -> None:
        if kind == ITEM:
            item = session.get(LibraryItem, int(ref))
            if item is None:
                self._index.remove_item(int(ref))
            else:
                record = item_record(session, item)
                self._index.upsert_item(record, self._vector(session, ITEM, ref, embedding_text(record), now))
        elif kind == EXPERT:
            expert = expert_records(session, now, [ref]).get(ref)
            if expert is None:
                self._index.remove_expert(ref)
            else:
                self._index.upsert_expert(expert, self._evidence_vectors(session, expert, now))
        elif kind == QUESTION:
            records = _answered_questions(session, int(ref))
            if records:
                self._index.upsert_question(records[0], self._vector(session, QUESTION, ref, records[0].text, now))
            else:
                self._index.remove_question(int(ref))
        elif kind == SYNONYMS:
            self._index.set_synonyms(_synonyms(session))


    def _vector(self, session: Session, kind: str, ref: str, text: str, now: datetime) -> Any:
        """The stored (or newly computed and stored) embedding of one thing; None without an encoder."""
        if self._vectors is None:
            return None
        return self._vectors.get(session, kind, {ref: text}, now)[ref]

    def _evidence_vectors(self, session: Session, expert: ExpertRecord, now: datetime) -> dict[str, Any] | None:
        if self._vectors is None:
            return None
        texts = _evidence_texts([expert])
        by_hash = self._vectors.get(session, EVIDENCE, texts, now)
        return {text: by_hash[key] for key, text in texts.items()}


def _synonyms(session: Session) -> list[tuple[str, ...]]:
    return [tuple(t.strip() for t in terms.split(",")) for terms in session.scalars(select(SynonymGroup.terms))]

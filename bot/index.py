"""The live matching index of one process: built from the database, kept current by a change log.

Every write that affects matching appends an `IndexChange` row in the same transaction; each process
replays the rows it has not seen yet (`refresh`), so items added by another process become
searchable within one refresh interval and a restart rebuilds everything from the tables.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.matching import ExpertRecord, ItemRecord, MatchIndex, MatchResult, QuestionRecord
from store.models import Answer, Expertise, Feedback, IndexChange, LibraryItem, Question, SynonymGroup

ITEM, EXPERT, QUESTION, SYNONYMS = "item", "expert", "question", "synonyms"
LEARNED_HALF_LIFE = timedelta(days=180)
RELOAD_AFTER = 2000


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


class LiveIndex:
    """A MatchIndex plus the position in the change log it has caught up to."""

    def __init__(self, sessions: sessionmaker[Session], threshold: float | None = None) -> None:
        self._sessions = sessions
        self._threshold = threshold
        self._index = self._new_index([])
        self._seen = 0
        self._lock = threading.Lock()

    def _new_index(self, synonyms: list[tuple[str, ...]]) -> MatchIndex:
        if self._threshold is None:
            return MatchIndex(synonyms=synonyms)
        return MatchIndex(synonyms=synonyms, threshold=self._threshold)

    @property
    def matcher(self) -> MatchIndex:
        return self._index

    def search(self, query: str, limit: int = 5, *, explain: bool = False,
               exclude_experts: tuple[str, ...] = ()) -> MatchResult:
        return self._index.search(query, limit, explain=explain, exclude_experts=exclude_experts)

    def load(self, now: datetime) -> None:
        """Build the whole index from the database (at start)."""
        with self._lock, self._sessions() as session:
            self._seen = session.scalar(select(func.max(IndexChange.id))) or 0
            index = self._new_index(_synonyms(session))
            aliases: dict[int, list[str]] = defaultdict(list)
            rejections: dict[int, list[str]] = defaultdict(list)
            for item_id, text, helpful in session.execute(
                select(Feedback.item_id, Question.text, Feedback.helpful)
                .join(Question, Question.id == Feedback.question_id)
            ):
                (aliases if helpful else rejections)[item_id].append(text)
            for item in session.scalars(select(LibraryItem)).yield_per(5000):
                index.upsert_item(ItemRecord(
                    id=item.id, title=item.title, body=item.body, tags=split_tags(item.tags), url=item.url,
                    aliases=tuple(aliases.get(item.id, ())), rejections=tuple(rejections.get(item.id, ())),
                ))
            for record in _answered_questions(session):
                index.upsert_question(record)
            for expert in expert_records(session, now).values():
                index.upsert_expert(expert)
            self._index = index

    def refresh(self, now: datetime) -> int:
        """Apply the changes logged since the last refresh; returns how many were applied.

        Each changed thing is re-read once however often it changed; after a bulk import (more
        than RELOAD_AFTER changes) a full rebuild is quicker than replaying.
        """
        with self._lock, self._sessions() as session:
            changes = session.execute(
                select(IndexChange.id, IndexChange.kind, IndexChange.ref)
                .where(IndexChange.id > self._seen).order_by(IndexChange.id)
            ).all()
        if len(changes) > RELOAD_AFTER:
            self.load(now)
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
                self._index.upsert_item(item_record(session, item))
        elif kind == EXPERT:
            expert = expert_records(session, now, [ref]).get(ref)
            if expert is None:
                self._index.remove_expert(ref)
            else:
                self._index.upsert_expert(expert)
        elif kind == QUESTION:
            records = _answered_questions(session, int(ref))
            if records:
                self._index.upsert_question(records[0])
            else:
                self._index.remove_question(int(ref))
        elif kind == SYNONYMS:
            self._index.set_synonyms(_synonyms(session))


def _synonyms(session: Session) -> list[tuple[str, ...]]:
    return [tuple(t.strip() for t in terms.split(",")) for terms in session.scalars(select(SynonymGroup.terms))]

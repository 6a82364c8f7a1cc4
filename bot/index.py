"""The live matching index of one process: built from the database, kept current by a change log.

Every write that affects matching appends an `IndexChange` row in the same transaction; each process
replays the rows it has not seen yet (`refresh`), so items added by another process become
searchable within one refresh interval and a restart rebuilds everything from the tables.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.matching import ExpertRecord, ItemRecord, MatchIndex, MatchResult, QuestionRecord
from store.models import Answer, Expertise, Feedback, IndexChange, LibraryItem, Question, SynonymGroup

ITEM, EXPERT, QUESTION, SYNONYMS = "item", "expert", "question", "synonyms"
LEARNED_HALF_LIFE = timedelta(days=180)


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


def expert_record(session: Session, user_id: str, now: datetime) -> ExpertRecord | None:
    """Declared and imported topics plus the answered questions, weighted and fading with age."""
    topics = session.scalars(
        select(Expertise.topic).where(Expertise.user_id == user_id, Expertise.source != "learned")
        .order_by(Expertise.id)
    ).all()
    answered = [
        (text, _faded(weight, created, now))
        for text, weight, created in session.execute(
            select(Expertise.topic, Expertise.weight, Expertise.created_at)
            .where(Expertise.user_id == user_id, Expertise.source == "learned")
        )
    ]
    if not topics and not answered:
        return None
    return ExpertRecord(user_id=user_id, topics=tuple(topics), answered=tuple(answered))


def _faded(weight: float, created: datetime, now: datetime) -> float:
    age = max(now - created, timedelta(0))
    return weight * 0.5 ** (age / LEARNED_HALF_LIFE)


def _accepted_questions(session: Session, only_id: int | None = None) -> list[QuestionRecord]:
    stmt = (
        select(Question.id, Question.text)
        .where(Question.id.in_(select(Answer.question_id).where(Answer.accepted_at.is_not(None),
                                                                 Answer.deleted_at.is_(None))))
    )
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
            for record in _accepted_questions(session):
                index.upsert_question(record)
            for user_id in session.scalars(select(Expertise.user_id).distinct()):
                expert = expert_record(session, user_id, now)
                if expert:
                    index.upsert_expert(expert)
            self._index = index

    def refresh(self, now: datetime) -> int:
        """Apply the changes logged since the last refresh; returns how many were applied."""
        with self._lock, self._sessions() as session:
            changes = session.execute(
                select(IndexChange.id, IndexChange.kind, IndexChange.ref)
                .where(IndexChange.id > self._seen).order_by(IndexChange.id)
            ).all()
            for change_id, kind, ref in changes:
                self._apply(session, kind, ref, now)
                self._seen = change_id
            return len(changes)

    def _apply(self, session: Session, kind: str, ref: str, now: datetime) -> None:
        if kind == ITEM:
            item = session.get(LibraryItem, int(ref))
            if item is None:
                self._index.remove_item(int(ref))
            else:
                self._index.upsert_item(item_record(session, item))
        elif kind == EXPERT:
            expert = expert_record(session, ref, now)
            if expert is None:
                self._index.remove_expert(ref)
            else:
                self._index.upsert_expert(expert)
        elif kind == QUESTION:
            records = _accepted_questions(session, int(ref))
            if records:
                self._index.upsert_question(records[0])
            else:
                self._index.remove_question(int(ref))
        elif kind == SYNONYMS:
            self._index.set_synonyms(_synonyms(session))


def _synonyms(session: Session) -> list[tuple[str, ...]]:
    return [tuple(t.strip() for t in terms.split(",")) for terms in session.scalars(select(SynonymGroup.terms))]

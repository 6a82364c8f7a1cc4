"""The engine's records read from the database: items with what feedback taught, experts with what
they answered, answered past questions, synonym groups."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.search.records import ExpertRecord, ItemRecord, QuestionRecord
from store.models import Answer, Expertise, Feedback, ItemState, LibraryItem, Question, QuestionStatus, SynonymGroup

LEARNED_HALF_LIFE = timedelta(days=180)


def split_tags(tags: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in tags.replace(";", ",").split(",") if t.strip())


def _record(item: LibraryItem, aliases: Iterable[str], rejections: Iterable[str]) -> ItemRecord:
    return ItemRecord(id=item.id, title=item.title, body=item.body, tags=split_tags(item.tags), url=item.url,
                      aliases=tuple(aliases), rejections=tuple(rejections), review_due=item.review_due,
                      audience=item.audience_id)


def item_record(session: Session, item: LibraryItem) -> ItemRecord:
    """The matcher's view of one item, with what feedback taught about it."""
    rows = session.execute(
        select(Question.text, Feedback.helpful)
        .join(Feedback, Feedback.question_id == Question.id)
        .where(Feedback.item_id == item.id)
    ).all()
    return _record(item, (text for text, helpful in rows if helpful), (text for text, helpful in rows if not helpful))


def item_records(session: Session) -> list[ItemRecord]:
    """Every searchable (active) item, as ``item_record`` would read it (with one query for all the feedback)."""
    aliases: dict[int, list[str]] = defaultdict(list)
    rejections: dict[int, list[str]] = defaultdict(list)
    for item_id, text, helpful in session.execute(
        select(Feedback.item_id, Question.text, Feedback.helpful)
        .join(Question, Question.id == Feedback.question_id)
    ):
        (aliases if helpful else rejections)[item_id].append(text)
    return [_record(item, aliases.get(item.id, ()), rejections.get(item.id, ()))
            for item in session.scalars(select(LibraryItem).where(LibraryItem.state == ItemState.ACTIVE)).yield_per(5000)]


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


def answered_questions(session: Session, only_id: int | None = None) -> list[QuestionRecord]:
    """Past questions worth offering again: resolved, with an answer still standing."""
    standing = exists().where(Answer.question_id == Question.id, Answer.deleted_at.is_(None))
    stmt = select(Question.id, Question.text).where(Question.status == QuestionStatus.RESOLVED, standing)
    if only_id is not None:
        stmt = stmt.where(Question.id == only_id)
    return [QuestionRecord(id=qid, text=text) for qid, text in session.execute(stmt)]


def synonym_groups(session: Session) -> list[tuple[str, ...]]:
    return [tuple(t.strip() for t in terms.split(",")) for terms in session.scalars(select(SynonymGroup.terms))]


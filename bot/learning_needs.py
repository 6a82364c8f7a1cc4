"""Course planned: a learning manager answers an andon card's topic with a course, owned and due.

The card moves to course_planned: still live (it keeps collecting questions on its topic), no more
reminders. Every asker hears once that a course is coming; the owner gets the need with a "Content
shipped" button. Shipping is resolving the card with content (`andon.resolve`, which the owner may do
as well as a manager): every asker gets it and the need records when and with what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import andon
from bot.config import Settings
from bot.outbox import enqueue
from bot.refusal import Refusal
from store.models import AndonCard, CardStatus, LearningNeed, Question

COURSE_PLANNED = "course_planned"  # each asker's DM
COURSE_OWNED = "course_owned"  # the owner's DM, with "Content shipped"


def plan_errors(settings: Settings, now: datetime, *, need: str, owner: str | None,
                due: date | None) -> dict[str, str]:
    """What is wrong with a plan, by field (`need`, `owner`, `due`); empty when it can be planned."""
    errors = {}
    if not need.strip():
        errors["need"] = "What should people learn? A few words, please."
    if not owner:
        errors["owner"] = "Choose who makes the course."
    if due is None:
        errors["due"] = "Choose a due date."
    elif due < now.astimezone(settings.timezone).date():
        errors["due"] = "The due date is in the past; choose today or later."
    return errors


def plannable(session: Session, settings: Settings, *, card_id: int, user_id: str) -> AndonCard:
    """The live card `user_id` (a learning manager) may plan a course for: it has none yet."""
    card = andon.managed_card(session, settings, card_id, user_id)
    if card.status == CardStatus.COURSE_PLANNED:
        raise Refusal("A course is already planned for this card.")
    return card


def plan_course(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str, need: str,
                owner: str | None, due: date | None) -> LearningNeed:
    """A manager plans a course for the card's topic; askers and owner are told once; commits.

    Planning acknowledges an open card. Refused for anyone but a learning manager, for a card that is
    no longer live or already has a course, and for an invalid plan (see `plan_errors`).
    """
    card = plannable(session, settings, card_id=card_id, user_id=user_id)
    errors = plan_errors(settings, now, need=need, owner=owner, due=due)
    if errors:
        raise Refusal(next(iter(errors.values())))
    if card.status == CardStatus.OPEN:
        card.acknowledged_by, card.acknowledged_at = user_id, now
    card.status = CardStatus.COURSE_PLANNED
    planned = LearningNeed(card_id=card.id, need=need.strip(), owner_id=owner, due_on=due, planned_by=user_id,
                           planned_at=now)
    session.add(planned)
    session.flush()
    askers = session.scalars(select(Question.asker_id).where(Question.andon_card_id == card.id).distinct())
    for asker in sorted(askers):
        enqueue(session, COURSE_PLANNED, planned.id, now, key=asker, args={"user": asker})
    enqueue(session, COURSE_OWNED, planned.id, now, key=owner, args={"user": owner})
    andon.changed(session, card, now)
    return planned


def shippable(session: Session, settings: Settings, *, card_id: int, user_id: str) -> AndonCard:
    """The card whose planned course `user_id` may ship now (its owner or a learning manager)."""
    need = andon.learning_need(session, card_id)
    if need is None:
        raise Refusal("I can't find that course any more.")
    if need.shipped_at is not None:
        raise Refusal("This course has shipped already.")
    return andon.card_to_resolve(session, settings, card_id=card_id, user_id=user_id)


@dataclass(frozen=True)
class Course:
    """A planned course and its card, for the messages about it."""

    card_id: int
    question: str  # what the DM's reader asked on the card (its first question for anyone else)
    need: str
    owner: str
    due: date
    planned_by: str


def planned_course(session: Session, need_id: int, reader: str) -> Course | None:
    """The course, named for `reader` by a question on its card: people read questions, not topic labels."""
    need = session.get(LearningNeed, need_id)
    if need is None:
        return None
    on_card = select(Question.text).where(Question.andon_card_id == need.card_id).order_by(Question.id).limit(1)
    question = (session.scalar(on_card.where(Question.asker_id == reader)) or session.scalar(on_card) or "")
    return Course(need.card_id, question, need.need, need.owner_id, need.due_on, need.planned_by)


def due_dates(session: Session, card_ids: list[int]) -> dict[int, date]:
    """The due date of each of these cards' planned courses, by card id."""
    rows = session.execute(select(LearningNeed.card_id, LearningNeed.due_on).where(LearningNeed.card_id.in_(card_ids)))
    return {card_id: due for card_id, due in rows}

"""`learnbot andon export`: every andon card, in every state, with every question on it.

JSON is one object per card with a `questions` list; CSV is one row per question with its card's
columns repeated (a card without questions gets one row with the question columns empty). Times are
ISO 8601 in UTC; ages are hours, up to the resolution (or now, while open).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AndonCard, LearningNeed, Question

CARD_COLUMNS = ("card_id", "label", "state", "created_at", "questions_count", "askers", "oldest_asked_at",
                "age_hours", "formal_learning_needed_at", "acknowledged_by", "assigned_to", "snoozed_until",
                "resolved_by", "resolved_at")
NEED_COLUMNS = ("need", "need_owner", "need_due", "need_shipped_at", "need_item_id")
QUESTION_COLUMNS = ("question_id", "text", "asker", "asked_at", "question_status", "question_age_hours")


def _time(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _hours(since: datetime, until: datetime) -> float:
    return round((until - since).total_seconds() / 3600, 1)


def _question(q: Question, now: datetime) -> dict[str, Any]:
    return {"question_id": q.id, "text": q.text, "asker": None if q.anonymous else q.asker_id,
            "asked_at": _time(q.asked_at), "question_status": str(q.status),
            "question_age_hours": _hours(q.asked_at, q.resolved_at or now)}


def _need(need: LearningNeed | None) -> dict[str, Any]:
    if need is None:
        return dict.fromkeys(NEED_COLUMNS)
    return {"need": need.need, "need_owner": need.owner_id, "need_due": need.due_on.isoformat(),
            "need_shipped_at": _time(need.shipped_at), "need_item_id": need.item_id}


def _card(card: AndonCard, questions: list[Question], need: LearningNeed | None, now: datetime) -> dict[str, Any]:
    oldest = min((q.asked_at for q in questions), default=None)
    return {
        "card_id": card.id, "label": card.label, "state": str(card.status), "created_at": _time(card.created_at),
        "questions_count": len(questions), "askers": len({q.asker_id for q in questions}),
        "oldest_asked_at": _time(oldest), "age_hours": _hours(oldest or card.created_at, card.resolved_at or now),
        "formal_learning_needed_at": _time(card.kanban_at), "acknowledged_by": card.acknowledged_by,
        "assigned_to": card.assigned_to, "snoozed_until": _time(card.snoozed_until),
        "resolved_by": card.resolved_by, "resolved_at": _time(card.resolved_at),
        **_need(need),
        "questions": [_question(q, now) for q in questions],
    }


def export_cards(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every card, oldest first, as plain JSON-able data with its questions (oldest first)."""
    questions: dict[int, list[Question]] = defaultdict(list)
    for q in session.scalars(select(Question).where(Question.andon_card_id.is_not(None)).order_by(Question.id)):
        questions[q.andon_card_id].append(q)  # type: ignore[index]  # not None, by the query
    needs = {need.card_id: need for need in session.scalars(select(LearningNeed))}
    return [_card(card, questions[card.id], needs.get(card.id), now)
            for card in session.scalars(select(AndonCard).order_by(AndonCard.id))]


def write_json(cards: list[dict[str, Any]], out: TextIO) -> None:
    json.dump(cards, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_csv(cards: list[dict[str, Any]], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CARD_COLUMNS + NEED_COLUMNS + QUESTION_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for card in cards:
        for question in card["questions"] or [{}]:
            writer.writerow({**card, **question})


WRITERS = {"csv": write_csv, "json": write_json}

"""Reflection after every question (action learning): one optional line from the asker and the answerer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.refusal import Refusal
from store.models import Answer, Question, Reflection

MAX_REFLECTION = 500


def save_reflection(session: Session, now: datetime, *, question_id: int, user_id: str, text: str) -> str:
    """Store (or replace) what `user_id` learned from the question; returns their role."""
    question = session.get(Question, question_id)
    if question is None:
        raise Refusal("I can't find that question any more.")
    if user_id == question.asker_id:
        role = "asker"
    elif session.scalar(select(Answer.id).where(Answer.question_id == question_id, Answer.user_id == user_id)):
        role = "answerer"
    else:
        raise Refusal("Only the asker and the people who answered can reflect on this question.")
    text = " ".join(text.split())[:MAX_REFLECTION]
    if not text:
        raise Refusal("A reflection needs a few words.")
    existing = session.scalar(select(Reflection).where(Reflection.question_id == question_id,
                                                       Reflection.user_id == user_id))
    if existing is None:
        session.add(Reflection(question_id=question_id, user_id=user_id, role=role, text=text, created_at=now))
    else:
        existing.text, existing.created_at = text, now
    session.commit()
    return role

"""People the bot has met."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.models import Person


def ensure_person(session: Session, user_id: str, now: datetime) -> Person:
    """The person row for `user_id`, created on first contact."""
    person = session.get(Person, user_id)
    if person is None:
        person = Person(user_id=user_id, created_at=now)
        session.add(person)
        session.flush()
    return person

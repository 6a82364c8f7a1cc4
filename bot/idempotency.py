"""Doing a Slack event once: its id is claimed in the same transaction as what it changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import ProcessedEvent


def first_time(session: Session, event_id: str, now: datetime) -> bool:
    """Claim `event_id`; False if it was handled before (a retry or a duplicate delivery).

    The claim commits or rolls back with the caller's transaction, so a failure mid-way lets
    Slack's retry do the work again, and a success makes every retry a no-op.
    """
    if session.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)):
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    return True


def claim(session: Session, event_id: str, now: datetime) -> bool:
    """Claim `event_id` on its own (for an event whose handling is not one transaction); False if seen."""
    fresh = first_time(session, event_id, now)
    session.commit()
    return fresh

"""Expert profiles: topics people declare or an admin imports."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.index import EXPERT, note_change, split_tags
from bot.people import ensure_person
from store.models import Expertise

MAX_TOPIC = 200


def parse_topics(text: str) -> tuple[str, ...]:
    """Topics from `/learn expert add vpn, wifi; printers` (commas or semicolons; a lone phrase is one topic)."""
    return tuple(dict.fromkeys(t.lower()[:MAX_TOPIC] for t in split_tags(text)))


def add_topics(session: Session, user_id: str, topics: Iterable[str], now: datetime,
               source: str = "declared") -> list[str]:
    """Add topics to a person's profile; returns the ones that were new."""
    ensure_person(session, user_id, now)
    have = set(session.scalars(select(Expertise.topic).where(Expertise.user_id == user_id,
                                                            Expertise.source == source)))
    new = [t for t in topics if t not in have]
    for topic in new:
        session.add(Expertise(user_id=user_id, topic=topic, source=source, weight=1.0, created_at=now))
    if new:
        note_change(session, EXPERT, user_id, now)
    return new


def remove_topics(session: Session, user_id: str, topics: Iterable[str], now: datetime) -> int:
    """Remove declared or imported topics; returns how many rows went."""
    result = session.execute(delete(Expertise).where(
        Expertise.user_id == user_id, Expertise.topic.in_(list(topics)), Expertise.source != "learned"))
    if result.rowcount:
        note_change(session, EXPERT, user_id, now)
    return result.rowcount


def list_topics(session: Session, user_id: str) -> list[tuple[str, str]]:
    """(topic, source) of a person's declared and imported expertise, oldest first."""
    return [(topic, source) for topic, source in session.execute(
        select(Expertise.topic, Expertise.source)
        .where(Expertise.user_id == user_id, Expertise.source != "learned").order_by(Expertise.id)
    )]

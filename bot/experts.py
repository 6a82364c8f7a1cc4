"""Expert profiles: topics people declare or an admin imports (what they answer is learned in bot.search.database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import parse_duration
from bot.search.changes import EXPERT, note_change
from bot.search.database import split_tags
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


def declare_topics(session: Session, user_id: str, topics: Iterable[str], now: datetime) -> list[str]:
    """A person adds topics to their own profile; commits. Returns the ones that were new."""
    new = add_topics(session, user_id, topics, now)
    session.commit()
    return new


def remove_topics(session: Session, user_id: str, topics: Iterable[str], now: datetime) -> int:
    """Remove topics, declared or imported; commits. Returns how many rows went."""
    result = session.execute(delete(Expertise).where(
        Expertise.user_id == user_id, Expertise.topic.in_(list(topics))))
    if result.rowcount:
        note_change(session, EXPERT, user_id, now)
    session.commit()
    return result.rowcount


def list_topics(session: Session, user_id: str) -> list[tuple[str, str]]:
    """(topic, source) of a person's declared and imported topics, oldest first."""
    return [(topic, source) for topic, source in session.execute(
        select(Expertise.topic, Expertise.source)
        .where(Expertise.user_id == user_id).order_by(Expertise.id)
    )]


AWAY_DEFAULT = timedelta(days=7)


def parse_until(text: str, now: datetime, zone: tzinfo) -> datetime:
    """`2026-12-01` (the start of that day, local time), `3d`/`2w`, or nothing (a week from now)."""
    text = text.strip()
    if not text:
        return now + AWAY_DEFAULT
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"I couldn't read {text!r} as a date. Try `/learn away 2026-12-01` or `/learn away 3d`.") \
            from None
    until = datetime.combine(day, time.min, zone)
    if until <= now:
        raise ValueError("That date is in the past. Try a date after today.")
    return until


def set_away(session: Session, user_id: str, now: datetime, until_text: str | None, zone: tzinfo) -> datetime | None:
    """Pause pings to `user_id` until a time (None: back now). Returns the time set."""
    until = None if until_text is None else parse_until(until_text, now, zone)
    ensure_person(session, user_id, now).away_until = until
    session.commit()
    return until

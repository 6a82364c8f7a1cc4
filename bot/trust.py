"""Content you can trust: verifying items, flagging them outdated, and learning from repeated misses.

Every item has a verifier (`bot.access.item_verifiers`: its owner, else the learning managers) and a
review date (`LibraryItem.review_due`). Verifying restarts its interval; a flag, repeated "Didn't help"
or a new owner withdraws the verification, so the item is due at once and ranks below fresh ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import access, andon
from bot.config import Settings
from bot.library import unverify
from bot.outbox import enqueue
from bot.refusal import Refusal
from bot.search.changes import ITEM, note_change
from store.models import Feedback, LibraryItem, Question

ITEM_UNVERIFIED = "item_unverified"  # a verifier's DM: the item was flagged outdated, or kept missing
MISSES = 3  # "Didn't help" on an item this often ...
MISS_WINDOW = timedelta(days=30)  # ... within this long withdraws its verification
MAX_REASON = 500


@dataclass(frozen=True)
class Trust:
    """What an offer says about its item: "verified by @x on <date>", or "not verified since <date>"."""

    verified_by: str | None  # None: not verified (or overdue for review)
    on: date


def trust_of(item: LibraryItem, now: datetime) -> Trust:
    """The item's standing at `now`: verified until its review is due, then not verified since then."""
    if item.verified_at is not None and item.verified_by and now < item.review_due:
        return Trust(item.verified_by, item.verified_at.date())
    return Trust(None, (item.verified_at or item.unverified_at or item.created_at).date())


@dataclass(frozen=True)
class ItemView:
    """An item as its verifier's messages show it."""

    item_id: int
    title: str
    url: str | None
    trust: Trust


def item_view(session: Session, item_id: int, now: datetime) -> ItemView | None:
    item = session.get(LibraryItem, item_id)
    return None if item is None else ItemView(item.id, item.title, item.url, trust_of(item, now))


def _item(session: Session, item_id: int) -> LibraryItem:
    item = session.get(LibraryItem, item_id)
    if item is None:
        raise Refusal("That item is no longer in the library.")
    return item


def verify(session: Session, settings: Settings, now: datetime, *, item_id: int, user_id: str) -> LibraryItem:
    """The verifier (or a learning manager) vouches for the item: its review interval starts again."""
    item = _item(session, item_id)
    access.require_may_verify(settings, user_id, item, "verify it")
    item.verified_at, item.verified_by, item.unverified_at, item.review_on = now, user_id, None, None
    note_change(session, ITEM, item.id, now)
    session.commit()
    return item


def flag_outdated(session: Session, settings: Settings, now: datetime, *, item_id: int, user_id: str,
                  reason: str) -> LibraryItem:
    """Anyone offered the item says it is out of date: it is unverified at once and its verifiers are told why."""
    item = _item(session, item_id)
    reason = " ".join(reason.split())
    if not reason:
        raise Refusal("Say what is out of date, please: it helps the verifier fix it.")
    _withdraw(session, settings, item, now, {"by": user_id, "reason": reason[:MAX_REASON]})
    session.commit()
    return item


def missed(session: Session, settings: Settings, now: datetime, item_id: int) -> bool:
    """After a "Didn't help" on the item (the caller commits): the MISSES-th within MISS_WINDOW since it
    was last unverified withdraws its verification and puts those questions on an andon card."""
    item = session.get(LibraryItem, item_id)
    if item is None:
        return False
    since = max(now - MISS_WINDOW, item.unverified_at or now - MISS_WINDOW)
    questions = session.scalars(select(Question).join(Feedback, Feedback.question_id == Question.id).where(
        Feedback.item_id == item_id, Feedback.helpful.is_(False), Feedback.created_at >= since)
        .order_by(Question.id)).all()
    if len(questions) < MISSES:
        return False
    _withdraw(session, settings, item, now, {"misses": len(questions)})
    if settings.andon_channel:
        for question in questions:
            if question.status in andon.UNRESOLVED:
                andon.escalate_now(session, settings, question, now, kind="outdated",
                                   key=f"outdated:{item.id}:{question.id}")
    return True


def _withdraw(session: Session, settings: Settings, item: LibraryItem, now: datetime, why: dict[str, Any]) -> None:
    """Unverify the item and tell each of its verifiers why, once per withdrawal."""
    unverify(item, now)
    note_change(session, ITEM, item.id, now)
    for verifier in access.item_verifiers(settings, item):
        enqueue(session, ITEM_UNVERIFIED, item.id, now, args={**why, "user": verifier},
                key=f"{now.isoformat()}:{verifier}")

"""Content you can trust: verifying items, flagging them outdated, and learning from repeated misses.

Every item has a verifier (`bot.access.item_verifiers`: its owner, else its team's supervisors, else the learning managers) and a
review date (`LibraryItem.review_due`). Verifying restarts its interval; a flag, repeated "Didn't help"
or a new owner withdraws the verification, so the item is due at once and ranks below fresh ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from bot import access, andon
from bot.config import Settings
from bot.idempotency import first_time
from bot.library import Draft, change_owner, item_key, unverify
from bot.outbox import enqueue
from bot.refusal import Refusal
from bot.search.changes import ITEM, note_change
from store.models import REVIEW_CHOICES, Feedback, ItemState, LibraryItem, Question

ITEM_UNVERIFIED = "item_unverified"  # a verifier's DM: the item was flagged outdated, or kept missing
REVIEWS_DUE = "reviews_due"  # a verifier's weekly DM: their items due for review
ARCHIVING = "archiving"  # a verifier's DM: unused, unverified items to be archived in ARCHIVE_NOTICE
OWNER_LEFT = "owner_left"  # each learning manager's DM: a verifier left, their items are the managers' now
MISSES = 3  # "Didn't help" on an item this often ...
MISS_WINDOW = timedelta(days=30)  # ... within this long withdraws its verification
MAX_REASON = 500
ARCHIVE_AFTER = timedelta(days=180)  # unverified and unused this long, an item is queued for archiving ...
ARCHIVE_NOTICE = timedelta(days=7)  # ... with this much notice to its verifiers
TRUST_AIM = 0.8  # the share of used items that should be verified
MOST_USED_SHOWN = 5


@dataclass(frozen=True)
class Trust:
    """What an offer says about its item: "verified by @x on <date>", or "not verified since <date>"."""

    verified_by: str | None  # None: not verified (or overdue for review)
    on: date
    obsolete: bool = False  # out of search; shown only where it was offered or linked before


@dataclass(frozen=True)
class ItemView:
    """An item as its verifier's messages show it."""

    item_id: int
    title: str
    url: str | None
    trust: Trust


def trust_of(item: LibraryItem, now: datetime) -> Trust:
    """The item's standing at `now`: verified until its review is due, then not verified since then."""
    obsolete = item.state != ItemState.ACTIVE
    if item.verified_at is not None and item.verified_by and now < item.review_due:
        return Trust(item.verified_by, item.verified_at.date(), obsolete)
    return Trust(None, _unverified_since(item), obsolete)


def _unverified_since(item: LibraryItem) -> date:
    return (item.verified_at or item.unverified_at or item.created_at).date()


def _view(item: LibraryItem, now: datetime) -> ItemView:
    return ItemView(item.id, item.title, item.url, trust_of(item, now))


def item_view(session: Session, item_id: int, now: datetime) -> ItemView | None:
    """The item with its standing at `now`, for a verifier's message (None once deleted)."""
    item = session.get(LibraryItem, item_id)
    return None if item is None else _view(item, now)


def _item(session: Session, item_id: int) -> LibraryItem:
    item = session.get(LibraryItem, item_id)
    if item is None:
        raise Refusal("That item is no longer in the library.")
    return item


def _verifiable(session: Session, settings: Settings, item_id: int, user_id: str, doing: str) -> LibraryItem:
    """The item, if `user_id` may verify it (its verifier or a learning manager); else a Refusal."""
    item = _item(session, item_id)
    access.require_may_verify(session, settings, user_id, item, doing)
    return item


def mark_verified(item: LibraryItem, user_id: str, now: datetime) -> None:
    """Record that `user_id` vouched for the item at `now`: its review interval starts again."""
    item.verified_at, item.verified_by, item.unverified_at, item.review_on = now, user_id, None, None
    item.archive_at = None


def verify(session: Session, settings: Settings, now: datetime, *, item_id: int, user_id: str) -> LibraryItem:
    """The verifier (or a learning manager) vouches for the item: its review interval starts again."""
    item = _verifiable(session, settings, item_id, user_id, "verify it")
    mark_verified(item, user_id, now)
    return _changed(session, item, now)


def _changed(session: Session, item: LibraryItem, now: datetime) -> LibraryItem:
    """The index follows the changed item; commit."""
    note_change(session, ITEM, item.id, now)
    session.commit()
    return item


@dataclass(frozen=True)
class EditView:
    """What the Edit modal starts from."""

    item_id: int
    title: str
    url: str | None
    body: str
    tags: str
    review_days: int


def item_to_edit(session: Session, settings: Settings, *, item_id: int, user_id: str) -> EditView:
    """The item for its Edit modal, if `user_id` may edit it."""
    item = _verifiable(session, settings, item_id, user_id, "edit it")
    return EditView(item.id, item.title, item.url, item.body, item.tags, item.review_days)


def edit(session: Session, settings: Settings, now: datetime, *, item_id: int, user_id: str, draft: Draft,
         review_days: int, review_on: date | None) -> LibraryItem:
    """The Edit modal: new content and review interval (or an explicit next review date). Edited by one
    of its verifiers, the item counts as verified."""
    item = _verifiable(session, settings, item_id, user_id, "edit it")
    if review_days not in REVIEW_CHOICES:
        raise Refusal(f"Review every {', '.join(map(str, REVIEW_CHOICES[:-1]))} or {REVIEW_CHOICES[-1]} days.")
    key = item_key(draft.title, draft.url)
    if session.scalar(select(LibraryItem.id).where(LibraryItem.key == key, LibraryItem.id != item.id)):
        raise Refusal("Another library item already has that title or link.")
    if user_id in access.item_verifiers(session, settings, item.owner_id, item.audience_id):
        mark_verified(item, user_id, now)
    item.key, item.title, item.url, item.body, item.tags = key, draft.title, draft.url, draft.body, ", ".join(draft.tags)
    item.review_days, item.review_on, item.updated_at = review_days, review_on, now
    return _changed(session, item, now)


def mark_obsolete(session: Session, settings: Settings, now: datetime, *, item_id: int,
                  user_id: str) -> LibraryItem:
    """The item leaves search; its link still shows it, with a warning."""
    item = _verifiable(session, settings, item_id, user_id, "retire it")
    item.state, item.updated_at = ItemState.OBSOLETE, now
    return _changed(session, item, now)


def reassign(session: Session, settings: Settings, now: datetime, *, item_id: int, user_id: str,
             owner_id: str) -> LibraryItem:
    """Hand the item to another verifier, whose verification it then waits for."""
    item = _verifiable(session, settings, item_id, user_id, "reassign it")
    change_owner(item, owner_id, now)
    return _changed(session, item, now)


@dataclass(frozen=True)
class DueItem:
    """An active item past its review date, and how often it was used (verdicts on it as an offer)."""

    item_id: int
    title: str
    url: str | None
    owner_id: str | None
    audience_id: int | None
    due: datetime
    uses: int


def _due(now: datetime) -> ColumnElement[bool]:
    return (LibraryItem.state == ItemState.ACTIVE) & (LibraryItem.review_due_at <= now)


def _with_uses(*where: ColumnElement[bool]) -> Select[tuple[LibraryItem, int]]:
    """Items with how often they were used, most used first (an indexed query: no scan in Python)."""
    uses = (select(Feedback.item_id, func.count().label("uses")).group_by(Feedback.item_id).subquery())
    count = func.coalesce(uses.c.uses, 0)
    return (select(LibraryItem, count).outerjoin(uses, uses.c.item_id == LibraryItem.id).where(*where)
            .order_by(count.desc(), LibraryItem.review_due_at, LibraryItem.id))


def _due_row(item: LibraryItem, uses: int) -> DueItem:
    return DueItem(item.id, item.title, item.url, item.owner_id, item.audience_id, item.review_due, uses)


def due_items(session: Session, now: datetime) -> list[DueItem]:
    """Active items due for review at `now`, most used first."""
    return [_due_row(item, uses) for item, uses in session.execute(_with_uses(_due(now)))]


def reviews_for(session: Session, settings: Settings, now: datetime, user_id: str) -> list[DueItem]:
    """The due items `user_id` verifies, most used first."""
    return [row for row in due_items(session, now) if user_id in access.item_verifiers(session, settings, row.owner_id, row.audience_id)]


def queue_reviews(session: Session, settings: Settings, now: datetime) -> int:
    """The sweep, once per ISO week: one DM to each verifier with items due (rendered at send time)."""
    year, number, _ = now.astimezone(settings.timezone).isocalendar()
    week = f"{year}-W{number:02d}"
    if not first_time(session, f"reviews:{week}", now):
        session.rollback()
        return 0
    verifiers = {v for row in due_items(session, now) for v in access.item_verifiers(session, settings, row.owner_id, row.audience_id)}
    for verifier in sorted(verifiers):
        enqueue(session, REVIEWS_DUE, 0, now, args={"user": verifier}, key=f"{week}:{verifier}")
    session.commit()
    return len(verifiers)


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
    for verifier in access.item_verifiers(session, settings, item.owner_id, item.audience_id):
        enqueue(session, ITEM_UNVERIFIED, item.id, now, args={**why, "user": verifier},
                key=f"{now.isoformat()}:{verifier}")


@dataclass(frozen=True)
class TrustScore:
    """How far the library can be trusted: of the items people used, how many are verified; what is
    overdue per verifier (None: the learning managers); the most used items not verified."""

    used: int
    verified: int
    overdue: list[tuple[str | None, int]]
    unverified: list[DueItem]

    @property
    def share(self) -> float | None:
        return self.verified / self.used if self.used else None


def trust_score(session: Session, now: datetime) -> TrustScore:
    """The trust score at `now` (used: an active item someone gave a verdict on as an offer), in SQL
    aggregates over indexed columns: it is drawn on every redraw of a manager's Home tab."""
    used = (LibraryItem.state == ItemState.ACTIVE) & LibraryItem.id.in_(select(Feedback.item_id))
    verified = (LibraryItem.verified_at.is_not(None) & LibraryItem.verified_by.is_not(None)
                & (LibraryItem.review_due_at > now))
    n_used, n_verified = session.execute(select(func.count(), func.count().filter(verified))
                                         .select_from(LibraryItem).where(used)).one()
    overdue = session.execute(select(LibraryItem.owner_id, func.count()).where(_due(now))
                              .group_by(LibraryItem.owner_id)).all()
    unverified = session.execute(_with_uses(used, ~verified).limit(MOST_USED_SHOWN))
    per_verifier = sorted(((owner, n) for owner, n in overdue), key=lambda kv: (-kv[1], kv[0] or ""))
    return TrustScore(n_used, n_verified, per_verifier, [_due_row(item, uses) for item, uses in unverified])


def owner_left(session: Session, settings: Settings, now: datetime, *, event_id: str, user_id: str) -> int:
    """A deactivated Slack account (`user_change`, deleted): its items pass to the learning managers
    (owner None, unverified), who are told once; returns how many items changed hands."""
    if not first_time(session, event_id, now):
        session.rollback()
        return 0
    items = session.scalars(select(LibraryItem).where(LibraryItem.owner_id == user_id)).all()
    for item in items:
        change_owner(item, None, now)
        note_change(session, ITEM, item.id, now)
    if items:
        for manager in access.learning_managers(session, settings):
            enqueue(session, OWNER_LEFT, 0, now, args={"user": manager, "left": user_id, "items": len(items)},
                    key=f"{user_id}:{now.isoformat()}:{manager}")
    session.commit()
    return len(items)


def sweep_archive(session: Session, settings: Settings, now: datetime) -> tuple[int, int]:
    """The sweep, once a day: items not verified for ARCHIVE_AFTER and unused since are queued for
    archiving, their verifiers told (one DM each); queued items still unverified a notice later are
    archived. Returns (queued, archived)."""
    if not first_time(session, f"archive:{now.date().isoformat()}", now):
        session.rollback()
        return 0, 0
    cutoff = now - ARCHIVE_AFTER
    used = set(session.scalars(select(Feedback.item_id).where(Feedback.created_at >= cutoff)))
    archived = 0
    for item in session.scalars(select(LibraryItem).where(LibraryItem.state == ItemState.ACTIVE,
                                                          LibraryItem.archive_at <= now)):
        if item.id in used:  # used during the notice: kept
            item.archive_at = None
            continue
        item.state = ItemState.ARCHIVED
        note_change(session, ITEM, item.id, now)
        archived += 1
    queued: dict[str, list[int]] = {}
    for item in session.scalars(select(LibraryItem).where(LibraryItem.state == ItemState.ACTIVE,
                                                          LibraryItem.archive_at.is_(None))):
        if item.id in used or trust_of(item, now).verified_by or _unverified_since(item) > cutoff.date():
            continue
        item.archive_at = now + ARCHIVE_NOTICE
        for verifier in access.item_verifiers(session, settings, item.owner_id, item.audience_id):
            queued.setdefault(verifier, []).append(item.id)
    for verifier, ids in queued.items():
        enqueue(session, ARCHIVING, 0, now, args={"user": verifier, "items": ids,
                                                  "on": (now + ARCHIVE_NOTICE).date().isoformat()},
                key=f"{now.date().isoformat()}:{verifier}")
    session.commit()
    return len({i for ids in queued.values() for i in ids}), archived


def archiving(session: Session, now: datetime, item_ids: list[int]) -> list[ItemView]:
    """The items of an archiving notice still waiting to be archived."""
    items = session.scalars(select(LibraryItem).where(LibraryItem.id.in_(item_ids), LibraryItem.state ==
                                                      ItemState.ACTIVE, LibraryItem.archive_at.is_not(None)))
    return [_view(i, now) for i in items]

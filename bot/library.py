"""Library use cases: add or update items, import synonyms, and learn from feedback on items."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.search.changes import ITEM, SYNONYMS, note_change
from store.models import Feedback, LibraryItem, Question, SynonymGroup


def _hashed(natural: str) -> str:
    """A fixed-length key, whatever the length of the url or title it stands for."""
    return hashlib.sha256(natural.encode("utf-8")).hexdigest()


def item_key(title: str, url: str | None) -> str:
    """What makes two imports the same item: the url, else the title (case and spacing ignored)."""
    if url:
        return _hashed("url:" + url.strip())
    return _hashed("title:" + re.sub(r"\s+", " ", title).strip().casefold())


def answer_key(question_id: int) -> str:
    """The key of the item captured from a question's accepted answer."""
    return _hashed(f"answer:{question_id}")


@dataclass(frozen=True)
class Draft:
    """An item as someone wrote it, before it is stored: from an import file, a modal or a resolved card."""

    title: str
    url: str | None = None
    body: str = ""
    tags: tuple[str, ...] = ()
    owner: str | None = None  # its verifier (a Slack user id); None: whoever adds it, else the learning managers
    audience: int | None = None  # a new item's audience (a team id); None: the whole organisation
    competency: str | None = None  # a new item's competency (L&D's framework id)


@dataclass
class ImportCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def upsert_item(session: Session, draft: Draft, now: datetime, *, source: str = "import",
                created_by: str | None = None) -> tuple[LibraryItem, str]:
    """Add the item or update the one with the same key; returns it and `added|updated|unchanged`.

    A new item is owned by the draft's owner, else by `created_by`; a draft naming another owner
    hands the item over (see `change_owner`)."""
    key = item_key(draft.title, draft.url)
    tags = ", ".join(draft.tags)
    item = session.scalar(select(LibraryItem).where(LibraryItem.key == key))
    if item is None and draft.url:  # first imported without a url: the url now identifies it
        item = session.scalar(select(LibraryItem).where(LibraryItem.key == item_key(draft.title, None)))
        if item is not None:
            item.key = key
    if item is None:
        item = LibraryItem(key=key, title=draft.title, url=draft.url, body=draft.body, tags=tags, source=source,
                           created_by=created_by, owner_id=draft.owner or created_by, created_at=now, updated_at=now,
                           audience_id=draft.audience, competency_id=draft.competency)
        session.add(item)
        session.flush()
        outcome = "added"
    elif (item.title, item.url, item.body, item.tags) == (draft.title, draft.url, draft.body, tags) \
            and draft.owner in (None, item.owner_id):
        return item, "unchanged"
    else:
        item.title, item.url, item.body, item.tags, item.updated_at = draft.title, draft.url, draft.body, tags, now
        if draft.owner is not None:
            change_owner(item, draft.owner, now)
        outcome = "updated"
    note_change(session, ITEM, item.id, now)
    return item, outcome


def change_owner(item: LibraryItem, owner_id: str | None, now: datetime) -> bool:
    """Hand the item to another verifier (None: the learning managers); the old verification no longer
    holds. False if it already had that owner."""
    if owner_id == item.owner_id:
        return False
    item.owner_id = owner_id
    unverify(item, now)
    return True


def unverify(item: LibraryItem, now: datetime) -> None:
    """Withdraw the item's verification: it is due for review at once."""
    item.verified_at = item.verified_by = None
    item.unverified_at = now


def save_from_slack(session: Session, draft: Draft, now: datetime, *, created_by: str) -> str:
    """The "Save to learning library" shortcut: upsert the item and commit; returns `added|updated|unchanged`."""
    _, outcome = upsert_item(session, draft, now, source="shortcut", created_by=created_by)
    session.commit()
    return outcome


def import_items(session: Session, drafts: Iterable[Draft], now: datetime, owner: str | None = None) -> ImportCounts:
    """Upsert every draft, owned by its own owner, else by `owner` (the caller commits, in batches if it likes)."""
    counts = ImportCounts()
    for draft in drafts:
        _, outcome = upsert_item(session, draft if draft.owner or owner is None else replace(draft, owner=owner), now)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts


def add_synonyms(session: Session, groups: Iterable[tuple[str, ...]], now: datetime) -> int:
    """Add synonym groups (a group already present is kept once); returns how many are new."""
    existing = set(session.scalars(select(SynonymGroup.terms)))
    added = 0
    for group in groups:
        terms = ", ".join(t.strip().lower() for t in group)
        if terms not in existing:
            session.add(SynonymGroup(terms=terms))
            existing.add(terms)
            added += 1
    if added:
        note_change(session, SYNONYMS, "all", now)
    return added


def record_feedback(session: Session, question: Question, item_id: int, helpful: bool, now: datetime) -> bool:
    """Remember whether `item_id` answered `question`; False if the item no longer exists.

    A helpful verdict makes the question an alias of the item; an unhelpful one lowers the pairing.
    A second verdict on the same pair replaces the first.
    """
    if session.get(LibraryItem, item_id) is None:
        return False
    session.execute(delete(Feedback).where(Feedback.question_id == question.id, Feedback.item_id == item_id))
    session.add(Feedback(question_id=question.id, item_id=item_id, user_id=question.asker_id,
                         helpful=helpful, created_at=now))
    note_change(session, ITEM, item_id, now)
    return True

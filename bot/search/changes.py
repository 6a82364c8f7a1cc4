"""The change log: every write that affects matching appends an `IndexChange` row in the same
transaction, and each process's LiveIndex replays the rows it has not seen yet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.models import IndexChange

ITEM, EXPERT, QUESTION, SYNONYMS = "item", "expert", "question", "synonyms"


def note_change(session: Session, kind: str, ref: object, now: datetime) -> None:
    """Tell every process's index to re-read `ref` of `kind` (call inside the writing transaction)."""
    session.add(IndexChange(kind=kind, ref=str(ref), created_at=now))

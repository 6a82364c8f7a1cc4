"""SQL expressions shared by the use cases."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func


def equals_ignoring_case(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """``column`` equals ``text`` ignoring case. Both sides go through the database's ``lower``, which on
    SQLite folds ASCII letters only: "ÉQUIPE NORD" finds "Équipe Nord" and an exact name always matches
    (Python's ``lower`` on one side would fold the É that SQLite leaves)."""
    return func.lower(column) == func.lower(text)


def contains_ignoring_case(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """``column`` contains ``text`` ignoring case, as `equals_ignoring_case` folds it; ``%`` and ``_`` in
    ``text`` are literal."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return func.lower(column).contains(func.lower(escaped), escape="/")

"""Reading import files: content (CSV or JSON Lines) and experts (CSV), with per-line errors."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from bot.library import Draft
from bot.search.database import split_tags

MAX_TITLE = 500
MAX_URL = 2000


@dataclass(frozen=True)
class ContentRow:
    """One good line of a content file: its number and the item it describes."""

    line: int
    draft: Draft


@dataclass(frozen=True)
class ExpertRow:
    line: int
    user_id: str
    topics: tuple[str, ...]


@dataclass
class Parsed:
    """Good rows and (line number, message) for each bad one."""

    rows: list = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a BOM tolerated)."""
    return path.read_text(encoding="utf-8-sig")


def _records(path: Path, text: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    """(line number, record or error message) for a CSV with a header, or JSON Lines."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 is valid JSON
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"not valid JSON ({exc.msg})"
                continue
            yield number, value if isinstance(value, dict) else "expected a JSON object"
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    fields = [name.strip().lower() for name in next(reader, [])]
    start = reader.line_num + 1
    for row in reader:
        number, start = start, reader.line_num + 1  # a quoted field may span lines: report where it starts
        if any(cell.strip() for cell in row):
            yield number, {**dict(zip(fields, row)), "_extra": row[len(fields):]}


def is_user_id(value: str) -> bool:
    """A Slack user id, as far as its shape shows: U012ABCDEF or W012ABCDEF."""
    return bool(value) and value[0] in "UW" and value.isalnum()


def parse_content(path: Path) -> Parsed:
    """Library items from `path`: `title` required; `url`, `body`, `tags`, `owner` (its verifier) optional."""
    parsed = Parsed()
    for number, record in _records(path, read_text(path)):
        if isinstance(record, str):
            parsed.errors.append((number, record))
            continue
        title = str(record.get("title") or "").strip()
        url = str(record.get("url") or "").strip() or None
        owner = str(record.get("owner") or "").strip() or None
        if not title:
            parsed.errors.append((number, "missing title"))
        elif len(title) > MAX_TITLE:
            parsed.errors.append((number, f"title longer than {MAX_TITLE} characters"))
        elif url and (len(url) > MAX_URL or not url.lower().startswith(("http://", "https://"))):
            parsed.errors.append((number, "url must start with http:// or https://"))
        elif owner and not is_user_id(owner):
            parsed.errors.append((number, f"owner must be a Slack user ID such as U012ABCDEF, got {owner!r}"))
        else:
            tags = record.get("tags") or ""
            tag_tuple = tuple(str(t) for t in tags) if isinstance(tags, list) else split_tags(str(tags))
            body = str(record.get("body") or "").strip()
            parsed.rows.append(ContentRow(number, Draft(title, url, body, tag_tuple, owner)))
    return parsed


def parse_experts(path: Path) -> Parsed:
    """Expert rows from a CSV with `user_id,topics` (topics separated by `;` or `,`, or free text)."""
    parsed = Parsed()
    for number, record in _records(path, read_text(path)):
        if isinstance(record, str):
            parsed.errors.append((number, record))
            continue
        user_id = str(record.get("user_id") or "").strip()
        extra = record.get("_extra") or []  # unquoted `U1,vpn,wifi`: the extra columns are topics too
        topics = split_tags(",".join([str(record.get("topics") or ""), *map(str, extra)]))
        if not is_user_id(user_id):
            parsed.errors.append((number, f"user_id must be a Slack user ID such as U012ABCDEF, got {user_id!r}"))
        elif not topics:
            parsed.errors.append((number, "no topics"))
        else:
            parsed.rows.append(ExpertRow(number, user_id, topics))
    return parsed

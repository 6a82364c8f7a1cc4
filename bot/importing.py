"""Reading import files: content (CSV or JSON Lines), experts and teams (CSV), and competencies (CSV, JSON Lines or
a JSON array), with per-line errors."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from bot.library import Draft
from bot.search.database import split_tags
from store.models import TeamRole

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


@dataclass(frozen=True)
class TeamRow:
    """One person in one team; `parent` is the team's department, None when the line leaves it blank."""

    line: int
    team: str
    user_id: str
    role: TeamRole
    parent: str | None
    usergroup: str | None = None


@dataclass(frozen=True)
class CompetencyRow:
    line: int
    id: str
    name: str
    parent: str | None


@dataclass
class Parsed:
    """Good rows and (line number, message) for each bad one."""

    rows: list = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a BOM tolerated)."""
    return path.read_text(encoding="utf-8-sig")


def _records(path: Path, text: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    """(line number, record or error message) for a CSV with a header, JSON Lines, or (.json) a JSON array."""
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):
        yield from _json_array(text)
        return
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


def _json_array(text: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    """The elements of a JSON array, each with the line it starts on; a syntax error ends the file."""
    decoder = json.JSONDecoder()

    def line_of(at: int) -> int:
        return text.count("\n", 0, at) + 1

    def skip(at: int) -> int:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        return at

    at = skip(text.index("[") + 1)
    if text.startswith("]", at):
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            yield line_of(exc.pos), f"not valid JSON ({exc.msg})"
            return
        yield line_of(at), value if isinstance(value, dict) else "expected a JSON object"
        at = skip(end)
        if text.startswith("]", at):
            return
        if not text.startswith(",", at):
            yield line_of(at), "not valid JSON (expected ',' or ']')"
            return
        at = skip(at + 1)


def _text(record: dict[str, object], name: str) -> str:
    return str(record.get(name) or "").strip()


def closes_cycle(parents: Mapping[str, str | None], child: str, parent: str) -> bool:
    """Whether making `parent` the parent of `child` would loop: `child` is `parent` or above it."""
    seen: set[str] = set()
    at: str | None = parent
    while at is not None and at not in seen:
        if at == child:
            return True
        seen.add(at)
        at = parents.get(at)
    return False


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


def is_usergroup_id(value: str) -> bool:
    """A Slack user-group id, as far as its shape shows: S0123ABC."""
    return bool(value) and value[0] == "S" and value.isalnum()


def parse_teams(path: Path) -> Parsed:
    """Team rows from a CSV with `team,user_id,role,parent` (role member or supervisor, blank: member; parent the
    team's department) and an optional `usergroup`. A team has one parent: a second one, or a loop, is a bad line."""
    parsed = Parsed()
    parents: dict[str, str | None] = {}  # the parents the good lines so far gave
    for number, record in _records(path, read_text(path)):
        if isinstance(record, str):
            parsed.errors.append((number, record))
            continue
        team, user_id, parent = _text(record, "team"), _text(record, "user_id"), _text(record, "parent") or None
        role, usergroup = _text(record, "role").lower() or TeamRole.MEMBER, _text(record, "usergroup") or None
        error = _team_error(team, user_id, role, parent, usergroup, parents)
        if error:
            parsed.errors.append((number, error))
            continue
        if parent:
            parents[team] = parent
        parsed.rows.append(TeamRow(number, team, user_id, TeamRole(role), parent, usergroup))
    return parsed


def _team_error(team: str, user_id: str, role: str, parent: str | None, usergroup: str | None,
                parents: Mapping[str, str | None]) -> str | None:
    """What is wrong with one line of a team file, given the parents of the lines before it; None if nothing."""
    if not team:
        return "missing team"
    if not is_user_id(user_id):
        return f"user_id must be a Slack user ID such as U012ABCDEF, got {user_id!r}"
    if role not in tuple(TeamRole):
        return f"role must be member or supervisor, got {role!r}"
    if usergroup and not is_usergroup_id(usergroup):
        return f"usergroup must be a Slack user group ID such as S0123ABC, got {usergroup!r}"
    if parent and parents.get(team) not in (None, parent):
        return f"team {team!r} has two parents: {parents[team]!r} and {parent!r}"
    if parent and closes_cycle(parents, team, parent):
        return f"parent {parent!r} would put team {team!r} under itself"
    return None


def parse_competencies(path: Path) -> Parsed:
    """Competency rows with `id`, `name` and an optional `parent` (another competency's id), from a CSV, JSON Lines
    or a JSON array. A loop, or an id given twice, is a bad line; whether a parent exists is the import's question."""
    parsed = Parsed()
    parents: dict[str, str | None] = {}
    for number, record in _records(path, read_text(path)):
        if isinstance(record, str):
            parsed.errors.append((number, record))
            continue
        key, name, parent = _text(record, "id"), _text(record, "name"), _text(record, "parent") or None
        if not key:
            parsed.errors.append((number, "missing id"))
        elif not name:
            parsed.errors.append((number, "missing name"))
        elif key in parents:
            parsed.errors.append((number, f"competency {key!r} is given twice"))
        elif parent and closes_cycle(parents, key, parent):
            parsed.errors.append((number, f"parent {parent!r} would put competency {key!r} under itself"))
        else:
            parents[key] = parent
            parsed.rows.append(CompetencyRow(number, key, name, parent))
    return parsed

"""No cold start: learn past questions, their thread answers and who answered from a Slack export.

A standard workspace export (a .zip or its unpacked folder) holds `users.json`, `channels.json`
(and `groups.json` for private channels) and one folder per channel, named after the channel, with
one `YYYY-MM-DD.json` array of messages per day. A thread root by a human with at least one reply
by another human becomes a resolved Question (`source="export"`); those replies become Answers, so
the index learns who helps with what. Bots, system messages (joins, topics ...) and the asker's own
replies are not answers, nor are replies by people deleted from the workspace (routing would ping
someone who has left). No Slack API is called.

Reading streams one channel at a time (only that channel's thread messages are held in memory); a
malformed file is reported with its path and the rest continues. Importing commits every
BATCH_THREADS threads and is idempotent: questions are matched by (help_channel, thread_ts) and
answers by (question_id, message_ts).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.search.changes import EXPERT, QUESTION, note_change
from bot.slack_text import decode
from bot.wording import plural
from store.models import Answer, Person, Question, QuestionStatus

BATCH_THREADS = 500
SOURCE = "export"
HUMAN_SUBTYPES = frozenset({"", "thread_broadcast", "file_share", "me_message"})
BOT_USERS = frozenset({"USLACKBOT"})
DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")


class BadExport(Exception):
    """The path is not a readable Slack export at all (the message is for the user)."""


@dataclass(frozen=True)
class FileError:
    """A file that could not be read; the rest of the export was still imported."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class User:
    id: str
    name: str | None
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class Channel:
    id: str
    name: str


@dataclass(frozen=True)
class Message:
    ts: str
    user: str
    text: str


@dataclass(frozen=True)
class Thread:
    """A human's thread root and its human replies (the asker's included), oldest first."""

    channel_id: str
    root: Message
    replies: tuple[Message, ...]


@dataclass
class Export:
    """An opened export: users and channels read, threads read lazily by `threads()`.

    `errors` and `skipped` (messages ignored: bots, joins and other system messages, messages
    without a user or ts, replies whose root is not in the export) fill in as threads are read.
    """

    path: Path
    users: dict[str, User]
    channels: list[Channel]
    errors: list[FileError] = field(default_factory=list)
    skipped: int = 0
    _root_errors: list[FileError] = field(default_factory=list, repr=False)

    def threads(self) -> Iterator[Thread]:
        """Every thread root by a human, channel by channel (re-iterable; resets errors and skipped)."""
        self.errors, self.skipped = list(self._root_errors), 0
        with _open_source(self.path) as source:
            days = source.day_files()
            for channel in self.channels:
                yield from self._channel_threads(source, channel, days.get(channel.name, []))

    def _channel_threads(self, source: _Source, channel: Channel, files: list[str]) -> Iterator[Thread]:
        roots: dict[str, Message] = {}
        replies: dict[str, dict[str, Message]] = defaultdict(dict)
        for name in files:
            for raw in self._day_messages(source, name):
                kind = _kind(raw, self.users)
                if kind is None:
                    self.skipped += 1
                    continue
                message, thread_ts = kind
                if thread_ts is None:
                    if _is_root(raw):
                        roots[message.ts] = message
                else:
                    replies[thread_ts][message.ts] = message
        for thread_ts in set(replies) - set(roots):
            self.skipped += len(replies.pop(thread_ts))
        for ts in sorted(roots, key=_ts_key):
            found = sorted(replies.get(ts, {}).values(), key=lambda m: _ts_key(m.ts))
            yield Thread(channel.id, roots[ts], tuple(found))

    def _day_messages(self, source: _Source, name: str) -> list[dict[str, Any]]:
        try:
            data = json.loads(source.read(name).decode("utf-8-sig"))
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            self.errors.append(FileError(source.display(name), f"not valid JSON ({exc})"))
            return []
        if not isinstance(data, list):
            self.errors.append(FileError(source.display(name), "expected a JSON array of messages"))
            return []
        bad = [m for m in data if not isinstance(m, dict)]
        self.skipped += len(bad)
        return [m for m in data if isinstance(m, dict)]


@dataclass
class ExportReport:
    """What an import did. `threads` == questions + already + unanswered."""

    channels: int = 0
    threads: int = 0  # thread roots by a human
    questions: int = 0  # new Question rows
    answers: int = 0  # new Answer rows
    people: int = 0  # new Person rows
    already: int = 0  # threads imported before
    unanswered: int = 0  # threads with no reply by another (current) human
    skipped: int = 0  # messages ignored (see Export)
    errors: list[FileError] = field(default_factory=list)

    def summary(self) -> str:
        return (f"slack export: {plural(self.threads, 'thread')} in {plural(self.channels, 'channel')}: "
                f"{plural(self.questions, 'question')} and {plural(self.answers, 'answer')} added, "
                f"{plural(self.people, 'person')} added, {self.already} already imported, "
                f"{self.unanswered} without an answer, {plural(self.skipped, 'message')} skipped, "
                f"{plural(len(self.errors), 'file')} with errors")


# -- reading ------------------------------------------------------------------------------------

def read_export(path: Path) -> Export:
    """Open a Slack export (zip or folder) and read its users and channels; raises BadExport."""
    with _open_source(path) as source:
        errors: list[FileError] = []
        users = {u.id: u for u in _users(_top_json(source, "users.json", errors))}
        channels: dict[str, Channel] = {}
        for name in ("channels.json", "groups.json"):
            for channel in _channels(_top_json(source, name, errors)):
                channels.setdefault(channel.id, channel)
        if not source.has("channels.json") and not source.has("groups.json"):
            raise BadExport(f"{path}: no channels.json or groups.json: not a Slack workspace export")
    return Export(path, users, list(channels.values()), list(errors), _root_errors=errors)


def _top_json(source: _Source, name: str, errors: list[FileError]) -> list[dict[str, Any]]:
    """A top-level JSON array of objects, or [] (with an error unless the file is absent)."""
    if not source.has(name):
        if name == "users.json":
            errors.append(FileError(source.display(name), "missing"))
        return []
    try:
        data = json.loads(source.read(name).decode("utf-8-sig"))
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        errors.append(FileError(source.display(name), f"not valid JSON ({exc})"))
        return []
    if not isinstance(data, list):
        errors.append(FileError(source.display(name), "expected a JSON array"))
        return []
    return [entry for entry in data if isinstance(entry, dict)]


def _users(entries: Iterable[dict[str, Any]]) -> Iterator[User]:
    for entry in entries:
        if isinstance(entry.get("id"), str):
            profile = entry.get("profile") if isinstance(entry.get("profile"), dict) else {}
            names = (entry.get("real_name"), profile.get("real_name"), profile.get("display_name"), entry.get("name"))
            name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), None)
            yield User(entry["id"], name[:200] if name else None,
                       bool(entry.get("is_bot") or entry.get("is_app_user")), bool(entry.get("deleted")))


def _channels(entries: Iterable[dict[str, Any]]) -> Iterator[Channel]:
    for entry in entries:
        if isinstance(entry.get("id"), str) and isinstance(entry.get("name"), str):
            yield Channel(entry["id"], entry["name"])


def _kind(raw: dict[str, Any], users: dict[str, User]) -> tuple[Message, str | None] | None:
    """(the message, the thread it replies in or None) for a human's message; None to ignore it."""
    user, ts = raw.get("user"), raw.get("ts")
    if not isinstance(user, str) or not isinstance(ts, str) or parse_ts(ts) is None:
        return None
    if raw.get("bot_id") or (raw.get("subtype") or "") not in HUMAN_SUBTYPES or _is_bot(user, users):
        return None
    text = raw.get("text") if isinstance(raw.get("text"), str) else ""
    thread_ts = raw.get("thread_ts")
    reply_to = thread_ts if isinstance(thread_ts, str) and thread_ts != ts else None
    return Message(ts, user, decode(text)), reply_to


def _is_bot(user_id: str, users: dict[str, User]) -> bool:
    known = users.get(user_id)
    return user_id in BOT_USERS or (known is not None and known.is_bot)


def _is_root(raw: dict[str, Any]) -> bool:
    return raw.get("thread_ts") == raw.get("ts") or bool(raw.get("replies")) or bool(raw.get("reply_count"))


def parse_ts(ts: str) -> datetime | None:
    """A Slack ts ("1709546400.000100") as an aware UTC datetime, exact to the microsecond."""
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()):
        return None
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime.fromtimestamp(int(seconds), timezone.utc) + timedelta(microseconds=micros)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int((fraction or "0")[:6].ljust(6, "0"))


# -- sources: a folder or a zip, with the export possibly one folder down -----------------------

class _Source:
    """Files of an export by relative posix name ("general/2024-03-04.json")."""

    def __init__(self, label: str, names: list[str]) -> None:
        self.label = label
        self.prefix = _prefix(names)
        self.names = {n[len(self.prefix):] for n in names if n.startswith(self.prefix) and not _junk(n)}

    def has(self, name: str) -> bool:
        return name in self.names

    def day_files(self) -> dict[str, list[str]]:
        """Day files by channel folder name, in date order."""
        days: dict[str, list[str]] = defaultdict(list)
        for name in self.names:
            parts = PurePosixPath(name).parts
            if len(parts) == 2 and DAY_FILE.match(parts[1]):
                days[parts[0]].append(name)
        return {folder: sorted(files) for folder, files in days.items()}

    def display(self, name: str) -> str:
        return f"{self.label}/{self.prefix}{name}"

    def read(self, name: str) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _FolderSource(_Source):
    def __init__(self, root: Path) -> None:
        self.root = root
        names = [p.relative_to(root).as_posix() for p in root.rglob("*.json") if len(p.relative_to(root).parts) <= 3]
        super().__init__(str(root), names)

    def read(self, name: str) -> bytes:
        return (self.root / self.prefix / name).read_bytes()


class _ZipSource(_Source):
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        super().__init__(str(path), [n for n in self.zip.namelist() if n.endswith(".json")])

    def display(self, name: str) -> str:
        return f"{self.label}:{self.prefix}{name}"

    def read(self, name: str) -> bytes:
        return self.zip.read(self.prefix + name)

    def close(self) -> None:
        self.zip.close()


def _open_source(path: Path) -> _Source:
    try:
        if path.is_dir():
            return _FolderSource(path)
        if zipfile.is_zipfile(path):
            return _ZipSource(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BadExport(f"cannot read {path}: {exc}") from exc
    raise BadExport(f"{path} is neither a folder nor a .zip file")


def _prefix(names: list[str]) -> str:
    """The folder holding channels.json (an export zipped with its folder has one level more)."""
    tops = [n for n in names if PurePosixPath(n).name in ("channels.json", "groups.json") and not _junk(n)]
    if not tops:
        return ""
    shortest = min(tops, key=lambda n: (n.count("/"), n))
    parent = PurePosixPath(shortest).parent.as_posix()
    return "" if parent == "." else parent + "/"


def _junk(name: str) -> bool:
    return name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._")


# -- importing ----------------------------------------------------------------------------------

def import_export(session: Session, export: Export, now: datetime, batch_size: int = BATCH_THREADS) -> ExportReport:
    """Store the export's answered threads as resolved questions with their answers; commits per batch."""
    report = ExportReport(channels=len(export.channels))
    known_people: set[str] = set()
    answerers: set[str] = set()
    batch: list[Thread] = []
    for thread in export.threads():
        if not thread.root.text.strip():
            export.skipped += 1
            continue
        batch.append(thread)
        answerers.update(m.user for m in answers_of(thread, export.users))
        if len(batch) >= batch_size:
            _import_batch(session, batch, export.users, known_people, now, report)
            batch = []
    _import_batch(session, batch, export.users, known_people, now, report)
    if report.answers:
        _note_experts(session, answerers, now)
    report.skipped, report.errors = export.skipped, list(export.errors)
    return report


def _note_experts(session: Session, answerers: set[str], now: datetime) -> None:
    """One index change per answerer for the whole import, once every batch is in.

    Per batch it would be one per answerer per batch, and a running bot re-reads all of a person's
    answers for each. All the export's answerers are noted (not only those of this run), so a
    re-run after an interrupted import also tells running bots about the batches it committed.
    """
    for user_id in sorted(answerers):
        note_change(session, EXPERT, user_id, now)
    session.commit()


def answers_of(thread: Thread, users: dict[str, User]) -> list[Message]:
    """Replies that count as answers: by someone other than the asker, still in the workspace, not empty."""
    return [m for m in thread.replies
            if m.user != thread.root.user and m.text.strip() and not _gone(m.user, users)]


def _gone(user_id: str, users: dict[str, User]) -> bool:
    known = users.get(user_id)
    return known is not None and known.deleted


def _import_batch(session: Session, threads: list[Thread], users: dict[str, User], known_people: set[str],
                  now: datetime, report: ExportReport) -> None:
    """One transaction: new questions inserted together, then the answers they lack, then people."""
    if not threads:
        return
    report.threads += len(threads)
    answered = [(thread, answers) for thread in threads if (answers := answers_of(thread, users))]
    report.unanswered += len(threads) - len(answered)
    ids = _existing_questions(session, threads)
    report.already += sum(1 for thread, _ in answered if _key(thread) in ids)
    fresh = [(thread, answers) for thread, answers in answered if _key(thread) not in ids]
    ids.update(_add_questions(session, fresh))
    report.questions += len(fresh)
    have = _existing_answers(session, [ids[_key(thread)] for thread, _ in answered])
    added = [(ids[_key(thread)], m) for thread, answers in answered for m in answers
             if (ids[_key(thread)], m.ts) not in have]
    session.add_all([Answer(question_id=qid, user_id=m.user, message_ts=m.ts, text=m.text, created_at=_when(m.ts))
                     for qid, m in added])
    report.answers += len(added)
    for question_id in sorted({qid for qid, _ in added}):
        note_change(session, QUESTION, question_id, now)
    involved = {thread.root.user for thread, _ in answered} | {m.user for _, m in added}
    report.people += _ensure_people(session, involved - known_people, users, now)
    known_people.update(involved)
    session.commit()


def _key(thread: Thread) -> tuple[str, str]:
    return thread.channel_id, thread.root.ts


def _existing_questions(session: Session, threads: list[Thread]) -> dict[tuple[str, str], int]:
    """Ids of the questions already stored for these threads, by (channel, thread ts)."""
    keys = {_key(t) for t in threads}
    rows = session.execute(select(Question.help_channel, Question.thread_ts, Question.id).where(
        Question.thread_ts.in_({ts for _, ts in keys}), Question.help_channel.in_({ch for ch, _ in keys})))
    return {(channel, ts): qid for channel, ts, qid in rows if (channel, ts) in keys}


def _existing_answers(session: Session, question_ids: list[int]) -> set[tuple[int, str]]:
    if not question_ids:
        return set()
    rows = session.execute(select(Answer.question_id, Answer.message_ts)
                           .where(Answer.question_id.in_(set(question_ids))))
    return {(qid, ts) for qid, ts in rows}


def _add_questions(session: Session, fresh: list[tuple[Thread, list[Message]]]) -> dict[tuple[str, str], int]:
    """Insert resolved questions in one flush; their ids by (channel, thread ts)."""
    questions = [(_key(thread), _question(thread, answers)) for thread, answers in fresh]
    session.add_all([q for _, q in questions])
    session.flush()
    return {key: q.id for key, q in questions}


def _question(thread: Thread, answers: list[Message]) -> Question:
    """A resolved question; it was resolved when the thread's last human reply came."""
    asked = _when(thread.root.ts)
    last = max((_when(m.ts) for m in thread.replies), default=asked)
    return Question(asker_id=thread.root.user, text=thread.root.text, anonymous=False, asked_in=thread.channel_id,
                    status=QuestionStatus.RESOLVED, asked_at=asked, routed_at=asked,
                    first_answer_at=_when(answers[0].ts), resolved_at=last, help_channel=thread.channel_id,
                    thread_ts=thread.root.ts, source=SOURCE)


def _ensure_people(session: Session, user_ids: set[str], users: dict[str, User], now: datetime) -> int:
    """Person rows for `user_ids` named from users.json (a missing name is filled in); how many were new."""
    if not user_ids:
        return 0
    existing = {p.user_id: p for p in session.scalars(select(Person).where(Person.user_id.in_(user_ids)))}
    for person in existing.values():
        known = users.get(person.user_id)
        if person.name is None and known is not None and known.name:
            person.name = known.name
    new = sorted(user_ids - set(existing))
    session.add_all([Person(user_id=u, name=users[u].name if u in users else None, created_at=now) for u in new])
    return len(new)


def _when(ts: str) -> datetime:
    when = parse_ts(ts)
    assert when is not None, ts  # messages with a bad ts were dropped while reading
    return when

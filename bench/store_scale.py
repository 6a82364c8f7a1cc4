"""Store at scale: the andon sweep over 100,000 open questions and the weekly digest over 1,000,000.

Usage:  python bench/store_scale.py [--database-url URL] [--questions N] [--people N] [--open N]
                                    [--due N] [--answerers N] [--backlog-runs N] [--seed N] [--wipe]
                                    [--only andon|digest]

Without --database-url each phase runs on a fresh temporary SQLite file (WAL, as `store.db.make_engine`
sets it up); with `--database-url postgresql+psycopg://...` on that PostgreSQL database. Every schema
is built with the real Alembic migrations (`store.db.upgrade`); the script drops the learnbot tables
between phases and at the end, and refuses to touch a database that already holds them unless
--wipe is given.

Phase 1, andon (target < 2 s per sweep):
  `--open` routed, unanswered, unescalated questions, routed over the last 14 days, with their help
  thread set. The SLA is set to 14 days so that, as in the steady state of a sweep running every
  minute, most are not due yet and `--due` of them are just past it. Measured: the first sweep (it
  escalates the due ones onto andon cards), a second sweep with nothing due, and the worst case, a
  backlog where all are past the SLA: time per run (each run takes at most SWEEP_BATCH) and the
  number of runs that drains it (`--backlog-runs` runs are timed, 5 by default; 0 drains it all). Baseline: load every routed question into Python, filter there.

Phase 2, digest (target < 2 s):
  `--questions` questions over 52 weeks from `--people` people, answered by `--answerers` of them,
  with answers, feedback, andon cards and reflections. Measured: `build_digest(..., for_managers=True)`
  for a week in the middle. Baselines: the week's questions loaded into Python with the counts and
  median computed there, and a full-table `SELECT count(*) FROM questions`.

Ratios are `time / baseline` (below 1: faster than the baseline). Loads use Core `insert()` with
batches of 10,000 dicts; SQLite loads run with `PRAGMA synchronous=OFF` on a separate engine, the
measurements on a normal `make_engine` engine. PostgreSQL gets an ANALYZE after each load (what
autovacuum does in the steady state); SQLite does not, since the bot never runs one.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, Table, event, func, insert, inspect, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.andon import SWEEP_BATCH, sweep_andon  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.digest import Week, build_digest, week_of  # noqa: E402
from store.db import make_engine, session_factory, upgrade  # noqa: E402
from store.models import (AndonCard, Answer, Base, Feedback, LibraryItem, Person, Question,  # noqa: E402
                          Reflection)

UTC = timezone.utc
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a fixed "now": the runs are reproducible
BATCH = 10_000
TARGET_SECONDS = 2.0
SLA = timedelta(days=14)
HELP_CHANNEL = "CHELP0001"

# -- realistic question text ---------------------------------------------------------------------

SUBJECTS = [
    "expense report", "vpn access", "kubernetes deployment", "payroll calendar", "sso login",
    "docker build cache", "quarterly forecast", "customer refund", "jira workflow", "sales pipeline",
    "onboarding checklist", "pto request", "laptop encryption", "sql query performance", "python packaging",
    "react state management", "terraform state lock", "invoice approval", "security training", "okr planning",
    "pricing calculator", "gdpr data request", "incident postmortem", "on-call rotation", "feature flags",
    "release checklist", "travel booking", "benefits enrolment", "code review guidelines", "api rate limits",
    "data warehouse access", "dashboard permissions", "contract renewal", "purchase order", "brand guidelines",
    "interview scorecard", "performance review", "git rebase", "ci pipeline cache", "mobile app signing",
    "customer churn report", "support escalation", "warehouse picking", "forklift certification",
    "lean kaizen event", "5s audit", "safety induction", "supplier onboarding", "kanban board", "andon cord",
]
VERBS = ["set up", "fix", "update", "request", "approve", "configure", "debug", "renew", "submit", "reset",
         "find", "export", "migrate", "automate", "review"]
CONTEXTS = ["", "", "", "for contractors", "on a mac", "after the migration", "for new hires", "in the EU office",
            "in staging", "before month end", "for the night shift", "without admin rights", "on the new laptop",
            "for a customer demo", "in the shared drive", "for the audit"]
TEMPLATES = [
    "How do I {verb} the {subject} {context}?",
    "Where can I find the {subject} guide {context}?",
    "Who knows about {subject}? I need to {verb} it {context}",
    "Is there a way to {verb} {subject} {context}",
    "What's the process for {subject} {context}?",
    "{subject} keeps failing when I try to {verb} it {context}, any idea?",
    "Can someone explain how {subject} works {context}",
]
REFLECTIONS = ["Learned where the runbook lives", "Now I know who to ask", "Explaining it clarified my own view",
               "Will write this down for the team", "The library article was out of date"]


def question_text(rng: random.Random) -> str:
    """A question with a topic subject, a verb and some context; an occasional error code."""
    line = rng.choice(TEMPLATES).format(verb=rng.choice(VERBS), subject=rng.choice(SUBJECTS),
                                        context=rng.choice(CONTEXTS))
    if rng.random() < 0.15:
        line += f" (error E{rng.randint(100, 999)})"
    return " ".join(line.split())


def user_id(n: int) -> str:
    """A Slack-looking user id for person number n."""
    return f"U{n:09d}"


def thread_ts(moment: datetime, n: int) -> str:
    return f"{int(moment.timestamp())}.{n % 1_000_000:06d}"


# -- databases -----------------------------------------------------------------------------------

@dataclass
class Target:
    """Where a phase runs: a fresh temporary SQLite file, or the PostgreSQL database given."""

    url: str | None
    tmpdir: Path

    def fresh(self, name: str) -> str:
        """A URL for an empty learnbot schema built with the real migrations."""
        if self.url is None:
            url = f"sqlite:///{self.tmpdir / (name + '.db')}"
        else:
            url = self.url
            drop_learnbot_tables(url)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url

    def cleanup(self) -> None:
        if self.url is not None:
            drop_learnbot_tables(self.url)

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url is None else "postgresql"


def drop_learnbot_tables(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def has_learnbot_tables(url: str) -> bool:
    engine = make_engine(url)
    try:
        return "alembic_version" in inspect(engine).get_table_names() or \
            "questions" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def load_engine(url: str) -> Engine:
    """An engine for bulk loading: on SQLite, `synchronous=OFF` (for the load only)."""
    engine = make_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA synchronous=OFF"))
    return engine


def bulk_insert(engine: Engine, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Insert rows with Core `insert()`, BATCH at a time, one transaction per batch; returns the count."""
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            count += _flush(engine, table, batch)
            batch = []
    if batch:
        count += _flush(engine, table, batch)
    return count


def _flush(engine: Engine, table: Table, batch: list[dict[str, Any]]) -> int:
    with engine.begin() as conn:
        conn.execute(insert(table), batch)
    return len(batch)


def finish_load(engine: Engine, tables: Iterable[Table]) -> None:
    """PostgreSQL: move the id sequences past the explicit ids, and ANALYZE."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                              f"coalesce((SELECT max(id) FROM {table.name}), 1))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


# -- timing and the report -----------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


@dataclass
class Row:
    case: str
    rows: int
    seconds: float
    baseline: float | None = None
    target: float | None = TARGET_SECONDS

    def cells(self) -> list[str]:
        ratio = f"{self.seconds / self.baseline:.3f}" if self.baseline else "-"
        met = "-" if self.target is None else ("yes" if self.seconds < self.target else "NO")
        base = f"{self.baseline:.3f}" if self.baseline is not None else "-"
        return [self.case, f"{self.rows:,}", f"{self.seconds:.3f}", base, ratio, met]


def print_table(title: str, rows: list[Row]) -> None:
    header = ["case", "rows", "time s", "baseline s", "ratio", "target <2s"]
    body = [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    print(f"\n{title}")
    for line in [header, ["-" * w for w in widths], *body]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- phase 1: the andon sweep --------------------------------------------------------------------

def open_question_rows(rng: random.Random, n: int, due: int, people: int) -> Iterator[dict[str, Any]]:
    """`n` routed, unanswered, unescalated questions; the first `due` are just past the SLA."""
    for i in range(n):
        if i < due:
            routed = NOW - SLA - timedelta(seconds=rng.randint(1, 3600))
        else:
            routed = NOW - SLA + timedelta(seconds=rng.randint(60, int(SLA.total_seconds())))
        asked = routed - timedelta(seconds=rng.randint(1, 5))
        yield dict(id=i + 1, asker_id=user_id(rng.randrange(people)), text=question_text(rng), anonymous=False,
                   asked_in="CASK0001", status="routed", asked_at=asked, routed_at=routed,
                   help_channel=HELP_CHANNEL, thread_ts=thread_ts(routed, i), source="slack")


def load_open_questions(url: str, seed: int, n: int, due: int, people: int) -> float:
    engine = load_engine(url)
    seconds, _ = timed(lambda: bulk_insert(engine, Question.__table__,
                                           open_question_rows(random.Random(seed), n, due, people)))
    finish_load(engine, [Question.__table__])
    engine.dispose()
    return seconds


def naive_due(session: Session, now: datetime) -> int:
    """Baseline: every routed question into Python, filtered there."""
    cutoff = now - SLA
    questions = session.scalars(select(Question).where(Question.status == "routed")).all()
    return sum(1 for q in questions if q.first_answer_at is None and q.escalated_at is None
               and q.routed_at is not None and q.routed_at <= cutoff)


def sweep_once(url_engine: Engine, settings: Settings, now: datetime) -> tuple[float, int]:
    sessions = session_factory(url_engine)
    with sessions() as session:
        seconds, report = timed(lambda: sweep_andon(session, settings, now))
    return seconds, report.escalated


def andon_phase(target: Target, args: argparse.Namespace) -> list[Row]:
    settings = Settings(answer_sla=SLA, andon_channel="CANDON001", managers=("UMANAGER1",))
    rows: list[Row] = []

    url = target.fresh("andon")
    log(f"andon: loading {args.open:,} open questions ({args.due:,} past the SLA)")
    log(f"andon: loaded in {load_open_questions(url, args.seed, args.open, args.due, args.people):.1f} s")
    engine = make_engine(url)
    with session_factory(engine)() as session:
        base, found = timed(lambda: naive_due(session, NOW))
    first, escalated = sweep_once(engine, settings, NOW)
    log(f"andon: first sweep escalated {escalated:,} (naive scan found {found:,})")
    rows.append(Row(f"sweep, {escalated:,} due (first)", args.open, first, base))
    second, escalated2 = sweep_once(engine, settings, NOW + timedelta(minutes=1))
    rows.append(Row(f"sweep, nothing due (escalated {escalated2})", args.open, second, base))
    engine.dispose()

    url = target.fresh("andon_backlog")
    log(f"andon: loading a backlog of {args.open:,} questions all past the SLA")
    load_open_questions(url, args.seed + 1, args.open, args.open, args.people)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        base, _ = timed(lambda: naive_due(session, NOW))
    needed = math.ceil(args.open / SWEEP_BATCH)
    runs, drained, idle = drain(engine, settings, args.backlog_runs or needed)
    engine.dispose()
    rows.append(Row(f"backlog run 1 (batch {SWEEP_BATCH:,})", args.open, runs[0], base))
    rows.append(Row(f"backlog run, median of {len(runs)} measured", args.open, statistics.median(runs), base))
    rows.append(Row(f"backlog run {len(runs)} (last measured)", args.open, runs[-1], base))
    if idle is not None:
        rows.append(Row(f"backlog drained: {len(runs)} runs, total", drained, sum(runs), None, None))
        rows.append(Row(f"sweep after drain ({drained:,} escalated, still routed)", args.open, idle, base))
    else:
        rows.append(Row(f"backlog: {needed} runs to drain, {len(runs)} measured ({drained:,}), total",
                        drained, sum(runs), None, None))
    return rows


def drain(engine: Engine, settings: Settings, limit: int) -> tuple[list[float], int, float | None]:
    """Sweep a backlog, one minute apart, up to `limit` runs that escalate something.

    Returns the time of each run, how many were escalated, and the time of the first sweep that found
    nothing left (None if `limit` stopped it first).
    """
    runs: list[float] = []
    drained = 0
    while True:
        seconds, escalated = sweep_once(engine, settings, NOW + timedelta(minutes=len(runs)))
        if escalated == 0:
            return runs, drained, seconds
        runs.append(seconds)
        drained += escalated
        log(f"andon: backlog run {len(runs)}: {escalated:,} escalated in {seconds:.2f} s ({drained:,} so far)")
        if len(runs) >= limit:
            return runs, drained, None


# -- phase 2: the digest -------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    """The size of the generated history."""

    questions: int
    people: int
    answerers: int
    weeks: int = 52
    items: int = 2_000
    cards_per_week: int = 15

    @property
    def start(self) -> datetime:
        return NOW - timedelta(weeks=self.weeks)


def people_rows(shape: Shape) -> Iterator[dict[str, Any]]:
    for n in range(shape.people):
        yield dict(user_id=user_id(n), name=f"Person {n}", digest_opt_out=n % 50 == 0,
                   created_at=shape.start - timedelta(days=30))


def item_rows(rng: random.Random, shape: Shape) -> Iterator[dict[str, Any]]:
    span = (NOW - shape.start).total_seconds()
    for n in range(shape.items):
        created = shape.start + timedelta(seconds=rng.uniform(0, span))
        title = f"{rng.choice(SUBJECTS).capitalize()}: {rng.choice(VERBS)} {rng.choice(CONTEXTS)}".strip()
        yield dict(id=n + 1, key=hashlib.sha256(f"item{n}".encode()).hexdigest(), title=title,
                   url=f"https://wiki.example.com/{n}", body=question_text(rng), tags=rng.choice(SUBJECTS),
                   source="import", created_at=created, updated_at=created)


def card_rows(rng: random.Random, shape: Shape) -> Iterator[dict[str, Any]]:
    """Cards per week: resolved long ago, live (open/acknowledged) in the last two weeks."""
    for n in range(shape.weeks * shape.cards_per_week):
        week = n // shape.cards_per_week
        created = shape.start + timedelta(weeks=week, seconds=rng.uniform(0, 7 * 86400))
        live = NOW - created < timedelta(weeks=2)
        status = rng.choice(["open", "acknowledged"]) if live else "resolved"
        ack = created + timedelta(hours=rng.uniform(1, 48)) if status != "open" else None
        yield dict(id=n + 1, label=f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)}", status=status, version=2,
                   created_at=created, channel="CANDON001", message_ts=thread_ts(created, n),
                   acknowledged_by="UMANAGER1" if ack else None, acknowledged_at=ack,
                   resolved_by=None if live else "UMANAGER1",
                   resolved_at=None if live else created + timedelta(days=rng.uniform(2, 10)),
                   kanban_at=created + timedelta(days=1) if n % 7 == 0 else None,
                   notified_at=created, notify_count=0)


@dataclass
class History:
    """Rows generated alongside the questions (they need the questions' ids and times)."""

    answers: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    reflections: list[dict[str, Any]]


QUESTION_BLANKS: dict[str, Any] = dict.fromkeys(
    ["self_served_at", "routed_at", "first_answer_at", "resolved_at", "escalated_at", "help_channel", "thread_ts",
     "andon_card_id"])  # every row of a batch must have the same keys


def question_row(rng: random.Random, shape: Shape, qid: int, history: History) -> dict[str, Any]:
    """One question of the year and, in `history`, its answers, feedback and reflections."""
    span = (NOW - shape.start).total_seconds() - 3600
    # ids follow time, as when the bot inserts questions as they are asked (a few minutes of jitter)
    asked = shape.start + timedelta(seconds=min(span, span * (qid - 1) / shape.questions + rng.uniform(0, 600)))
    asker = user_id(rng.randrange(shape.people))
    row: dict[str, Any] = dict(QUESTION_BLANKS, id=qid, asker_id=asker, text=question_text(rng), anonymous=rng.random() < 0.05,
                               asked_in="CASK0001", asked_at=asked, source="slack" if rng.random() < 0.97 else "export")
    kind = rng.random()
    if kind < 0.35:  # the library answered at once
        row.update(status="self_served", self_served_at=asked + timedelta(seconds=1))
        if rng.random() < 0.3:
            history.feedback.append(dict(question_id=qid, item_id=rng.randint(1, shape.items), user_id=asker,
                                         helpful=rng.random() < 0.8, created_at=asked + timedelta(minutes=1)))
        return row
    routed = asked + timedelta(seconds=2)
    row.update(routed_at=routed, help_channel=HELP_CHANNEL, thread_ts=thread_ts(routed, qid))
    age = NOW - routed
    if kind < 0.90:  # a colleague answered
        first = routed + timedelta(seconds=min(rng.lognormvariate(8.0, 1.2), 3 * 86400))
        if first >= NOW:
            row.update(status="routed")
            return row
        resolved = rng.random() < 0.75
        row.update(status="resolved" if resolved else "answered", first_answer_at=first,
                   resolved_at=first + timedelta(minutes=30) if resolved else None)
        _answers(rng, shape, qid, first, resolved, asker, history)
        return row
    if age < timedelta(hours=4):  # not due yet
        row.update(status="routed")
        return row
    escalated = routed + timedelta(hours=4)
    week = min(int((escalated - shape.start) / timedelta(weeks=1)), shape.weeks - 1)
    card = week * shape.cards_per_week + rng.randrange(shape.cards_per_week) + 1
    live = NOW - escalated < timedelta(weeks=2)
    row.update(status="routed" if live else "resolved", escalated_at=escalated, andon_card_id=card,
               resolved_at=None if live else escalated + timedelta(days=3))
    return row


def _answers(rng: random.Random, shape: Shape, qid: int, first: datetime, resolved: bool, asker: str,
             history: History) -> None:
    for k in range(2 if rng.random() < 0.2 else 1):
        created = first + timedelta(minutes=20 * k)
        answerer = user_id(rng.randrange(shape.answerers))
        history.answers.append(dict(question_id=qid, user_id=answerer, message_ts=thread_ts(created, qid * 2 + k),
                                    text=f"Try this: {question_text(rng)}", created_at=created,
                                    accepted_at=created + timedelta(minutes=30) if resolved and k == 0 else None))
        if resolved and k == 0 and rng.random() < 0.1:
            history.reflections.append(dict(question_id=qid, user_id=asker, role="asker",
                                            text=rng.choice(REFLECTIONS), created_at=created + timedelta(hours=1)))


def load_history(url: str, seed: int, shape: Shape) -> dict[str, int]:
    """Everything the digest reads, in batches; returns the row count per table."""
    rng = random.Random(seed)
    engine = load_engine(url)
    counts = {"people": bulk_insert(engine, Person.__table__, people_rows(shape)),
              "library_items": bulk_insert(engine, LibraryItem.__table__, item_rows(rng, shape)),
              "andon_cards": bulk_insert(engine, AndonCard.__table__, card_rows(rng, shape))}
    counts.update(questions=0, answers=0, feedback=0, reflections=0)
    for start in range(0, shape.questions, BATCH):
        history = History([], [], [])
        batch = [question_row(rng, shape, qid, history)
                 for qid in range(start + 1, min(start + BATCH, shape.questions) + 1)]
        counts["questions"] += _flush(engine, Question.__table__, batch)
        counts["answers"] += _flush(engine, Answer.__table__, history.answers) if history.answers else 0
        counts["feedback"] += _flush(engine, Feedback.__table__, history.feedback) if history.feedback else 0
        counts["reflections"] += _flush(engine, Reflection.__table__, history.reflections) \
            if history.reflections else 0
        if (start // BATCH) % 20 == 19:
            log(f"digest: {counts['questions']:,} questions loaded")
    finish_load(engine, [Question.__table__, Answer.__table__, Feedback.__table__, Reflection.__table__,
                         AndonCard.__table__, LibraryItem.__table__])
    engine.dispose()
    return counts


def naive_week(session: Session, week: Week) -> tuple[int, int, int, int, int, float | None]:
    """Baseline: the week's questions with their timestamps into Python, the counts and median there."""
    rows = session.execute(select(Question.status, Question.asked_at, Question.self_served_at,
                                  Question.first_answer_at, Question.escalated_at)
                           .where(Question.asked_at >= week.start, Question.asked_at < week.end,
                                  Question.source == "slack")).all()
    waits = [(first - asked).total_seconds() for _, asked, _, first, _ in rows if first is not None]
    return (len(rows), sum(1 for r in rows if r[2] is not None), len(waits), sum(1 for r in rows if r[4] is not None),
            sum(1 for r in rows if r[0] in ("asked", "routed", "answered")),
            statistics.median(waits) if waits else None)


def digest_phase(target: Target, args: argparse.Namespace) -> list[Row]:
    shape = Shape(args.questions, args.people, args.answerers)
    url = target.fresh("digest")
    log(f"digest: loading {shape.questions:,} questions, {shape.people:,} people, {shape.answerers:,} answerers")
    seconds, counts = timed(lambda: load_history(url, args.seed, shape))
    log(f"digest: loaded in {seconds:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    week = week_of(NOW - timedelta(weeks=shape.weeks // 2), UTC)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        base_week, naive = timed(lambda: naive_week(session, week))
    with sessions() as session:
        base_count, total = timed(lambda: session.scalar(select(func.count()).select_from(Question)))
    times = []
    for _ in range(3):
        with sessions() as session:
            seconds, digest = timed(lambda: build_digest(session, week, UTC, for_managers=True))
        times.append(seconds)
    engine.dispose()
    numbers = digest.numbers
    log(f"digest {week.label}: asked {numbers.asked:,}, library {numbers.by_library:,}, colleagues "
        f"{numbers.by_colleagues:,}, escalated {numbers.escalated:,}, open {numbers.still_open:,}, median "
        f"{numbers.median_first_answer}; naive {naive[:5]}, median {naive[5]}")
    if (numbers.asked, numbers.by_library, numbers.by_colleagues, numbers.escalated, numbers.still_open) != naive[:5]:
        log("digest: WARNING the digest's counts differ from the baseline's")
    rows = [Row(f"build_digest {week.label} (first) vs week into Python", total, times[0], base_week),
            Row("build_digest (best of 3) vs week into Python", total, min(times), base_week),
            Row("build_digest (best of 3) vs SELECT count(*)", total, min(times), base_count),
            Row(f"baseline: week into Python ({naive[0]:,} rows)", total, base_week, None, None),
            Row("baseline: SELECT count(*) FROM questions", total, base_count, None, None)]
    return rows


# -- main ----------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="postgresql+psycopg://... (default: temporary SQLite files)")
    parser.add_argument("--questions", type=int, default=1_000_000, help="questions in the digest's year")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--answerers", type=int, default=10_000, help="distinct people who answer")
    parser.add_argument("--open", type=int, default=100_000, help="open questions for the andon sweep")
    parser.add_argument("--due", type=int, default=1_000, help="open questions just past the SLA")
    parser.add_argument("--backlog-runs", type=int, default=5,
                        help="backlog sweeps to time (0: until drained, open/SWEEP_BATCH runs)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="drop existing learnbot tables in --database-url")
    parser.add_argument("--only", choices=("andon", "digest"), help="run one phase")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.database_url and has_learnbot_tables(args.database_url) and not args.wipe:
        sys.exit("the database already has learnbot tables; use a scratch database, or --wipe to drop them")
    with tempfile.TemporaryDirectory(prefix="learnbot-bench-") as tmp:
        target = Target(args.database_url, Path(tmp))
        print(f"store_scale on {target.dialect}, seed {args.seed}")
        tables: list[tuple[str, list[Row]]] = []
        try:
            if args.only in (None, "andon"):
                tables.append((f"Andon sweep ({target.dialect}, SLA {SLA.days} d, SWEEP_BATCH {SWEEP_BATCH:,})",
                               andon_phase(target, args)))
            if args.only in (None, "digest"):
                tables.append((f"Digest ({target.dialect})", digest_phase(target, args)))
        finally:
            target.cleanup()
        for title, rows in tables:
            print_table(title, rows)


if __name__ == "__main__":
    main()

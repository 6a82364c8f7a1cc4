"""The weekly digest: is pull learning working? What was asked, answered, how fast, the gaps, who helped.

Every number is a SQL aggregate over indexed columns, about the questions asked in the week (a
cohort): how many the library answered at once, how many colleagues answered (the asker accepted
an answer), how fast the first reply came, how many are still open (a reply nobody accepted leaves
a question open) or were escalated. A week's run is recorded before anything is queued, so a
week is never sent twice, whichever process or restart gets there first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot import access, paths, teams
from bot.trust import TrustScore, trust_score
from bot.andon import UNRESOLVED, open_cards
from bot.config import Settings, parse_cron
from bot.outbox import enqueue
from bot.people import ensure_person
from bot.topics import group_by_topic
from store.models import (AndonCard, Answer, DigestRun, ExpertPing, Feedback, LibraryItem, Person, Question,
                          QuestionStatus, Reflection)

DIGEST_CHANNEL = "digest_channel"
DIGEST_CHART = "digest_chart"
DIGEST_MANAGER = "digest_manager"
EXPERT_NOTE = "expert_note"
HISTORY_WEEKS = 8
CATCH_UP = timedelta(days=1)


# -- weeks and the schedule ----------------------------------------------------------------------

@dataclass(frozen=True)
class Week:
    """An ISO week in the configured time zone, as UTC bounds."""

    label: str  # "2026-W47"
    start: datetime
    end: datetime

    def before(self, zone: tzinfo) -> "Week":
        return week_of(self.start - timedelta(days=1), zone)


def week_of(moment: datetime, zone: tzinfo) -> Week:
    """The ISO week that contains `moment` (local time in `zone`)."""
    local = moment.astimezone(zone).date()
    monday = local - timedelta(days=local.weekday())
    return _week(monday, zone)


def _week(monday: date, zone: tzinfo) -> Week:
    year, number, _ = monday.isocalendar()
    start = datetime.combine(monday, time.min, zone)
    end = datetime.combine(monday + timedelta(days=7), time.min, zone)
    return Week(f"{year}-W{number:02d}", start, end)


def parse_week(text: str, zone: tzinfo) -> Week:
    """`2026-W47` -> that week; ValueError with a friendly message otherwise."""
    try:
        year, number = text.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise ValueError(f"expected a week such as 2026-W47, got {text!r}") from None
    return _week(monday, zone)


def last_slot(now: datetime, cron: str, zone: tzinfo) -> datetime:
    """The most recent scheduled time at or before `now`."""
    weekday, hour, minute = parse_cron(cron)
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, time(hour, minute), zone)
    return slot if slot <= local else slot - timedelta(days=7)


# -- the numbers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekNumbers:
    week: Week
    asked: int
    by_library: int
    by_colleagues: int  # an answer was accepted
    escalated: int
    still_open: int
    median_first_answer: timedelta | None
    p90_first_answer: timedelta | None

    def share(self, part: int) -> float | None:
        return part / self.asked if self.asked else None


@dataclass(frozen=True)
class AndonNumbers:
    opened: int
    acknowledged: int
    resolved: int
    signals: int


@dataclass(frozen=True)
class Gap:
    """A topic asked about, with where it came from: (team, askers), anonymous askers left out."""

    label: str
    count: int
    teams: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Digest:
    """Everything the digest says; anonymous askers are never named in it."""

    numbers: WeekNumbers
    previous: WeekNumbers
    andon: AndonNumbers
    history: list[WeekNumbers]
    top_topics: list[tuple[str, int]]
    gaps: list[Gap]  # asked, but the library had no answer
    helpers: list[tuple[str, int, int]]  # user, answers, accepted
    new_items: int
    helpful_items: list[tuple[str, str | None, int]]  # title, url, helpful votes
    reflections: list[tuple[str, str]]  # role, text
    open_cards: list[tuple[Gap, datetime | None]] = field(default_factory=list)  # managers only: with the oldest
    oldest_open: list[tuple[str, str | None, datetime, str | None, str | None]] = field(default_factory=list)
    trust: TrustScore | None = None  # managers only: as of the end of the week
    completion: list[paths.TeamCompletion] = field(default_factory=list)  # learning paths, per team
    trends: list[paths.Trend] = field(default_factory=list)  # questions before and since a card's path


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """`later - earlier` in seconds, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)


def _percentile(session: Session, cohort: ColumnElement[bool], fraction: float, n: int) -> timedelta | None:
    """Linear-interpolated percentile of time to first answer (as percentile_cont) over the `n` answered."""
    answered = and_(cohort, Question.first_answer_at.is_not(None))
    if n == 0:
        return None
    position = fraction * (n - 1)
    seconds = _seconds(session, Question.first_answer_at, Question.asked_at)
    pair = session.scalars(select(seconds).where(answered).order_by(seconds)
                           .offset(math.floor(position)).limit(2)).all()
    low = float(pair[0])
    high = float(pair[-1]) if len(pair) > 1 else low
    return timedelta(seconds=round(low + (high - low) * (position - math.floor(position))))  # whole seconds


def week_numbers(session: Session, week: Week) -> WeekNumbers:
    """The cohort numbers of one week."""
    cohort = and_(Question.asked_at >= week.start, Question.asked_at < week.end, Question.source == "slack")
    accepted = exists().where(Answer.question_id == Question.id, Answer.accepted_at.is_not(None))
    counts = session.execute(select(
        func.count(),
        func.count(Question.self_served_at),
        func.sum(case((accepted, 1), else_=0)),
        func.count(Question.escalated_at),
        func.sum(case((Question.status.in_((QuestionStatus.ROUTED, QuestionStatus.ANSWERED)), 1), else_=0)),
        func.count(Question.first_answer_at),
    ).where(cohort)).one()
    replied = counts[5]
    return WeekNumbers(week, counts[0], counts[1], int(counts[2] or 0), counts[3], int(counts[4] or 0),
                       _percentile(session, cohort, 0.5, replied), _percentile(session, cohort, 0.9, replied))


def _andon_numbers(session: Session, week: Week) -> AndonNumbers:
    def between(column: Any) -> int:
        return session.scalar(select(func.count()).select_from(AndonCard)
                              .where(column >= week.start, column < week.end)) or 0

    return AndonNumbers(between(AndonCard.created_at), between(AndonCard.acknowledged_at),
                        between(AndonCard.resolved_at), between(AndonCard.kanban_at))


def history(session: Session, week: Week, zone: tzinfo) -> list[WeekNumbers]:
    """The numbers of the HISTORY_WEEKS weeks up to and including `week`, oldest first."""
    weeks = [week]
    while len(weeks) < HISTORY_WEEKS:
        weeks.insert(0, weeks[0].before(zone))
    return [week_numbers(session, w) for w in weeks]


def build_digest(session: Session, week: Week, zone: tzinfo, *, for_managers: bool = False) -> Digest:
    """The digest of `week` (with the week before for comparison, and 8 weeks of history)."""
    numbers = history(session, week, zone)
    cohort = and_(Question.asked_at >= week.start, Question.asked_at < week.end, Question.source == "slack")
    asked = session.execute(select(Question.text, Question.self_served_at, Question.asker_id, Question.team_id,
                                   Question.anonymous).where(cohort).order_by(Question.id)).all()
    unanswered = [row for row in asked if row.self_served_at is None]
    digest = Digest(
        numbers=numbers[-1], previous=numbers[-2], andon=_andon_numbers(session, week), history=numbers,
        top_topics=[(t.label, t.count) for t in group_by_topic([row.text for row in asked], min_count=2)],
        gaps=[Gap(t.label, t.count, _teams_of(session, [unanswered[i] for i in t.members]))
              for t in group_by_topic([row.text for row in unanswered], min_count=2)],
        helpers=_helpers(session, week),
        new_items=session.scalar(select(func.count()).select_from(LibraryItem).where(
            LibraryItem.created_at >= week.start, LibraryItem.created_at < week.end)) or 0,
        helpful_items=_helpful_items(session, week, everyone_sees=not for_managers),
        reflections=[(role, text) for role, text in session.execute(
            select(Reflection.role, Reflection.text).where(Reflection.created_at >= week.start,
                                                           Reflection.created_at < week.end)
            .order_by(Reflection.created_at).limit(3))],
    )
    digest.completion = paths.completion(session, zone, week.end)
    digest.trends = paths.trends(session, week.end)
    if for_managers:
        digest.open_cards = _open_cards(session)
        digest.oldest_open = _oldest_open(session)
        digest.trust = trust_score(session, week.end)
    return digest


def _helpers(session: Session, week: Week) -> list[tuple[str, int, int]]:
    rows = session.execute(
        select(Answer.user_id, func.count(), func.count(Answer.accepted_at))
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.created_at >= week.start, Answer.created_at < week.end, Answer.deleted_at.is_(None),
               Question.source == "slack")
        .group_by(Answer.user_id).order_by(func.count().desc(), Answer.user_id).limit(5))
    return [(user, n, accepted) for user, n, accepted in rows]


def _helpful_items(session: Session, week: Week, *, everyone_sees: bool) -> list[tuple[str, str | None, int]]:
    """The items that helped most; with `everyone_sees` (the channel's digest), organisation-wide items only,
    so no team's item is named outside its audience."""
    visible = LibraryItem.audience_id.is_(None) if everyone_sees else true()
    rows = session.execute(
        select(LibraryItem.title, LibraryItem.url, func.count())
        .join(Feedback, Feedback.item_id == LibraryItem.id)
        .where(Feedback.helpful.is_(True), Feedback.created_at >= week.start, Feedback.created_at < week.end,
               visible)
        .group_by(LibraryItem.id, LibraryItem.title, LibraryItem.url)
        .order_by(func.count().desc(), LibraryItem.id).limit(3))
    return [(title, url, n) for title, url, n in rows]


def _teams_of(session: Session, questions: list[Any]) -> list[tuple[str, int]]:
    """Where `questions` (rows with asker_id, team_id, anonymous) came from."""
    return teams.askers_by_team(session, ((q.asker_id, q.team_id) for q in questions if not q.anonymous))


def _open_cards(session: Session) -> list[tuple[Gap, datetime | None]]:
    cards = open_cards(session, limit=10)
    rows = session.execute(select(Question.andon_card_id, Question.asker_id, Question.team_id, Question.anonymous)
                           .where(Question.andon_card_id.in_([card.id for card, *_ in cards]),
                                  Question.status.in_(UNRESOLVED))).all()
    return [(Gap(card.label, n, _teams_of(session, [r for r in rows if r.andon_card_id == card.id])), oldest)
            for card, n, _, oldest in cards]


def _oldest_open(session: Session) -> list[tuple[str, str | None, datetime, str | None, str | None]]:
    """The oldest questions nobody resolved: unanswered, or with replies nobody accepted."""
    rows = session.scalars(select(Question).where(Question.status.in_(UNRESOLVED), Question.routed_at.is_not(None),
                                                  Question.source == "slack")
                           .order_by(Question.asked_at, Question.id).limit(5))
    return [(q.text, None if q.anonymous else q.asker_id, q.asked_at, q.help_channel, q.thread_ts) for q in rows]


# -- the expert's weekly note --------------------------------------------------------------------

@dataclass(frozen=True)
class ExpertWeek:
    asked_of_them: int
    answers: int
    thanks: int


def expert_week(session: Session, user_id: str, week: Week) -> ExpertWeek:
    pings = session.scalar(select(func.count()).select_from(ExpertPing).where(
        ExpertPing.user_id == user_id, ExpertPing.pinged_at >= week.start, ExpertPing.pinged_at < week.end)) or 0
    answers, thanks = session.execute(
        select(func.count(), func.count(Answer.accepted_at)).join(Question, Question.id == Answer.question_id)
        .where(Answer.user_id == user_id, Answer.created_at >= week.start, Answer.created_at < week.end,
               Answer.deleted_at.is_(None), Question.source == "slack")).one()
    return ExpertWeek(pings, answers, thanks)


def _active_experts(session: Session, week: Week) -> list[str]:
    """People pinged or answering this week who did not opt out of the weekly note."""
    pinged = select(ExpertPing.user_id).where(ExpertPing.pinged_at >= week.start, ExpertPing.pinged_at < week.end)
    answered = (select(Answer.user_id).join(Question, Question.id == Answer.question_id)
                .where(Answer.created_at >= week.start, Answer.created_at < week.end, Question.source == "slack"))
    opted_out = select(Person.user_id).where(Person.digest_opt_out.is_(True))
    users = session.scalars(pinged.union(answered)).all()
    out = set(session.scalars(opted_out))
    return sorted(u for u in users if u not in out)


# -- running it ----------------------------------------------------------------------------------

def start_run(session: Session, settings: Settings, week: Week, now: datetime) -> DigestRun | None:
    """Record the week's run and queue its messages; None (nothing queued) if the week was done before."""
    if session.scalar(select(DigestRun.id).where(DigestRun.week == week.label)):
        return None
    try:
        with session.begin_nested():
            run = DigestRun(week=week.label, started_at=now)
            session.add(run)
    except IntegrityError:  # another process started it first
        return None
    if settings.digest_channel:
        enqueue(session, DIGEST_CHANNEL, run.id, now)
        enqueue(session, DIGEST_CHART, run.id, now)
    for manager in access.learning_managers(session, settings):
        enqueue(session, DIGEST_MANAGER, run.id, now, args={"user": manager}, key=manager)
    for user_id in _active_experts(session, week):
        enqueue(session, EXPERT_NOTE, run.id, now, args={"user": user_id}, key=user_id)
    session.commit()
    return run


def run_week(session: Session, run_id: int) -> str | None:
    """The week label (`2026-W18`) of a digest run, None if there is no such run."""
    return session.scalar(select(DigestRun.week).where(DigestRun.id == run_id))


def run_if_due(session: Session, settings: Settings, now: datetime) -> DigestRun | None:
    """At the scheduled time (or within a day after it, if the bot was down), start last week's digest."""
    slot = last_slot(now, settings.digest_cron, settings.timezone)
    if now - slot > CATCH_UP:
        return None
    week = week_of(slot, settings.timezone).before(settings.timezone)
    return start_run(session, settings, week, now)


def set_opt_out(session: Session, user_id: str, now: datetime, opt_out: bool) -> None:
    """`/learn digest off|on`: the expert's weekly note."""
    ensure_person(session, user_id, now).digest_opt_out = opt_out
    session.commit()

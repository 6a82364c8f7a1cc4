"""App Home: each person's own questions, answers and expertise; managers also see the andon board."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import access, andon, digest, learning_needs, paths, publishing, sharing
from bot.config import Settings
from bot.experts import list_topics
from bot.people import ensure_person
from bot.topics import group_by_topic
from bot.trust import TrustScore, trust_score
from store.models import AndonCard, Answer, Person, Question, QuestionStatus

SHOWN = 10


@dataclass(frozen=True)
class MyQuestion:
    text: str
    status: QuestionStatus
    asked_at: datetime
    channel: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class MyAnswer:
    question: str
    answered_at: datetime
    accepted: bool
    channel: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class BoardCard:
    """A live andon card on the managers' board."""

    card: AndonCard
    questions: int
    oldest: datetime | None
    due: date | None  # of the course planned for it


@dataclass
class HomeView:
    user_id: str
    questions: list[MyQuestion]
    answers: list[MyAnswer]
    topics: list[tuple[str, str]]  # (topic, declared|imported)
    learned: list[tuple[str, int]]  # topics learned from answers: (label, answers)
    manager: bool = False
    cards: list[BoardCard] = field(default_factory=list)
    week: digest.WeekNumbers | None = None
    trust: TrustScore | None = None
    paths: list[paths.MyPath] = field(default_factory=list)  # My path
    led: list[paths.TeamProgress] = field(default_factory=list)  # the teams' paths a supervisor or manager leads
    may_create_path: bool = False
    may_publish: bool = False  # "Publish for my team"
    team_items: list[sharing.TeamItem] = field(default_factory=list)  # "My team's content"


def opened(session: Session, user_id: str, now: datetime) -> None:
    """Remember that this person looks at their Home tab (only they get refreshed pushes)."""
    ensure_person(session, user_id, now).home_opened_at = now
    session.commit()


def watching(session: Session, user_ids: set[str]) -> list[str]:
    """Who of `user_ids` has opened their Home tab before."""
    return sorted(session.scalars(select(Person.user_id).where(Person.user_id.in_(user_ids),
                                                               Person.home_opened_at.is_not(None))))


def home_view(session: Session, settings: Settings, user_id: str, now: datetime) -> HomeView:
    questions = [MyQuestion(q.text, q.status, q.asked_at, q.help_channel, q.thread_ts) for q in session.scalars(
        select(Question).where(Question.asker_id == user_id, Question.status.in_(andon.UNRESOLVED))
        .order_by(Question.asked_at.desc()).limit(SHOWN))]
    rows = session.execute(
        select(Question.text, Answer.created_at, Answer.accepted_at, Question.help_channel, Question.thread_ts)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.user_id == user_id, Answer.deleted_at.is_(None)).order_by(Answer.created_at.desc()).limit(200)
    ).all()
    answers = [MyAnswer(text, at, accepted is not None, channel, ts) for text, at, accepted, channel, ts in rows[:SHOWN]]
    learned = [(t.label, t.count) for t in group_by_topic([r[0] for r in rows], limit=5)]
    view = HomeView(user_id, questions, answers, list_topics(session, user_id), learned)
    view.paths, view.led = paths.my_paths(session, user_id), paths.led_progress(session, settings, user_id, now)
    view.may_create_path = paths.may_create(session, settings, user_id)
    view.may_publish = publishing.may_publish_somewhere(session, settings, user_id)
    view.team_items = sharing.team_items(session, settings, user_id)
    if access.is_learning_manager(session, settings, user_id):
        view.manager = True
        cards = andon.open_cards(session, limit=15)
        due = learning_needs.due_dates(session, [card.id for card, *_ in cards])
        view.cards = [BoardCard(card, n, oldest, due.get(card.id)) for card, n, _, oldest in cards]
        view.week = digest.week_numbers(session, digest.week_of(now, settings.timezone))
        view.trust = trust_score(session, now)
    return view

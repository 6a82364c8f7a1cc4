"""Asking: store a `/learn` question, answer it from the library or route it to colleagues."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access import learning_managers
from bot.config import Settings
from bot.index import LiveIndex
from bot.library import answer_key, record_feedback
from bot.matching import MatchResult
from bot.outbox import enqueue
from bot.people import ensure_person
from bot.refusal import Refusal
from bot.routing import choose_experts, record_pings
from store.models import Answer, ExpertPing, LibraryItem, Question, QuestionStatus

MAX_QUESTION_CHARS = 4000
RELATED_FLOOR = 35.0  # below this score a match is noise: not worth the asker's attention
EXPERT_CANDIDATES = 10  # ranked experts considered, so caps and absences still leave enough
QUESTION_POST = "question_post"
POST_UPDATE = "question_post_update"
POST_FAILED = "question_post_failed"  # the asker's DM: Slack refused the help-channel post
POST_FAILED_MANAGER = "question_post_failed_manager"  # each learning manager's DM about it


@dataclass(frozen=True)
class Offer:
    """A library item, or a past answered question's thread (`thread` set), shown to the asker."""

    item_id: int
    title: str
    url: str | None
    body: str
    score: float
    thread: tuple[str, str] | None = None  # (channel, thread_ts) of a past question


@dataclass(frozen=True)
class AskOutcome:
    """What became of a question: offered content (confident) or routed to a channel and experts."""

    question_id: int
    text: str
    confident: bool
    offers: list[Offer] = field(default_factory=list)
    routed_to: str | None = None
    experts: list[str] = field(default_factory=list)


def ask(session: Session, index: LiveIndex, settings: Settings, now: datetime, *, asker_id: str, text: str,
        asked_in: str | None, anonymous: bool = False) -> AskOutcome:
    """Record the question; offer confident library matches, otherwise route it to colleagues."""
    ensure_person(session, asker_id, now)
    question = Question(asker_id=asker_id, text=text, anonymous=anonymous, asked_in=asked_in,
                        status=QuestionStatus.ASKED, asked_at=now)
    session.add(question)
    session.flush()
    result = index.search(text, limit=EXPERT_CANDIDATES, exclude_experts=(asker_id,))
    result = replace(result, content=result.content[:3], similar_questions=result.similar_questions[:2])
    offers = _offers(session, result)
    if result.confident and offers:
        session.commit()
        return AskOutcome(question.id, text, True, offers)
    channel, experts = _route(session, settings, question, result, now)
    session.commit()
    return AskOutcome(question.id, text, False, offers, channel, experts)


def ask_colleague(session: Session, index: LiveIndex, settings: Settings, now: datetime, *, question_id: int,
                  user_id: str, rejected_item: int | None) -> AskOutcome:
    """The asker saw the offered items and wants a person: route (once) and learn the miss."""
    question = own_question(session, question_id, user_id)
    if question.routed_at is not None:  # a double click, or a second look: routed once only
        return _already_routed(question)
    if rejected_item is not None:
        record_feedback(session, question, rejected_item, helpful=False, now=now)
    result = index.search(question.text, limit=EXPERT_CANDIDATES, exclude_experts=(question.asker_id,))
    channel, experts = _route(session, settings, question, result, now)
    try:
        session.commit()
    except IntegrityError:  # a concurrent click routed it first
        session.rollback()
        return _already_routed(session.get_one(Question, question_id))
    return AskOutcome(question.id, question.text, False, [], channel, experts)


def _already_routed(question: Question) -> AskOutcome:
    return AskOutcome(question.id, question.text, False, [], question.help_channel, [])


def accept_item(session: Session, now: datetime, *, question_id: int, user_id: str, item_id: int | None) -> str:
    """"This answered it": the question is self-served; an item learns the question as an alias.

    `item_id` None means a past thread answered it. Returns what answered it, for the reply.
    """
    question = own_question(session, question_id, user_id)
    title = "that thread"
    if item_id is not None:
        item = session.get(LibraryItem, item_id)
        if item is None:
            raise Refusal("That item is no longer in the library.")
        title = item.title
        record_feedback(session, question, item_id, helpful=True, now=now)
    if question.status in (QuestionStatus.ASKED, QuestionStatus.ROUTED):
        question.status, question.self_served_at, question.resolved_at = QuestionStatus.SELF_SERVED, now, now
    session.commit()
    return title


def own_question(session: Session, question_id: int, user_id: str) -> Question:
    """The question, if `user_id` asked it; a Refusal for anyone else."""
    question = session.get(Question, question_id)
    if question is None:
        raise Refusal("I can't find that question any more.")
    if question.asker_id != user_id:
        raise Refusal("Only the person who asked can do that.")
    return question


def _offers(session: Session, result: MatchResult) -> list[Offer]:
    """Items first, then past threads that no item already captures, best first within each."""
    offers = []
    captured = set()
    for hit in result.content:
        item = session.get(LibraryItem, int(hit.id)) if hit.score >= RELATED_FLOOR else None
        if item is not None:
            offers.append(Offer(item.id, item.title, item.url, item.body, hit.score))
            captured.add(item.key)
    for hit in result.similar_questions:
        past = session.get(Question, int(hit.id)) if hit.score >= RELATED_FLOOR else None
        if past is None or past.thread_ts is None or past.help_channel is None or answer_key(past.id) in captured:
            continue
        answer = session.scalar(select(Answer.text).where(Answer.question_id == past.id, Answer.deleted_at.is_(None))
                                .order_by(Answer.accepted_at.is_(None), Answer.id).limit(1))
        offers.append(Offer(past.id, past.text, None, answer or "", hit.score, (past.help_channel, past.thread_ts)))
    return offers



def _route(session: Session, settings: Settings, question: Question, result: MatchResult,
           now: datetime) -> tuple[str | None, list[str]]:
    """Mark the question routed, record the experts pinged and queue the help-channel post."""
    channel = settings.help_channel
    question.status, question.routed_at, question.help_channel = QuestionStatus.ROUTED, now, channel
    chosen = choose_experts(session, settings, question, result.experts, now, settings.max_experts_pinged)
    experts = record_pings(session, question, chosen, "routed", now)
    if channel:
        enqueue(session, QUESTION_POST, question.id, now)
    return channel, experts


def record_post(session: Session, question_id: int, sent: dict[str, Any]) -> None:
    """Outbox hook: remember where the question's post landed, so thread replies find it."""
    question = session.get(Question, question_id)
    if question is not None:
        question.help_channel, question.thread_ts = sent.get("channel"), sent.get("ts")


def post_failed(settings: Settings, session: Session, question_id: int, error: str, now: datetime) -> None:
    """Outbox hook: Slack refused the help-channel post for good. The asker, told their colleagues were
    asked, hears otherwise; each learning manager hears which channel and what Slack said."""
    enqueue(session, POST_FAILED, question_id, now, args={"error": error})
    for manager in learning_managers(settings):
        enqueue(session, POST_FAILED_MANAGER, question_id, now, args={"error": error, "user": manager}, key=manager)


@dataclass(frozen=True)
class PostView:
    """What the help-channel post shows; `asker` is None for anonymous questions."""

    question_id: int
    text: str
    asker: str | None
    channel: str | None
    experts: list[str]
    status: QuestionStatus
    claimed_by: str | None

    @property
    def resolved(self) -> bool:
        return self.status == QuestionStatus.RESOLVED


@dataclass(frozen=True)
class QuestionThread:
    """A question and where its help-channel post is (`channel`, `thread_ts` None until posted)."""

    question_id: int
    text: str
    asker: str
    channel: str | None
    thread_ts: str | None


def question_thread(session: Session, question_id: int) -> QuestionThread | None:
    question = session.get(Question, question_id)
    if question is None:
        return None
    return QuestionThread(question.id, question.text, question.asker_id, question.help_channel, question.thread_ts)


def post_view(session: Session, question_id: int) -> PostView | None:
    question = session.get(Question, question_id)
    if question is None:
        return None
    experts = list(session.scalars(select(ExpertPing.user_id)
                                   .where(ExpertPing.question_id == question_id, ExpertPing.reason == "routed")
                                   .order_by(ExpertPing.score.desc(), ExpertPing.id)))
    return PostView(question.id, question.text, None if question.anonymous else question.asker_id,
                    question.help_channel, experts, question.status, question.claimed_by)

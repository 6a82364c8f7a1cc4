"""Asking: store a `/learn` question, answer it from the library or route it to colleagues."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import andon, sharing, teams, trust
from bot.access import learning_managers
from bot.config import Settings
from bot.search import MatchResult
from bot.search.live import LiveIndex
from bot.trust import Trust
from bot.library import answer_key, record_feedback
from bot.outbox import enqueue
from bot.people import ensure_person
from bot.refusal import Refusal
from bot.routing import choose_experts, record_pings
from store.models import AndonCard, Answer, ExpertPing, LibraryItem, Question, QuestionStatus

MAX_QUESTION_CHARS = 4000
RELATED_FLOOR = 35.0  # below this score a match is noise: not worth the asker's attention
EXPERT_CANDIDATES = 10  # ranked experts considered, so caps and absences still leave enough
QUESTION_POST = "question_post"
ASK_REPLY = "ask_reply"  # the /learn answer again, as a DM, when the private reply could not be delivered
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
    trust: Trust | None = None  # a library item's verification
    shareable: bool = False  # the asker may ask to share the item more widely ("Request to share with…")


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
        asked_in: str | None, anonymous: bool = False, request_id: str | None = None) -> AskOutcome:
    """Record the question; offer confident library matches, otherwise route it to colleagues."""
    question_id = store(session, now, asker_id=asker_id, text=text, asked_in=asked_in, anonymous=anonymous,
                        request_id=request_id)
    return answer(session, index, settings, now, question_id)


def store(session: Session, now: datetime, *, asker_id: str, text: str, asked_in: str | None,
          anonymous: bool = False, request_id: str | None = None) -> int:
    """Record a question, once per Slack request (`request_id`): the fast insert before the ack."""
    if request_id is not None:
        existing = session.scalar(select(Question.id).where(Question.request_id == request_id))
        if existing is not None:
            return existing
    ensure_person(session, asker_id, now)
    question = Question(asker_id=asker_id, text=text, anonymous=anonymous, asked_in=asked_in, request_id=request_id,
                        status=QuestionStatus.ASKED, asked_at=now, team_id=teams.home_team(session, asker_id))
    try:
        with session.begin_nested():
            session.add(question)
    except IntegrityError:  # the same request stored it first (the ack and its lazy half race)
        session.rollback()
        return session.scalars(select(Question.id).where(Question.request_id == request_id)).one()
    session.commit()
    return question.id


def answer(session: Session, index: LiveIndex, settings: Settings, now: datetime, question_id: int) -> AskOutcome:
    """A stored question: offer confident library matches, otherwise route it to colleagues (once)."""
    question = session.get_one(Question, question_id)
    if question.routed_at is not None:
        return _already_routed(question)
    audiences = teams.audiences_of(session, question.asker_id)
    result = _search(index, question, audiences, now)
    result = replace(result, content=result.content[:3], similar_questions=result.similar_questions[:2])
    offers = _shareable(session, settings, question.asker_id, _offers(session, result, audiences, now))
    if result.confident and offers:
        return AskOutcome(question.id, question.text, True, offers)
    channel, experts = _route(session, settings, question, result, now)
    session.commit()
    return AskOutcome(question.id, question.text, False, offers, channel, experts)


def reply_failed(session: Session, now: datetime, outcome: AskOutcome) -> None:
    """The private answer did not arrive: send it again as a DM, through the outbox (once)."""
    enqueue(session, ASK_REPLY, outcome.question_id, now, args={"offers": offer_refs(outcome.offers)})
    session.commit()


def ask_colleague(session: Session, index: LiveIndex, settings: Settings, now: datetime, *, question_id: int,
                  user_id: str, rejected_item: int | None) -> AskOutcome:
    """The asker saw the offered items and wants a person: route (once) and learn the miss (repeated
    misses unverify the item, `trust.missed`)."""
    question = own_question(session, question_id, user_id)
    if question.routed_at is not None:  # a double click, or a second look: routed once only
        return _already_routed(question)
    if rejected_item is not None:
        record_feedback(session, question, rejected_item, helpful=False, now=now)
    result = _search(index, question, teams.audiences_of(session, question.asker_id))
    channel, experts = _route(session, settings, question, result, now)
    if rejected_item is not None:
        trust.missed(session, settings, now, rejected_item)
    try:
        session.commit()
    except IntegrityError:  # a concurrent click routed it first
        session.rollback()
        return _already_routed(session.get_one(Question, question_id))
    return AskOutcome(question.id, question.text, False, [], channel, experts)


def _search(index: LiveIndex, question: Question, audiences: frozenset[int],
            now: datetime | None = None) -> MatchResult:
    """The question's matches among what its asker sees (items of their teams and departments, and the
    organisation's), never the asker as an expert."""
    return index.search(question.text, limit=EXPERT_CANDIDATES, exclude_experts=(question.asker_id,), now=now,
                        audiences=audiences)


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
        if item is None or not _sees(item, teams.audiences_of(session, user_id)):
            raise Refusal("That item is no longer in the library.")
        title = item.title
        record_feedback(session, question, item_id, helpful=True, now=now)
    if question.status in andon.UNRESOLVED:
        question.status, question.self_served_at, question.resolved_at = QuestionStatus.SELF_SERVED, now, now
        andon.question_settled(session, question, now)
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


def _offers(session: Session, result: MatchResult, audiences: frozenset[int], now: datetime) -> list[Offer]:
    """Items first, then past threads that no item already captures, best first within each."""
    items = [_item_offer(session, int(hit.id), hit.score, audiences, now) for hit in result.content
             if hit.score >= RELATED_FLOOR]
    offers = [o for o in items if o is not None]
    captured = {session.get_one(LibraryItem, o.item_id).key for o in offers}
    for hit in result.similar_questions:
        past = _thread_offer(session, int(hit.id), hit.score) if hit.score >= RELATED_FLOOR else None
        if past is not None and answer_key(past.item_id) not in captured:
            offers.append(past)
    return offers


def _shareable(session: Session, settings: Settings, asker: str, offers: list[Offer]) -> list[Offer]:
    """The offers, each item marked if the asker may ask to share it (its owner, its team's supervisor)."""
    ids = sharing.shareable_ids(session, settings, asker, [o.item_id for o in offers if not o.thread])
    return [replace(o, shareable=True) if not o.thread and o.item_id in ids else o for o in offers]


def _item_offer(session: Session, item_id: int, score: float, audiences: frozenset[int], now: datetime) -> Offer | None:
    """The item as an offer, if it still exists and someone of `audiences` sees it."""
    item = session.get(LibraryItem, item_id)
    if item is None or not _sees(item, audiences):
        return None
    return Offer(item.id, item.title, item.url, item.body, score, trust=trust.trust_of(item, now))


def _sees(item: LibraryItem, audiences: frozenset[int]) -> bool:
    """Whether someone of `audiences` (bot.teams.audiences_of) sees the item: it is the organisation's or theirs."""
    return item.audience_id is None or item.audience_id in audiences


def _thread_offer(session: Session, question_id: int, score: float) -> Offer | None:
    past = session.get(Question, question_id)
    if past is None or past.thread_ts is None or past.help_channel is None:
        return None
    answer = session.scalar(select(Answer.text).where(Answer.question_id == past.id, Answer.deleted_at.is_(None))
                            .order_by(Answer.accepted_at.is_(None), Answer.id).limit(1))
    return Offer(past.id, past.text, None, answer or "", score, (past.help_channel, past.thread_ts))


OfferRef = tuple[int, bool, float]  # (item or past question id, is a past thread, score): an offer, storable


def offer_refs(offers: list[Offer]) -> list[OfferRef]:
    return [(o.item_id, o.thread is not None, o.score) for o in offers]


def told(session: Session, settings: Settings, question_id: int, refs: list[OfferRef],
         now: datetime) -> AskOutcome | None:
    """What the asker was told about a question, rebuilt from stored state (to send it again as a DM), each
    item marked if the asker may ask to share it now."""
    question = session.get(Question, question_id)
    if question is None:
        return None
    audiences = teams.audiences_of(session, question.asker_id)  # an item narrowed since is not sent again
    offers = [_thread_offer(session, ref, score) if thread else _item_offer(session, ref, score, audiences, now)
              for ref, thread, score in refs]
    kept = _shareable(session, settings, question.asker_id, [o for o in offers if o is not None])
    if question.routed_at is None:
        return AskOutcome(question.id, question.text, True, kept)
    experts = _routed_experts(session, question.id)
    return AskOutcome(question.id, question.text, False, kept, question.help_channel, experts)


def _route(session: Session, settings: Settings, question: Question, result: MatchResult,
           now: datetime) -> tuple[str | None, list[str]]:
    """Mark the question routed, record the experts pinged and queue the help-channel post."""
    channel = settings.help_channel
    question.status, question.routed_at, question.help_channel = QuestionStatus.ROUTED, now, channel
    if channel:  # queued before the experts' DMs, which link to it
        enqueue(session, QUESTION_POST, question.id, now)
    chosen = choose_experts(session, settings, question, result.experts, now, settings.max_experts_pinged)
    return channel, record_pings(session, question, chosen, "routed", now)


def record_post(session: Session, question_id: int, sent: dict[str, Any]) -> None:
    """Outbox hook: remember where the question's post landed, so thread replies find it."""
    question = session.get(Question, question_id)
    if question is not None:
        question.help_channel, question.thread_ts = sent.get("channel"), sent.get("ts")


def post_failed(settings: Settings, session: Session, question_id: int, error: str, now: datetime) -> None:
    """Outbox hook: Slack refused the help-channel post for good. The asker, told their colleagues were
    asked, hears otherwise; each learning manager hears which channel and what Slack said."""
    enqueue(session, POST_FAILED, question_id, now, args={"error": error})
    for manager in learning_managers(session, settings):
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
    resolution: tuple[str, str | None] | None = None  # (title, url): the learning team resolved it with content

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
    return PostView(question.id, question.text, None if question.anonymous else question.asker_id,
                    question.help_channel, _routed_experts(session, question_id), question.status, question.claimed_by,
                    _team_resolution(session, question))


def _routed_experts(session: Session, question_id: int) -> list[str]:
    return list(session.scalars(select(ExpertPing.user_id)
                                .where(ExpertPing.question_id == question_id, ExpertPing.reason == "routed")
                                .order_by(ExpertPing.score.desc(), ExpertPing.id)))


def _team_resolution(session: Session, question: Question) -> tuple[str, str | None] | None:
    """(title, url) of the content its andon card resolved it with; None if an answer was accepted."""
    if question.status != QuestionStatus.RESOLVED or question.andon_card_id is None:
        return None
    if session.scalar(select(Answer.id).where(Answer.question_id == question.id, Answer.accepted_at.is_not(None))):
        return None
    row = session.execute(select(LibraryItem.title, LibraryItem.url)
                          .join(AndonCard, AndonCard.resolved_item_id == LibraryItem.id)
                          .where(AndonCard.id == question.andon_card_id)).first()
    return None if row is None else (row.title, row.url)

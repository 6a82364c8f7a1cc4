"""Andon: unanswered questions become one card per topic for learning managers.

A question escalates when nobody answered it within the SLA (the sweep), or at once when its asker
pulls the cord. Similar questions join the same open card (clustered with the matching engine,
incrementally: each new question is compared with the open cards, never all pairs). A card that
collects LEARNBOT_COURSE_THRESHOLD questions within LEARNBOT_COURSE_WINDOW raises the kanban
signal: a formal course is needed. Managers acknowledge, assign, snooze, resolve it with content, or
plan a course (bot.learning_needs). Every timer here is derived from stored state, and every message
goes through the outbox.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import access
from bot.config import Settings
from bot.library import Draft, upsert_item
from bot.outbox import enqueue
from bot.refusal import Refusal
from bot.search import ItemRecord, MatchIndex
from bot.search.changes import QUESTION, note_change
from bot.topics import label_for
from store.models import AndonCard, CardStatus, LearningNeed, LibraryItem, Question, QuestionStatus

ANDON_CARD = "andon_card"
ANDON_UPDATE = "andon_card_update"
ANDON_THREAD = "andon_thread"
ANDON_ASSIGNED = "andon_assigned"
ANDON_RESOLVED = "andon_resolved"

CLUSTER_SCORE = 40.0  # a question joins the best open card scoring at least this (0–100)
REPRESENTATIVES = 8  # questions that stand for a card when matching new ones
LABEL_SAMPLE = 50  # questions a label is made from
CLAIM_CHUNK = 100
SWEEP_BUDGET = timedelta(seconds=1.5)
MAX_REPEATS = 3
SWEEP_BATCH = 2000
SNOOZES = {"1d": timedelta(days=1), "1w": timedelta(weeks=1)}
LIVE = (CardStatus.OPEN, CardStatus.ACKNOWLEDGED, CardStatus.COURSE_PLANNED)


@dataclass(frozen=True)
class AndonReport:
    escalated: int
    cards_opened: int
    signals: int
    reminders: int


class _Clusters:
    """The live cards as a small matching index: where does a new question belong?

    A card is represented by its first REPRESENTATIVES questions: enough to match on, and it keeps
    loading and searching cheap however many questions a card collects.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._index = MatchIndex()
        self._texts: dict[int, list[str]] = {}
        ranked = (select(Question.andon_card_id.label("card"), Question.text.label("text"),
                         func.row_number().over(partition_by=Question.andon_card_id, order_by=Question.id)
                         .label("rank"))
                  .join(AndonCard, AndonCard.id == Question.andon_card_id)
                  .where(AndonCard.status.in_(LIVE)).subquery())
        for card_id, text in session.execute(select(ranked.c.card, ranked.c.text)
                                             .where(ranked.c.rank <= REPRESENTATIVES)):
            self._texts.setdefault(card_id, []).append(text)
        for card_id in self._texts:
            self._index_card(card_id)

    def _index_card(self, card_id: int) -> None:
        texts = self._texts[card_id]
        self._index.upsert_item(ItemRecord(id=card_id, title=texts[0], body="\n".join(texts[1:])))

    def place(self, question: Question, now: datetime) -> tuple[AndonCard, bool]:
        """The card the question joins (a new one if no live card is close enough); True if new."""
        hits = self._index.search(question.text, limit=1).content
        card = self._session.get(AndonCard, int(hits[0].id)) if hits and hits[0].score >= CLUSTER_SCORE else None
        created = card is None
        if card is None:
            card = AndonCard(label=label_for([question.text]), status=CardStatus.OPEN, version=0, created_at=now,
                             notified_at=now, notify_count=0)
            self._session.add(card)
            self._session.flush()
        texts = self._texts.setdefault(card.id, [])
        if len(texts) < REPRESENTATIVES:
            texts.append(question.text)
            self._index_card(card.id)
        return card, created


def _claim(session: Session, ids: list[int], now: datetime) -> list[Question]:
    """Mark these questions escalated, unless a concurrent sweep did; returns the ones this sweep got."""
    claimed = session.scalars(
        update(Question).where(Question.id.in_(ids), Question.escalated_at.is_(None))
        .values(escalated_at=now).returning(Question.id).execution_options(synchronize_session=False)).all()
    return list(session.scalars(select(Question).where(Question.id.in_(claimed))
                                .order_by(Question.routed_at, Question.id).execution_options(populate_existing=True)))


def sweep_andon(session: Session, settings: Settings, now: datetime,
                budget: timedelta = SWEEP_BUDGET) -> AndonReport:
    """Escalate what passed the SLA, raise kanban signals, re-notify; commits.

    Work is claimed in chunks and stops after `budget` of wall time, so one sweep stays short
    however large a backlog is: the next sweep carries on where this one stopped.
    """
    started = time.monotonic()
    due = session.scalars(
        select(Question.id).where(Question.status == QuestionStatus.ROUTED, Question.first_answer_at.is_(None),
                                  Question.escalated_at.is_(None), Question.routed_at <= now - settings.answer_sla)
        .order_by(Question.routed_at, Question.id).limit(SWEEP_BATCH)).all()
    touched: dict[int, AndonCard] = {}
    escalated = opened = 0
    clusters = _Clusters(session) if due else None
    with session.no_autoflush:
        for start in range(0, len(due), CLAIM_CHUNK):
            if clusters is None or time.monotonic() - started > budget.total_seconds():
                break
            for question in _claim(session, list(due[start:start + CLAIM_CHUNK]), now):
                card, created = clusters.place(question, now)
                question.andon_card_id = card.id
                touched[card.id] = card
                escalated, opened = escalated + 1, opened + created
    session.flush()
    signals = 0
    for card in touched.values():
        _refresh_card(session, card, now)
        signals += _maybe_signal(session, settings, card, now)
    reminders = _remind(session, settings, now)
    session.commit()
    return AndonReport(escalated, opened, signals, reminders)


def pull_cord(session: Session, settings: Settings, now: datetime, *, question_id: int, user_id: str) -> AndonCard:
    """"I'm blocked": the asker escalates their question now; returns its card."""
    question = session.get(Question, question_id)
    if question is None:
        raise Refusal("I can't find that question any more.")
    if question.asker_id != user_id:
        raise Refusal("Only the person who asked can do that.")
    if question.status in (QuestionStatus.RESOLVED, QuestionStatus.SELF_SERVED):
        raise Refusal("This question is already resolved.")
    if not settings.andon_channel:
        raise Refusal("No andon channel is configured; ask your admin to set LEARNBOT_ANDON_CHANNEL.")
    question.blocked_at = question.blocked_at or now
    if question.andon_card_id is None:  # not on a card (never, or it left one when answered)
        question.escalated_at = None
        session.flush()
        for claimed in _claim(session, [question.id], now):
            claimed.andon_card_id = _Clusters(session).place(claimed, now)[0].id
    if question.andon_card_id is None:
        raise Refusal("Your question is being escalated right now; try again in a moment.")
    card = session.get_one(AndonCard, question.andon_card_id)
    _refresh_card(session, card, now)
    _maybe_signal(session, settings, card, now)
    session.commit()
    return card


def _refresh_card(session: Session, card: AndonCard, now: datetime) -> None:
    """Relabel the card (closed when no question is left on it) and queue its post or update."""
    texts = list(session.scalars(select(Question.text).where(Question.andon_card_id == card.id)
                                 .order_by(Question.id).limit(LABEL_SAMPLE)))
    if texts:
        card.label = label_for(texts)
    elif card.status in LIVE:
        card.status = CardStatus.CLOSED
    card.version += 1
    if card.message_ts is None and card.version == 1:
        enqueue(session, ANDON_CARD, card.id, now, key="post")
    else:
        enqueue(session, ANDON_UPDATE, card.id, now, key=f"v{card.version}")


def _maybe_signal(session: Session, settings: Settings, card: AndonCard, now: datetime) -> bool:
    """Raise the kanban signal once, when the topic keeps coming back; True if raised now."""
    recent = session.scalar(select(func.count()).select_from(Question).where(
        Question.andon_card_id == card.id, Question.asked_at >= now - settings.course_window)) or 0
    if card.kanban_at is None and card.status in LIVE and recent >= settings.course_threshold:
        card.kanban_at = now
        enqueue(session, ANDON_THREAD, card.id, now, key="kanban", args={"kind": "kanban"})
        return True
    return False


def _remind(session: Session, settings: Settings, now: datetime) -> int:
    """Re-notify the managers about cards nobody acknowledged, every LEARNBOT_ANDON_REPEAT, at most 3 times."""
    cards = session.scalars(select(AndonCard).where(
        AndonCard.status == CardStatus.OPEN, AndonCard.notify_count < MAX_REPEATS,
        AndonCard.notified_at <= now - settings.andon_repeat,
        (AndonCard.snoozed_until.is_(None)) | (AndonCard.snoozed_until <= now))).all()
    for card in cards:
        card.notify_count += 1
        card.notified_at = now
        enqueue(session, ANDON_THREAD, card.id, now, key=f"repeat:{card.notify_count}", args={"kind": "repeat"})
    return len(cards)


def record_post(session: Session, card_id: int, sent: dict[str, object]) -> None:
    """Outbox hook: where the card was posted, so updates and thread notes find it."""
    card = session.get(AndonCard, card_id)
    if card is not None:
        card.channel, card.message_ts = str(sent.get("channel")), str(sent.get("ts"))


def leave_card(session: Session, question: Question, now: datetime) -> None:
    """An answer arrived after escalation: the question leaves its card (the caller commits)."""
    if question.andon_card_id is None:
        return
    card = session.get_one(AndonCard, question.andon_card_id)
    question.andon_card_id = None
    session.flush()
    if card.status in LIVE:
        _refresh_card(session, card, now)


# -- managers' buttons ---------------------------------------------------------------------------

def _managed_card(session: Session, settings: Settings, card_id: int, user_id: str,
                  owner: str | None = None) -> AndonCard:
    """The live card, if `user_id` is a learning manager (or `owner`, where one is given)."""
    if user_id != owner:
        access.require_learning_manager(settings, user_id, "change andon cards")
    card = session.get(AndonCard, card_id)
    if card is None:
        raise Refusal("I can't find that card any more.")
    if card.status not in LIVE:
        raise Refusal(f"This card is already {card.status}.")
    return card


def _changed(session: Session, card: AndonCard, now: datetime) -> None:
    """A manager changed the card: show it, and commit."""
    card.version += 1
    enqueue(session, ANDON_UPDATE, card.id, now, key=f"v{card.version}")
    session.commit()


def acknowledge(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str) -> AndonCard:
    """Record who saw it and when; repeat notifications stop."""
    card = _managed_card(session, settings, card_id, user_id)
    if card.status == CardStatus.OPEN:
        card.status, card.acknowledged_by, card.acknowledged_at = CardStatus.ACKNOWLEDGED, user_id, now
        _changed(session, card, now)
    return card


def assign(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str,
           assignee: str) -> AndonCard:
    """Hand the card to a person; they get a DM with its questions. Assigning acknowledges."""
    card = _managed_card(session, settings, card_id, user_id)
    if card.assigned_to != assignee:
        card.assigned_to, card.assigned_at = assignee, now
        if card.status == CardStatus.OPEN:
            card.status, card.acknowledged_by, card.acknowledged_at = CardStatus.ACKNOWLEDGED, user_id, now
        enqueue(session, ANDON_ASSIGNED, card.id, now, key=f"{assignee}:{card.version}", args={"user": assignee})
        _changed(session, card, now)
    return card


def snooze(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str,
           period: str) -> AndonCard:
    """No reminders until the snooze ends (1 day or 1 week)."""
    if period not in SNOOZES:
        raise Refusal("Snooze for 1d or 1w.")
    card = _managed_card(session, settings, card_id, user_id)
    card.snoozed_until = now + SNOOZES[period]
    _changed(session, card, now)
    return card


def resolve(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str, title: str,
            url: str | None, summary: str) -> AndonCard:
    """Resolve with content (a manager, or the owner of its planned course): the item joins the library,
    every asker gets it, their questions resolve, a planned course is shipped."""
    need = learning_need(session, card_id)
    card = _managed_card(session, settings, card_id, user_id, need.owner_id if need else None)
    item, _ = upsert_item(session, Draft(title, url, summary, (card.label,)), now, source="andon",
                          created_by=user_id)
    card.status, card.resolved_by, card.resolved_at, card.resolved_item_id = CardStatus.RESOLVED, user_id, now, item.id
    questions = session.scalars(select(Question).where(Question.andon_card_id == card.id)).all()
    for question in questions:
        if question.status != QuestionStatus.RESOLVED:
            question.status, question.resolved_at = QuestionStatus.RESOLVED, now
        note_change(session, QUESTION, question.id, now)
    for asker in sorted({q.asker_id for q in questions}):
        enqueue(session, ANDON_RESOLVED, card.id, now, key=asker, args={"user": asker})
    if need is not None:
        need.shipped_at, need.item_id = now, item.id
    _changed(session, card, now)
    return card


def open_cards(session: Session) -> list[tuple[AndonCard, int, int, datetime | None]]:
    """Live cards with (questions, distinct askers, oldest question time), oldest card first."""
    rows = session.execute(
        select(AndonCard, func.count(Question.id), func.count(func.distinct(Question.asker_id)),
               func.min(Question.asked_at))
        .join(Question, Question.andon_card_id == AndonCard.id, isouter=True)
        .where(AndonCard.status.in_(LIVE)).group_by(AndonCard.id).order_by(AndonCard.created_at, AndonCard.id))
    return [(card, n, askers, oldest) for card, n, askers, oldest in rows]


@dataclass(frozen=True)
class CardQuestion:
    text: str
    asker: str | None  # None when asked anonymously
    channel: str | None
    thread_ts: str | None
    blocked: bool
    asked_at: datetime


@dataclass(frozen=True)
class CardView:
    """What a card shows, read at rendering time."""

    card: AndonCard
    questions: list[CardQuestion]
    askers: int
    managers: tuple[str, ...]
    resolution: tuple[str, str | None] | None = None  # (title, url) of the content that resolved it
    need: LearningNeed | None = None  # the course planned for it

    @property
    def oldest(self) -> datetime | None:
        return min((q.asked_at for q in self.questions), default=None)

    @property
    def live(self) -> bool:
        """Still waiting for a manager: its buttons are shown."""
        return self.card.status in LIVE

    @property
    def planned(self) -> bool:
        return self.card.status == CardStatus.COURSE_PLANNED

    @property
    def unacknowledged(self) -> bool:
        return self.card.status == CardStatus.OPEN

    @property
    def closed(self) -> bool:
        """Every question left it with an answer in its thread."""
        return self.card.status == CardStatus.CLOSED


def card_view(session: Session, settings: Settings, card_id: int) -> CardView | None:
    card = session.get(AndonCard, card_id)
    if card is None:
        return None
    rows = session.scalars(select(Question).where(Question.andon_card_id == card_id).order_by(Question.id)).all()
    questions = [CardQuestion(q.text, None if q.anonymous else q.asker_id, q.help_channel, q.thread_ts,
                              q.blocked_at is not None, q.asked_at) for q in rows]
    item = session.get(LibraryItem, card.resolved_item_id) if card.resolved_item_id else None
    resolution = (item.title, item.url) if item else None
    return CardView(card, questions, len({q.asker_id for q in rows}), access.learning_managers(settings), resolution,
                    learning_need(session, card_id))


def learning_need(session: Session, card_id: int) -> LearningNeed | None:
    """The course planned for a card, if any."""
    return session.scalar(select(LearningNeed).where(LearningNeed.card_id == card_id))


@dataclass(frozen=True)
class Resolution:
    """The content a card was resolved with, for its askers."""

    label: str
    title: str
    url: str | None
    summary: str


def resolution(session: Session, card_id: int) -> Resolution | None:
    card = session.get(AndonCard, card_id)
    item = session.get(LibraryItem, card.resolved_item_id) if card and card.resolved_item_id else None
    return None if card is None or item is None else Resolution(card.label, item.title, item.url, item.body)

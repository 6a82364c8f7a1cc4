"""Andon: unresolved questions become one card per topic for learning managers.

Only an accepted answer, "This answered it" or a resolution ends a question: a reply nobody
accepted does not. A question escalates when it is still unresolved past the SLA (the sweep), or at
once when its asker pulls the cord or says the replies left them stuck. Similar questions join the
same open card (clustered with the matching engine, incrementally: each new question is compared
with the open cards, never all pairs). A new card, and each pull of the cord, pages the learning
managers in the card's thread. A card on which LEARNBOT_COURSE_THRESHOLD different people asked
within LEARNBOT_COURSE_WINDOW raises the kanban signal: a formal course is needed. Managers
acknowledge, assign, snooze, resolve it with content (the assignee may resolve it too) or plan a
course (bot.learning_needs, whose owner ships it); a card
closes when every question on it is resolved. An asker whom the content did not help reopens their
question on the card. Every timer here is derived from stored state, and every message goes
through the outbox.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import access, teams
from bot.config import Settings
from bot.library import Draft, record_feedback, upsert_item
from bot.outbox import enqueue
from bot.refusal import Refusal
from bot.search import ItemRecord, MatchIndex
from bot.search.changes import QUESTION, note_change
from bot.topics import label_for
from store.models import AndonCard, Answer, CardStatus, LearningNeed, LibraryItem, Question, QuestionStatus

ANDON_CARD = "andon_card"
ANDON_UPDATE = "andon_card_update"
ANDON_THREAD = "andon_thread"
ANDON_ASSIGNED = "andon_assigned"
ANDON_RESOLVED = "andon_resolved"
ANDON_POST_CLOSED = "andon_question_post"  # a question's help-channel post, updated when its card resolves it

CLUSTER_SCORE = 40.0  # a question joins the best open card scoring at least this (0–100)
REPRESENTATIVES = 8  # questions that stand for a card when matching new ones
LABEL_SAMPLE = 50  # questions a label is made from
CLAIM_CHUNK = 100
SWEEP_BUDGET = timedelta(seconds=1.5)
MAX_REPEATS = 3
SWEEP_BATCH = 2000
SNOOZES = {"1d": timedelta(days=1), "1w": timedelta(weeks=1)}
LIVE = (CardStatus.OPEN, CardStatus.ACKNOWLEDGED, CardStatus.COURSE_PLANNED)
UNRESOLVED = (QuestionStatus.ASKED, QuestionStatus.ROUTED, QuestionStatus.ANSWERED)


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
        select(Question.id).where(Question.status.in_(UNRESOLVED), Question.escalated_at.is_(None),
                                  Question.routed_at <= now - settings.answer_sla)
        .order_by(Question.routed_at, Question.id).limit(SWEEP_BATCH)).all()
    touched: dict[int, AndonCard] = {}
    new: set[int] = set()
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
                if created:
                    new.add(card.id)
                escalated, opened = escalated + 1, opened + created
    session.flush()
    signals = 0
    for card in touched.values():
        _refresh_card(session, card, now)
        signals += _maybe_signal(session, settings, card, now)
        if card.id in new:
            _page(session, card, now, "new", key="new")
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
    if question.status not in UNRESOLVED:
        raise Refusal("This question is already resolved.")
    if not settings.andon_channel:
        raise Refusal("No andon channel is configured; ask your admin to set LEARNBOT_ANDON_CHANNEL.")
    question.blocked_at = question.blocked_at or now
    card = escalate_now(session, settings, question, now, kind="blocked", key=f"blocked:{question.id}")
    session.commit()
    return card


def escalate_now(session: Session, settings: Settings, question: Question, now: datetime, *, kind: str,
                 key: str) -> AndonCard:
    """Put the question on a card now (unless it is on one) and page the managers once per `key`.

    For a pull of the cord ("blocked") or an asker the replies left stuck ("stuck"); the caller commits.
    """
    if question.andon_card_id is None:  # not on a card yet (older releases took answered questions off theirs)
        question.escalated_at = None
        session.flush()
        for claimed in _claim(session, [question.id], now):
            claimed.andon_card_id = _Clusters(session).place(claimed, now)[0].id
    if question.andon_card_id is None:
        raise Refusal("Your question is being escalated right now; try again in a moment.")
    card = session.get_one(AndonCard, question.andon_card_id)
    _refresh_card(session, card, now)
    _maybe_signal(session, settings, card, now)
    _page(session, card, now, kind, key=key, question_id=question.id)
    return card


def _page(session: Session, card: AndonCard, now: datetime, kind: str, *, key: str,
          question_id: int | None = None) -> None:
    """A note mentioning the learning managers in the card's thread, once per `key`."""
    args: dict[str, object] = {"kind": kind} | ({"question_id": question_id} if question_id else {})
    enqueue(session, ANDON_THREAD, card.id, now, key=f"page:{key}", args=args)


def _refresh_card(session: Session, card: AndonCard, now: datetime) -> None:
    """Relabel the card (closed when every question on it is resolved) and queue its post or update."""
    on_card = Question.andon_card_id == card.id
    texts = list(session.scalars(select(Question.text).where(on_card).order_by(Question.id).limit(LABEL_SAMPLE)))
    if texts:
        card.label = label_for(texts)
    waiting = session.scalar(select(Question.id).where(on_card, Question.status.in_(UNRESOLVED)).limit(1))
    if waiting is None and card.status in LIVE:
        card.status = CardStatus.CLOSED
    card.version += 1
    if card.message_ts is None and card.version == 1:
        enqueue(session, ANDON_CARD, card.id, now, key="post")
    else:
        enqueue(session, ANDON_UPDATE, card.id, now, key=f"v{card.version}")


def _maybe_signal(session: Session, settings: Settings, card: AndonCard, now: datetime) -> bool:
    """Raise the kanban signal once, when different people keep asking about the topic; True if raised now."""
    askers = session.scalar(select(func.count(func.distinct(Question.asker_id))).where(
        Question.andon_card_id == card.id, Question.asked_at >= now - settings.course_window)) or 0
    if card.kanban_at is None and card.status in LIVE and askers >= settings.course_threshold:
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


def question_settled(session: Session, question: Question, now: datetime) -> None:
    """The asker accepted an answer (or "This answered it") after escalation: the card shows it, and
    closes when none of its questions is left unresolved (the caller commits)."""
    if question.andon_card_id is None:
        return
    card = session.get_one(AndonCard, question.andon_card_id)
    session.flush()
    if card.status in LIVE:
        _refresh_card(session, card, now)


# -- managers' buttons ---------------------------------------------------------------------------

def _live_card(session: Session, card_id: int) -> AndonCard:
    card = session.get(AndonCard, card_id)
    if card is None:
        raise Refusal("I can't find that card any more.")
    if card.status not in LIVE:
        raise Refusal(f"This card is already {card.status}.")
    return card


def managed_card(session: Session, settings: Settings, card_id: int, user_id: str) -> AndonCard:
    access.require_learning_manager(session, settings, user_id, "change andon cards")
    return _live_card(session, card_id)


def card_to_resolve(session: Session, settings: Settings, *, card_id: int, user_id: str) -> AndonCard:
    """The live card `user_id` may resolve (a learning manager, or its assignee); a Refusal otherwise."""
    card = _live_card(session, card_id)
    need = learning_need(session, card_id)
    access.require_may_resolve_card(session, settings, user_id, card, need.owner_id if need else None)
    return card


def changed(session: Session, card: AndonCard, now: datetime) -> None:
    """A manager changed the card: show it, and commit."""
    card.version += 1
    enqueue(session, ANDON_UPDATE, card.id, now, key=f"v{card.version}")
    session.commit()


def acknowledge(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str) -> AndonCard:
    """Record who saw it and when; repeat notifications stop."""
    card = managed_card(session, settings, card_id, user_id)
    if card.status == CardStatus.OPEN:
        card.status, card.acknowledged_by, card.acknowledged_at = CardStatus.ACKNOWLEDGED, user_id, now
        changed(session, card, now)
    return card


def assign(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str,
           assignee: str) -> AndonCard:
    """Hand the card to a person; they get a DM with its questions. Assigning acknowledges."""
    card = managed_card(session, settings, card_id, user_id)
    if card.assigned_to != assignee:
        card.assigned_to, card.assigned_at = assignee, now
        if card.status == CardStatus.OPEN:
            card.status, card.acknowledged_by, card.acknowledged_at = CardStatus.ACKNOWLEDGED, user_id, now
        enqueue(session, ANDON_ASSIGNED, card.id, now, key=f"{assignee}:{card.version}", args={"user": assignee})
        changed(session, card, now)
    return card


def snooze(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str,
           period: str) -> AndonCard:
    """No reminders until the snooze ends (1 day or 1 week)."""
    if period not in SNOOZES:
        raise Refusal("Snooze for 1d or 1w.")
    card = managed_card(session, settings, card_id, user_id)
    card.snoozed_until = now + SNOOZES[period]
    changed(session, card, now)
    return card


def resolve(session: Session, settings: Settings, now: datetime, *, card_id: int, user_id: str, title: str,
            url: str | None, summary: str) -> AndonCard:
    """Resolve with content (a manager, the assignee, or the owner of its planned course): the item joins
    the library, the card's unresolved questions resolve, their help-channel posts close, each of their
    askers gets the content (once per resolution) and a planned course is shipped."""
    card = card_to_resolve(session, settings, card_id=card_id, user_id=user_id)
    item, _ = upsert_item(session, Draft(title, url, summary, (card.label,)), now, source="andon",
                          created_by=user_id)
    questions = ship(session, card, user_id, now, item.id)
    for asker in sorted({q.asker_id for q in questions}):
        enqueue(session, ANDON_RESOLVED, card.id, now, key=f"{asker}:v{card.version}", args={"user": asker})
    changed(session, card, now)
    return card


def ship(session: Session, card: AndonCard, user_id: str, now: datetime, item_id: int) -> list[Question]:
    """The one rule for a card answered with content (an item, or a learning path starting with it): the
    card resolves, its unresolved questions resolve and their help-channel posts close, a planned course
    counts as shipped. Returns the questions it resolved; telling their askers, then `changed`, is the caller's."""
    card.status, card.resolved_by, card.resolved_at, card.resolved_item_id = CardStatus.RESOLVED, user_id, now, item_id
    questions = session.scalars(select(Question).where(Question.andon_card_id == card.id,
                                                       Question.status.in_(UNRESOLVED)).order_by(Question.id)).all()
    for question in questions:
        question.status, question.resolved_at = QuestionStatus.RESOLVED, now
        note_change(session, QUESTION, question.id, now)
        enqueue(session, ANDON_POST_CLOSED, question.id, now, key=f"v{card.version}")
    need = learning_need(session, card.id)
    if need is not None:
        need.shipped_at, need.item_id = now, item_id
    return list(questions)


def on_topic_since(session: Session, card_id: int, since: datetime, limit: int = 5000) -> int:
    """How many questions asked since `since` are on the card's topic: on the card, or close enough to its
    first questions that they would have joined it (the same test as a new question's)."""
    texts = session.scalars(select(Question.text).where(Question.andon_card_id == card_id)
                            .order_by(Question.id).limit(REPRESENTATIVES)).all()
    if not texts:
        return 0
    index = MatchIndex()
    index.upsert_item(ItemRecord(id=card_id, title=texts[0], body="\n".join(texts[1:])))
    later = session.execute(select(Question.text, Question.andon_card_id).where(Question.asked_at >= since)
                            .order_by(Question.id).limit(limit))
    return sum(1 for text, on_card in later
               if on_card == card_id or any(hit.score >= CLUSTER_SCORE for hit in index.search(text, limit=1).content))


def _resolved_for(session: Session, card_id: int, user_id: str) -> tuple[AndonCard, list[Question]]:
    """The card and `user_id`'s questions on it that its content resolved (none accepted an answer)."""
    card = session.get(AndonCard, card_id)
    if card is None:
        raise Refusal("I can't find that card any more.")
    asked = session.scalars(select(Question).where(Question.andon_card_id == card_id, Question.asker_id == user_id)
                            .order_by(Question.id)).all()
    if not asked:
        raise Refusal("Only the people who asked can do that.")
    accepted = select(Answer.id).where(Answer.question_id == Question.id, Answer.accepted_at.is_not(None)).exists()
    resolved = session.scalars(select(Question).where(Question.id.in_([q.id for q in asked]),
                                                      Question.status == QuestionStatus.RESOLVED, ~accepted)
                               .order_by(Question.id)).all()
    return card, list(resolved)


def helped(session: Session, now: datetime, *, card_id: int, user_id: str) -> None:
    """"Yes, it helped": the content learns the asker's questions as aliases; commits."""
    card, questions = _resolved_for(session, card_id, user_id)
    for question in questions if card.resolved_item_id else ():
        record_feedback(session, question, card.resolved_item_id, helpful=True, now=now)
    session.commit()


def reopen(session: Session, now: datetime, *, card_id: int, user_id: str) -> bool:
    """"No, it didn't help": the asker's questions go back on the card, which is live again and pages
    the managers; commits. False when there was nothing to reopen (a second click)."""
    card, questions = _resolved_for(session, card_id, user_id)
    if not questions:
        return False
    if card.status not in LIVE:
        card.status, card.notified_at, card.notify_count = CardStatus.OPEN, now, 0
    for question in questions:
        answered = session.scalar(select(Answer.id).where(Answer.question_id == question.id,
                                                          Answer.deleted_at.is_(None)).limit(1))
        question.status = QuestionStatus.ANSWERED if answered else QuestionStatus.ROUTED
        question.resolved_at = None
        if card.resolved_item_id:
            record_feedback(session, question, card.resolved_item_id, helpful=False, now=now)
        note_change(session, QUESTION, question.id, now)
        enqueue(session, ANDON_POST_CLOSED, question.id, now, key=f"reopened:v{card.version}")
    _refresh_card(session, card, now)
    _page(session, card, now, "reopened", key=f"reopened:{user_id}:v{card.version}", question_id=questions[0].id)
    session.commit()
    return True


def open_cards(session: Session, limit: int | None = None) -> list[tuple[AndonCard, int, int, datetime | None]]:
    """Live cards with (unresolved questions, their distinct askers, the oldest one's time), oldest card
    first; the first ``limit`` of them when given."""
    rows = session.execute(
        select(AndonCard, func.count(Question.id), func.count(func.distinct(Question.asker_id)),
               func.min(Question.asked_at))
        .join(Question, (Question.andon_card_id == AndonCard.id) & Question.status.in_(UNRESOLVED), isouter=True)
        .where(AndonCard.status.in_(LIVE)).group_by(AndonCard.id).order_by(AndonCard.created_at, AndonCard.id)
        .limit(limit))
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
    questions: list[CardQuestion]  # the unresolved ones; all of them once the card is resolved
    askers: int
    managers: tuple[str, ...]
    resolution: tuple[str, str | None] | None = None  # (title, url) of the content that resolved it
    need: LearningNeed | None = None  # the course planned for it
    teams: list[tuple[str, int]] = field(default_factory=list)  # where the gap comes from: (team, askers)

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
        """Every question on it was resolved by an accepted answer."""
        return self.card.status == CardStatus.CLOSED


def card_view(session: Session, settings: Settings, card_id: int) -> CardView | None:
    card = session.get(AndonCard, card_id)
    if card is None:
        return None
    resolved = card.status == CardStatus.RESOLVED
    shown = select(Question).where(Question.andon_card_id == card_id)
    rows = session.scalars((shown if resolved else shown.where(Question.status.in_(UNRESOLVED)))
                           .order_by(Question.id)).all()
    questions = [CardQuestion(q.text, None if q.anonymous else q.asker_id, q.help_channel, q.thread_ts,
                              q.blocked_at is not None, q.asked_at) for q in rows]
    item = session.get(LibraryItem, card.resolved_item_id) if resolved and card.resolved_item_id else None
    resolution = (item.title, item.url) if item else None
    return CardView(card, questions, len({q.asker_id for q in rows}), access.learning_managers(session, settings),
                    resolution, learning_need(session, card_id),
                    teams.askers_by_team(session, ((q.asker_id, q.team_id) for q in rows if not q.anonymous)))


def learning_need(session: Session, card_id: int) -> LearningNeed | None:
    """The course planned for a card, if any."""
    return session.scalar(select(LearningNeed).where(LearningNeed.card_id == card_id))


@dataclass(frozen=True)
class Resolution:
    """The content a card was resolved with, for one asker: named by their question, not the topic label."""

    card_id: int
    question_id: int
    question: str
    item_id: int
    title: str
    url: str | None
    summary: str


def resolution(session: Session, card_id: int, asker: str) -> Resolution | None:
    """What the card was resolved with, named by `asker`'s first question on it."""
    card = session.get(AndonCard, card_id)
    question = session.scalar(select(Question).where(Question.andon_card_id == card_id, Question.asker_id == asker)
                              .order_by(Question.id).limit(1))
    item = session.get(LibraryItem, card.resolved_item_id) if card and card.resolved_item_id else None
    if card is None or question is None or item is None:
        return None
    return Resolution(card.id, question.id, question.text, item.id, item.title, item.url, item.body)

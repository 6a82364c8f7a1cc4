"""Answers in a question's thread: record them, tell the asker, accept, capture, follow up.

A reply is an answer, but only the asker's acceptance ends the question: until then it stays open,
escalates past the SLA like an unanswered one, and "Still stuck" puts it on an andon card at once.
A resolved question takes no more claims, answers or acceptances.

Slash commands do not work in threads, so everything here is driven by message events, reactions
and buttons. Every notice goes through the outbox, keyed so that a retried event or a double click
never sends it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import andon
from bot.asking import POST_UPDATE, own_question
from bot.config import Settings
from bot.idempotency import first_time
from bot.search.changes import EXPERT, ITEM, QUESTION, note_change
from bot.search.live import LiveIndex
from bot.library import answer_key
from bot.outbox import enqueue
from bot.refusal import Refusal
from bot.routing import choose_experts, record_pings
from store.models import Answer, ExpertDecline, LibraryItem, Question, QuestionStatus

ANSWER_NOTICE = "answer_notice"
THREAD_PING = "thread_ping"
REFLECT_INVITE = "reflect_invite"
ACCEPT_REACTIONS = {"white_check_mark", "heavy_check_mark", "ballot_box_with_check"}
OPEN = (QuestionStatus.ROUTED, QuestionStatus.ANSWERED)

Link = Callable[[str, str, str | None], str | None]  # (channel, message ts, thread ts) -> permalink


@dataclass(frozen=True)
class Accepted:
    """The outcome of accepting: the question, the answer, the library item it became."""

    question_id: int
    answer_id: int
    item_id: int
    answerer: str
    already: bool = False


def question_for_thread(session: Session, channel: str, thread_ts: str) -> Question | None:
    return session.scalar(select(Question).where(Question.thread_ts == thread_ts, Question.help_channel == channel))


def record_reply(session: Session, now: datetime, *, event_id: str, channel: str, thread_ts: str,
                 message_ts: str, user_id: str, text: str) -> Answer | None:
    """A reply in an open question's thread by someone other than the asker is an answer.

    The first answer stamps `first_answer_at` (the digest's response time); an answer to a question
    waiting for one (the first, or the first after "Still stuck") queues the asker's notice, once.
    Returns the new answer, or None when the message is not one (or was seen before).
    """
    if not first_time(session, event_id, now):
        return None
    question = question_for_thread(session, channel, thread_ts)
    if question is None or question.status not in OPEN or user_id == question.asker_id or not text.strip():
        session.commit()
        return None
    if session.scalar(select(Answer.id).where(Answer.question_id == question.id, Answer.message_ts == message_ts)):
        session.commit()
        return None
    answer = Answer(question_id=question.id, user_id=user_id, message_ts=message_ts, text=text, created_at=now)
    session.add(answer)
    session.flush()
    first = question.first_answer_at is None
    question.first_answer_at = question.first_answer_at or now
    if question.status == QuestionStatus.ROUTED:
        question.status = QuestionStatus.ANSWERED
        enqueue(session, ANSWER_NOTICE, question.id, now, args={"answer_id": answer.id},
                key=None if first else f"answer:{answer.id}")
    note_change(session, EXPERT, user_id, now)
    session.commit()
    return answer


def edit_reply(session: Session, now: datetime, *, event_id: str, channel: str, message_ts: str,
               text: str) -> bool:
    """Follow an edited answer; True if one was changed."""
    answer = _answer_at(session, channel, message_ts)
    if not first_time(session, event_id, now) or answer is None:
        session.commit()
        return False
    answer.text, answer.edited_at = text, now
    note_change(session, EXPERT, answer.user_id, now)
    session.commit()
    return True


def delete_reply(session: Session, now: datetime, *, event_id: str, channel: str, message_ts: str) -> bool:
    """Follow a deleted answer: it no longer counts for the answerer's expertise."""
    answer = _answer_at(session, channel, message_ts)
    if not first_time(session, event_id, now) or answer is None or answer.deleted_at is not None:
        session.commit()
        return False
    answer.deleted_at = now
    note_change(session, EXPERT, answer.user_id, now)
    session.commit()
    return True


def _answer_at(session: Session, channel: str, message_ts: str) -> Answer | None:
    return session.scalar(
        select(Answer).join(Question, Question.id == Answer.question_id)
        .where(Answer.message_ts == message_ts, Question.help_channel == channel))


def accept(session: Session, now: datetime, link: Link, *, question_id: int, user_id: str,
           answer_id: int | None = None) -> Accepted:
    """The asker accepts an answer: the question is resolved (its andon card shows it) and the answer
    joins the library.

    Accepting again (a double click, a ✅ after the button) changes nothing and returns `already`;
    a question resolved otherwise (by its andon card, or "This answered it") is refused.
    """
    question = own_question(session, question_id, user_id)
    accepted = session.scalar(select(Answer).where(Answer.question_id == question.id,
                                                   Answer.accepted_at.is_not(None)))
    if accepted is not None:
        item_id = session.scalar(select(LibraryItem.id).where(LibraryItem.key == answer_key(question.id)))
        return Accepted(question.id, accepted.id, item_id or 0, accepted.user_id, already=True)
    if question.status not in OPEN:
        raise Refusal("This question is already resolved.")
    answer = _choose_answer(session, question, answer_id)
    answer.accepted_at = now
    question.status, question.resolved_at = QuestionStatus.RESOLVED, now
    andon.question_settled(session, question, now)
    item = _capture(session, question, answer, link, now)
    note_change(session, QUESTION, question.id, now)
    note_change(session, EXPERT, answer.user_id, now)
    enqueue(session, POST_UPDATE, question.id, now, key="resolved")
    for person, role in ((question.asker_id, "asker"), (answer.user_id, "answerer")):
        enqueue(session, REFLECT_INVITE, question.id, now, args={"user": person, "role": role}, key=person)
    session.commit()
    return Accepted(question.id, answer.id, item.id, answer.user_id)


def accept_by_reaction(session: Session, now: datetime, link: Link, *, event_id: str, channel: str,
                       message_ts: str, user_id: str, reaction: str) -> Accepted | None:
    """A ✅ by the asker on a reply accepts it; other reactions and people are ignored."""
    if reaction not in ACCEPT_REACTIONS:
        return None
    answer = _answer_at(session, channel, message_ts)
    if answer is None or not first_time(session, event_id, now):
        session.rollback()
        return None
    question = session.get_one(Question, answer.question_id)
    if question.asker_id != user_id:
        session.commit()
        return None
    return accept(session, now, link, question_id=question.id, user_id=user_id, answer_id=answer.id)


def _choose_answer(session: Session, question: Question, answer_id: int | None) -> Answer:
    live = select(Answer).where(Answer.question_id == question.id, Answer.deleted_at.is_(None))
    if answer_id is not None:
        chosen = session.scalar(live.where(Answer.id == answer_id))
        if chosen is not None:
            return chosen
    first = session.scalar(live.order_by(Answer.id).limit(1))
    if first is None:
        raise Refusal("There is no answer to accept yet.")
    return first


def _capture(session: Session, question: Question, answer: Answer, link: Link, now: datetime) -> LibraryItem:
    """The accepted answer as a library item that future questions find."""
    url = link(question.help_channel or "", answer.message_ts, question.thread_ts) if question.help_channel else None
    title = " ".join(question.text.split())
    item = LibraryItem(key=answer_key(question.id), title=title[:200], url=url, body=answer.text,
                       tags="answered in slack", source="answer", created_by=answer.user_id,
                       owner_id=answer.user_id, created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    note_change(session, ITEM, item.id, now)
    return item


def still_stuck(session: Session, index: LiveIndex, settings: Settings, now: datetime, *, question_id: int,
                user_id: str) -> list[str]:
    """The answers did not help: the question waits for an answer again, the next experts are asked in
    the thread, and (with an andon channel) it goes on an andon card now, paging the managers.

    Only an answered question can be reopened, so a second click does nothing.
    """
    question = own_question(session, question_id, user_id)
    if question.status not in OPEN:
        raise Refusal("This question is already resolved.")
    if question.status != QuestionStatus.ANSWERED:
        return []
    question.status = QuestionStatus.ROUTED
    answers = len(session.scalars(select(Answer.id).where(Answer.question_id == question.id)).all())
    reason = f"stuck:{answers}"
    pinged = _ask_more(session, index, settings, question, reason, now)
    if settings.andon_channel:
        andon.escalate_now(session, settings, question, now, kind="stuck", key=f"{reason}:{question.id}")
    session.commit()
    return pinged


def claim(session: Session, now: datetime, *, question_id: int, user_id: str) -> str:
    """"I'll take it": the post shows who is on it. Returns who holds the question."""
    question = session.get(Question, question_id)
    if question is None:
        raise Refusal("I can't find that question any more.")
    if question.asker_id == user_id:
        raise Refusal("That's your own question; a colleague will pick it up.")
    if question.status not in OPEN:
        raise Refusal("This question is already resolved.")
    if question.claimed_by is None:
        question.claimed_by, question.claimed_at = user_id, now
        enqueue(session, POST_UPDATE, question.id, now, key=f"claim:{user_id}")
        session.commit()
    return question.claimed_by or user_id


@dataclass(frozen=True)
class Declined:
    """After "Not my area": who was asked instead, and whether the question still waits for an answer."""

    pinged: list[str]
    open: bool


def decline(session: Session, index: LiveIndex, settings: Settings, now: datetime, *, question_id: int,
            user_id: str) -> Declined:
    """"Not my area": remember it (it lowers this person for similar questions) and ask someone else.

    When nobody else matches, the thread says so. Pressing it twice, or on one's own question, is refused.
    """
    question = session.get(Question, question_id)
    if question is None:
        raise Refusal("I can't find that question any more.")
    if question.asker_id == user_id:
        raise Refusal("That's your own question; a colleague will pick it up.")
    if session.scalar(select(ExpertDecline.id).where(ExpertDecline.question_id == question_id,
                                                     ExpertDecline.user_id == user_id)):
        raise Refusal("You've already told me this one isn't your area. Thanks!")
    session.add(ExpertDecline(question_id=question_id, user_id=user_id, created_at=now))
    if question.claimed_by == user_id:
        question.claimed_by = question.claimed_at = None
    still_open = question.status in OPEN
    pinged = _ask_more(session, index, settings, question, f"reroute:{user_id}", now, count=1) if still_open else []
    if still_open and not pinged and question.help_channel:
        enqueue(session, THREAD_PING, question.id, now, args={"users": [], "reason": "unmatched"},
                key=f"unmatched:{user_id}")
    session.commit()
    return Declined(pinged, still_open)


def nudge_due(session: Session, index: LiveIndex, settings: Settings, now: datetime) -> int:
    """Questions nobody claimed or answered within half the SLA: ask the next experts, once."""
    due = session.scalars(select(Question).where(
        Question.status == QuestionStatus.ROUTED, Question.first_answer_at.is_(None), Question.claimed_by.is_(None),
        Question.nudged_at.is_(None), Question.routed_at <= now - settings.answer_sla / 2,
    ).order_by(Question.id).limit(500)).all()
    for question in due:
        question.nudged_at = now
        _ask_more(session, index, settings, question, "nudge", now)
    session.commit()
    return len(due)


def _ask_more(session: Session, index: LiveIndex, settings: Settings, question: Question, reason: str,
              now: datetime, count: int | None = None) -> list[str]:
    """Ping the next best experts in the question's thread (nobody twice for one question)."""
    hits = index.search(question.text, limit=10, exclude_experts=(question.asker_id,)).experts
    chosen = choose_experts(session, settings, question, hits, now, count or settings.max_experts_pinged)
    kind = reason.split(":")[0]
    pinged = record_pings(session, question, chosen, kind, now)
    if question.help_channel and (pinged or kind == "stuck"):
        enqueue(session, THREAD_PING, question.id, now, args={"users": pinged, "reason": kind}, key=reason)
    return pinged


@dataclass(frozen=True)
class AnswerView:
    """A thread reply recorded as an answer."""

    answer_id: int
    answerer: str
    message_ts: str


def answer_view(session: Session, answer_id: int) -> AnswerView | None:
    answer = session.get(Answer, answer_id)
    return None if answer is None else AnswerView(answer.id, answer.user_id, answer.message_ts)

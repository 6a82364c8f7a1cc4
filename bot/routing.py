"""Routing to colleagues: choose the experts to ask, fairly, and record who was asked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.outbox import enqueue
from bot.search import Hit
from bot.people import ensure_person
from store.models import Answer, ExpertDecline, ExpertPing, Person, Question

MIN_EXPERT_MATCH = 25.0  # an expert whose best evidence matches less matched by chance: ask the channel
RELATIVE_FLOOR = 0.25  # nobody scoring under this share of the best candidate is paged beside them
TIE_POINTS = 5.0  # experts this close to each other are "equally good": spread pings among them
DECLINE_WEIGHT = 0.6  # "Not my area" on a near-identical question removes up to 60% of the score
EXPERT_PAGE = "expert_page"  # a paged expert's DM: most people are not in the help channel


@dataclass(frozen=True)
class Candidate:
    user_id: str
    score: float


def choose_experts(session: Session, settings: Settings, question: Question, hits: list[Hit], now: datetime,
                   count: int) -> list[Candidate]:
    """The best `count` experts for `question` who may be asked now.

    Never the asker, nobody already asked, who answered or who declined this question, nobody away, nobody past
    the daily ping cap. The floor is relative: whose best evidence matches under MIN_EXPERT_MATCH (however
    fresh), or who scores under RELATIVE_FLOOR of the best candidate, is not paged; so the answerers of an
    old Slack export, whose evidence has faded, are still asked when nobody fresher knows. Past declines of
    similar questions lower a score; among experts within TIE_POINTS of each other the one asked least in the
    last week goes first.
    """
    ids = [str(h.id) for h in hits if str(h.id) != question.asker_id]
    if not ids or count < 1:
        return []
    excluded = set(session.scalars(select(ExpertPing.user_id).where(ExpertPing.question_id == question.id)))
    excluded |= set(session.scalars(select(Answer.user_id).where(Answer.question_id == question.id)))
    excluded |= set(session.scalars(select(ExpertDecline.user_id).where(ExpertDecline.question_id == question.id)))
    excluded |= set(session.scalars(select(Person.user_id).where(Person.user_id.in_(ids), Person.away_until > now)))
    today = _ping_counts(session, ids, now - timedelta(days=1))
    week = _ping_counts(session, ids, now - timedelta(days=7))
    declined = _declined_texts(session, ids)
    eligible = [hit for hit in hits if str(hit.id) != question.asker_id and str(hit.id) not in excluded
                and (hit.score if hit.match is None else hit.match) >= MIN_EXPERT_MATCH
                and today[str(hit.id)] < settings.max_pings_per_day]
    best = max((hit.score for hit in eligible), default=0.0)
    candidates = []
    for hit in eligible:
        user_id = str(hit.id)
        if hit.score < RELATIVE_FLOOR * best:
            continue
        similarity = max((fuzz.token_set_ratio(question.text, t) for t in declined.get(user_id, ())), default=0)
        candidates.append(Candidate(user_id, hit.score * (1 - DECLINE_WEIGHT * similarity / 100)))
    candidates.sort(key=lambda c: (-round(c.score / TIE_POINTS), week[c.user_id], -c.score))
    return candidates[:count]


def _ping_counts(session: Session, ids: list[str], since: datetime) -> Counter[str]:
    rows = session.execute(
        select(ExpertPing.user_id, func.count()).where(ExpertPing.user_id.in_(ids), ExpertPing.pinged_at >= since)
        .group_by(ExpertPing.user_id))
    return Counter({user_id: n for user_id, n in rows})


def _declined_texts(session: Session, ids: list[str]) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for user_id, text in session.execute(
        select(ExpertDecline.user_id, Question.text).join(Question, Question.id == ExpertDecline.question_id)
        .where(ExpertDecline.user_id.in_(ids))
    ):
        texts.setdefault(user_id, []).append(text)
    return texts


def record_pings(session: Session, question: Question, chosen: list[Candidate], reason: str,
                 now: datetime) -> list[str]:
    """Remember who was asked (the daily cap and fairness count these) and DM each once; returns their ids."""
    for candidate in chosen:
        ensure_person(session, candidate.user_id, now)
        session.add(ExpertPing(question_id=question.id, user_id=candidate.user_id, score=candidate.score,
                               reason=reason, pinged_at=now))
        enqueue(session, EXPERT_PAGE, question.id, now, args={"user": candidate.user_id}, key=candidate.user_id)
    return [c.user_id for c in chosen]

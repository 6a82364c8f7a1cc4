"""The plain values the engine takes and gives: records of what is searchable, hits and results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Collection, Union


@dataclass(frozen=True)
class ItemRecord:
    """A library item."""

    id: int
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    url: str | None = None
    aliases: tuple[str, ...] = ()  # questions users confirmed this item answered
    rejections: tuple[str, ...] = ()  # questions for which users said "Didn't help"
    review_due: datetime | None = None  # when its content is due for review; None: it never goes stale
    audience: int | None = None  # the team or department that sees it; None: everyone

    def stale(self, now: datetime, grace: timedelta = timedelta(0)) -> bool:
        """Past its review date (by more than `grace`)."""
        return self.review_due is not None and now >= self.review_due + grace


class AllAudiences:
    """The type of ALL_AUDIENCES: a search that sees every item, whatever its audience (admin tools only)."""

    def __repr__(self) -> str:
        return "ALL_AUDIENCES"


ALL_AUDIENCES = AllAudiences()
# What a search sees: items of these audiences (team ids) plus the organisation-wide ones, or ALL_AUDIENCES.
# The default, no audiences, is the safe one: organisation-wide items only.
Audiences = Union[Collection[int], AllAudiences]


@dataclass(frozen=True)
class QuestionRecord:
    """A past question with an accepted answer."""

    id: int
    text: str


@dataclass(frozen=True)
class ExpertRecord:
    """A colleague: declared topics and weighted questions they answered."""

    user_id: str
    topics: tuple[str, ...] = ()
    answered: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Explanation:
    """Why a hit matched."""

    matched_terms: tuple[str, ...]
    synonyms_used: tuple[tuple[str, str], ...]  # (query term, synonym it expanded to)
    parts: dict[str, float]  # named score components; they add up to the hit's score


@dataclass(frozen=True)
class Hit:
    """One ranked result: item id, question id or expert user_id."""

    id: int | str
    score: float  # 0..100, calibrated: comparable across queries
    explanation: Explanation | None = None
    match: float | None = None  # experts: how well their best evidence matches, however old or little (0..100)


@dataclass(frozen=True)
class MatchResult:
    """Everything /learn needs to answer or route a question."""

    query: str
    confident: bool
    content: list[Hit]
    similar_questions: list[Hit]
    experts: list[Hit]

"""Topics in a pile of questions: labels and cheap, linear-time grouping (no all-pairs comparison)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from bot.search.text import STOP_WORDS, stem

_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Topic:
    label: str
    count: int
    members: tuple[int, ...]  # indices into the texts given


def _terms(text: str) -> dict[str, str]:
    """Content terms of a text, stem -> first surface word."""
    terms: dict[str, str] = {}
    for word in _WORD.findall(text.casefold()):
        if word not in STOP_WORDS and len(word) > 2:
            terms.setdefault(stem(word), word)
    return terms


def label_for(texts: Sequence[str], words: int = 4) -> str:
    """A topic label: the content words most of the texts share."""
    return _label([_terms(text) for text in texts], words)


def _label(term_sets: Sequence[dict[str, str]], words: int) -> str:
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for terms in term_sets:
        for term, word in terms.items():
            counts[term] += 1
            surface.setdefault(term, word)
    top = [surface[t] for t, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:words]]
    return " ".join(top) or "Unlabelled questions"


def group_by_topic(texts: Sequence[str], limit: int = 5, min_count: int = 1) -> list[Topic]:
    """The biggest topics: each text joins the group of its most widespread content term.

    One pass to count how many texts use each term, one pass to assign: linear in the words, so a
    week of 20,000 questions groups in well under a second.
    """
    per_text = [_terms(t) for t in texts]
    spread: Counter[str] = Counter(term for terms in per_text for term in terms)
    groups: dict[str, list[int]] = {}
    for index, terms in enumerate(per_text):
        if terms:
            key = max(terms, key=lambda t: (spread[t], t))
            groups.setdefault(key, []).append(index)
    ranked = sorted(groups.values(), key=lambda members: (-len(members), members[0]))
    return [Topic(_label([per_text[i] for i in members], words=3), len(members), tuple(members))
            for members in ranked if len(members) >= min_count][:limit]

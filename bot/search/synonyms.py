"""Synonym and acronym groups: parsed from a table, matched as the longest span of query terms."""

from __future__ import annotations

from typing import Iterable, Sequence

from bot.search.text import Vocabulary, normalize


def parse_synonyms(lines: Iterable[str]) -> tuple[list[tuple[str, ...]], list[tuple[int, str]]]:
    """Parse a synonyms table: one comma-separated group per line; '#' comments, blank lines skipped.

    Returns (groups, errors); errors are (1-based line number, message), e.g. a line with <2 terms.
    """
    groups: list[tuple[str, ...]] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        terms = tuple(dict.fromkeys(" ".join(t.split()) for t in text.split(",") if t.strip()))
        if len(terms) < 2:
            errors.append((number, f"a synonym group needs at least 2 terms, got {len(terms)}"))
            continue
        if any(not normalize(t) for t in terms):
            errors.append((number, "a term has no words (only punctuation or symbols)"))
            continue
        groups.append(terms)
    return groups, errors


class Synonyms:
    """Synonym groups as sequences of terms, looked up by their first term."""

    def __init__(self, groups: Iterable[Sequence[str]], vocabulary: Vocabulary) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self.groups: list[list[tuple[tuple[str, ...], str]]] = []  # [(terms, surface)]
        for group in groups:
            members = [(tuple(vocabulary.normalize(t)), " ".join(t.lower().split())) for t in group]
            members = [(terms, surface) for terms, surface in members if terms]
            if len(members) < 2:
                continue
            index = len(self.groups)
            self.groups.append(members)
            for terms, _ in members:
                self.by_first.setdefault(terms[0], []).append((terms, index))
        self.known_terms = frozenset(t for members in self.groups for terms, _ in members for t in terms)

    def longest_match(
        self, terms: list[str], start: int
    ) -> tuple[int, str, list[tuple[tuple[str, ...], str]]] | None:
        """Longest group member starting at ``terms[start]``: (length, its surface, other members)."""
        best = None
        for member, index in self.by_first.get(terms[start], ()):
            if tuple(terms[start : start + len(member)]) == member and (best is None or len(member) > len(best[0])):
                best = (member, index)
        if best is None:
            return None
        member, index = best
        typed = next(surface for terms_, surface in self.groups[index] if terms_ == member)
        others = [(t, surface) for t, surface in self.groups[index] if t != member]
        return len(member), typed, others

"""Counts in words people read: `1 question`, `2 questions`, `1 person`, `3 people`."""

from __future__ import annotations

import pytest

from bot.wording import first_few, plural


@pytest.mark.parametrize("n, word, expected", [(0, "question", "0 questions"), (1, "question", "1 question"),
                                               (2, "question", "2 questions"), (1, "person", "1 person"),
                                               (3, "person", "3 people"), (1, "reply", "1 reply"),
                                               (2, "reply", "2 replies")])
def test_plural(n: int, word: str, expected: str) -> None:
    assert plural(n, word) == expected


def test_first_few_names_the_first_and_counts_the_rest() -> None:
    assert first_few(["Support", "Sales"], 3) == "Support, Sales"
    assert first_few(["Support", "Sales", "Quality", "Line A"], 2) == "Support, Sales and 2 more"

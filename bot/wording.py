"""Counts and lists in the words people read: `1 question`, `2 people`, `Support, Sales and 3 more`."""

from __future__ import annotations

from typing import Sequence

IRREGULAR = {"person": "people", "reply": "replies"}


def noun(n: int, word: str) -> str:
    """`word` as it goes after the number `n`: singular for 1, plural otherwise."""
    return word if n == 1 else IRREGULAR.get(word, word + "s")


def plural(n: int, word: str) -> str:
    """`n` and `word`: `1 question`, `0 questions`, `3 people`."""
    return f"{n} {noun(n, word)}"


def first_few(names: Sequence[str], shown: int) -> str:
    """The first `shown` of `names` and how many more: `Support, Sales and 3 more` (a long list would be
    cut mid-name at Slack's 3,000 characters)."""
    listed = ", ".join(names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")

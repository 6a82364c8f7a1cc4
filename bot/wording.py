"""Counts in the words people read: `1 question`, `3 questions`, `1 person`, `2 people`."""

from __future__ import annotations

IRREGULAR = {"person": "people", "reply": "replies"}


def noun(n: int, word: str) -> str:
    """`word` as it goes after the number `n`: singular for 1, plural otherwise."""
    return word if n == 1 else IRREGULAR.get(word, word + "s")


def plural(n: int, word: str) -> str:
    """`n` and `word`: `1 question`, `0 questions`, `3 people`."""
    return f"{n} {noun(n, word)}"

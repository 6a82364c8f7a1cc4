"""The one user-facing refusal: a use case raises it, the listener tells the person privately, nothing changes."""

from __future__ import annotations


class Refusal(Exception):
    """A request the bot turns down; the message is a friendly sentence for the person who asked."""

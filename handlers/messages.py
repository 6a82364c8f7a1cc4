"""Renderers for durable messages: the outbox asks them what to send when it delivers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import asking
from bot.outbox import OnSent, Renderer, SlackCall
from handlers import blocks


def question_post(session: Session, question_id: int, _args: dict[str, Any]) -> SlackCall | None:
    """The help-channel post of a routed question, mentioning the experts pinged."""
    view = asking.post_view(session, question_id)
    if view is None or not view.channel:
        return None
    payload = blocks.question_post(view.question_id, view.text, view.asker, view.experts)
    return SlackCall("chat.postMessage", {"channel": view.channel, "unfurl_links": False, **payload})


RENDERERS: dict[str, Renderer] = {asking.QUESTION_POST: question_post}
ON_SENT: dict[str, OnSent] = {asking.QUESTION_POST: asking.record_post}

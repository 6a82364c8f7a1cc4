"""Events: replies in a question's thread (and their edits and deletions), ✅ reactions."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot import answers
from handlers.deps import Deps

IGNORED_SUBTYPES = {"bot_message", "channel_join", "channel_leave", "group_join", "group_leave",
                    "channel_topic", "channel_purpose", "channel_name", "thread_broadcast_removed"}


def register(app: App, deps: Deps) -> None:
    """Attach the message and reaction listeners."""
    sessions = deps.runtime.sessions

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        subtype, event_id, channel = event.get("subtype"), body.get("event_id", ""), event.get("channel", "")
        with sessions() as session:
            if subtype == "message_changed":
                edited = event.get("message") or {}
                changed = answers.edit_reply(session, deps.now(), event_id=event_id, channel=channel,
                                             message_ts=edited.get("ts", ""), text=edited.get("text", ""))
            elif subtype == "message_deleted":
                changed = answers.delete_reply(session, deps.now(), event_id=event_id, channel=channel,
                                               message_ts=event.get("deleted_ts", ""))
            elif subtype in IGNORED_SUBTYPES or event.get("bot_id") or not _is_thread_reply(event):
                return
            else:
                changed = answers.record_reply(
                    session, deps.now(), event_id=event_id, channel=channel, thread_ts=event["thread_ts"],
                    message_ts=event["ts"], user_id=event.get("user", ""), text=event.get("text", "")) is not None
        if changed:
            deps.settle(*filter(None, [event.get("user")]))

    @app.event("reaction_added")
    def on_reaction(event: dict[str, Any], body: dict[str, Any]) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message":
            return
        with sessions() as session:
            accepted = answers.accept_by_reaction(
                session, deps.now(), deps.links.message, event_id=body.get("event_id", ""),
                channel=item.get("channel", ""), message_ts=item.get("ts", ""), user_id=event.get("user", ""),
                reaction=event.get("reaction", ""))
        if accepted and not accepted.already:
            deps.settle(event.get("user", ""), accepted.answerer)

    @app.event("reaction_removed")
    def ignore_reaction_removed() -> None:
        """Un-reacting does not un-accept: acceptance already taught the library."""


def _is_thread_reply(event: dict[str, Any]) -> bool:
    return bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts") and bool(event.get("user"))

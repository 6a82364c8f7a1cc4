"""Drives the real Bolt app with signed Slack requests, as Slack would, and reads what it said."""

from __future__ import annotations

import itertools
import json
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy import select

from bot.run.build import build_app, build_outbox
from bot.run.console import ImmediateExecutor
from bot.experts import add_topics
from bot.importing import ContentRow
from bot.library import import_items
from bot.local.slack import Call, LocalSlack
from bot.local.payloads import (block_action, event_callback, message_shortcut, signed_headers, slash_command,
                          view_submission)
from bot.runtime import Runtime, web_client
from store.models import Question


class Harness:
    SECRET = "test-signing-secret"

    def __init__(self, runtime: Runtime, slack: LocalSlack) -> None:
        self.runtime, self.slack = runtime, slack
        client = web_client(runtime.settings)
        self.app = build_app(runtime, client=client, listener_executor=ImmediateExecutor())
        self.outbox = build_outbox(runtime, client)
        self._responses = itertools.count(1)

    # -- sending ----------------------------------------------------------------------------
    def dispatch(self, body: str, headers: dict[str, str] | None = None) -> BoltResponse:
        return self.app.dispatch(BoltRequest(body=body, headers=headers or signed_headers(body, self.SECRET)))

    def command(self, user: str, text: str, channel: str = "C0GENERAL") -> BoltResponse:
        url = self.slack.response_url(f"cmd{next(self._responses)}")
        return self.dispatch(slash_command(user, text, channel_id=channel, response_url=url))

    def click(self, user: str, button: dict[str, Any], channel: str = "C0GENERAL",
              message_ts: str | None = None) -> BoltResponse:
        url = self.slack.response_url(f"click{next(self._responses)}")
        return self.dispatch(block_action(user, button["action_id"], button["value"], channel_id=channel,
                                          message_ts=message_ts, response_url=url))

    def pick_user(self, user: str, action_id: str, block_id: str, picked: str, channel: str) -> BoltResponse:
        """Choose `picked` in a users_select menu of a message."""
        url = self.slack.response_url(f"pick{next(self._responses)}")
        return self.dispatch(block_action(user, action_id, "", channel_id=channel, block_id=block_id,
                                          selected_user=picked, response_url=url))

    def event(self, event: dict[str, Any], event_id: str | None = None) -> BoltResponse:
        return self.dispatch(event_callback(event, event_id=event_id))

    def submit(self, user: str, view: dict[str, Any], values: dict[str, str]) -> BoltResponse:
        """Submit a modal the bot opened (as returned in views.open) with `values` by block_id."""
        return self.dispatch(view_submission(user, view["callback_id"], values,
                                             private_metadata=view.get("private_metadata", "")))

    def shortcut(self, user: str, callback_id: str, channel: str, message: dict[str, Any]) -> BoltResponse:
        return self.dispatch(message_shortcut(user, callback_id, channel_id=channel, message=message))

    # -- reading ----------------------------------------------------------------------------
    def replies(self) -> list[Call]:
        """What went back to users through response_url, oldest first."""
        return self.slack.calls_to("response_url")

    def last_reply(self) -> Call:
        replies = self.replies()
        assert replies, f"no response_url reply; calls: {[c.method for c in self.slack.calls]}"
        return replies[-1]

    def posts(self, channel: str | None = None) -> list[Call]:
        return [c for c in self.slack.calls_to("chat.postMessage") if channel in (None, c.channel)]

    def questions(self) -> list[Question]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(Question).order_by(Question.id)))

    # -- arranging --------------------------------------------------------------------------
    def add_experts(self, **topics: str) -> None:
        """Declared expertise: `U0BOB="torque wrench, calibration"`."""
        now = self.runtime.clock.now()
        with self.runtime.sessions() as session:
            for user, text in topics.items():
                add_topics(session, user, [t.strip() for t in text.split(",")], now)
            session.commit()
        self.runtime.index.refresh(now)

    def add_items(self, *rows: tuple[str, str, str]) -> None:
        """Library items as (title, url, body)."""
        now = self.runtime.clock.now()
        with self.runtime.sessions() as session:
            import_items(session, [ContentRow(i, t, u or None, b, ()) for i, (t, u, b) in enumerate(rows)], now)
            session.commit()
        self.runtime.index.refresh(now)


def buttons(call: Call) -> list[dict[str, Any]]:
    """Every button in a message, in order, as {text, action_id, value}."""
    found = []
    for block in call.blocks:
        elements = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory") or {}]
        for element in elements:
            if element.get("type") == "button":
                found.append({"text": element["text"]["text"], "action_id": element["action_id"],
                              "value": element["value"]})
    return found


def button(call: Call, label: str) -> dict[str, Any]:
    matches = [b for b in buttons(call) if b["text"] == label]
    assert matches, f"no button {label!r} in {[b['text'] for b in buttons(call)]}"
    return matches[0]


def all_text(call: Call) -> str:
    """The fallback text and every text in the blocks, joined: what a user could read."""
    return call.text + "\n" + json.dumps(call.blocks, ensure_ascii=False)

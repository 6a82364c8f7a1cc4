"""Drives the real Bolt app with signed Slack requests, as Slack would, and reads what it said."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.clock import Clock
from bot.config import Settings
from bot.experts import add_topics
from bot.library import Draft, import_items
from bot.local.driver import Driver, ImmediateExecutor
from bot.local.slack import Call, LocalSlack
from bot.run.build import build
from store.models import Question, Team, TeamMember, TeamRole


class Harness(Driver):
    """A bot built from `settings` (a process of its own), driven with signed requests, plus readers
    of what it told the local Slack and helpers to arrange data."""

    def __init__(self, settings: Settings, slack: LocalSlack, clock: Clock | None = None) -> None:
        built = build(settings, clock=clock, signing_secret=self.SECRET, listener_executor=ImmediateExecutor())
        super().__init__(built.app, slack)
        self.runtime, self.outbox = built.runtime, built.outbox

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

    def add_team(self, name: str, *members: str, supervisor: str | None = None, parent: int | None = None) -> int:
        """A team with `members` (and its `supervisor`), as an import would make it; its id."""
        now = self.runtime.clock.now()
        with self.runtime.sessions() as session:
            team = Team(name=name, parent_id=parent, created_at=now)
            session.add(team)
            session.flush()
            for user in ((supervisor,) if supervisor else ()) + members:
                role = TeamRole.SUPERVISOR if user == supervisor else TeamRole.MEMBER
                session.add(TeamMember(team_id=team.id, user_id=user, role=role, created_at=now))
            session.commit()
            return team.id

    def add_items(self, *rows: tuple[str, str, str]) -> None:
        """Library items as (title, url, body)."""
        now = self.runtime.clock.now()
        with self.runtime.sessions() as session:
            import_items(session, [Draft(t, u or None, b) for t, u, b in rows], now)
            session.commit()
        self.runtime.index.refresh(now)


def block_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button in Block Kit blocks, in order, as {text, action_id, value}."""
    found = []
    for block in blocks:
        elements = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory") or {}]
        for element in elements:
            if element.get("type") == "button":
                found.append({"text": element["text"]["text"], "action_id": element["action_id"],
                              "value": element["value"]})
    return found


def buttons(call: Call) -> list[dict[str, Any]]:
    """Every button in a message the bot sent."""
    return block_buttons(call.blocks)


def button(call: Call, label: str) -> dict[str, Any]:
    matches = [b for b in buttons(call) if b["text"] == label]
    assert matches, f"no button {label!r} in {[b['text'] for b in buttons(call)]}"
    return matches[0]


def all_text(call: Call) -> str:
    """The fallback text and every text in the blocks, joined: what a user could read."""
    return call.text + "\n" + json.dumps(call.blocks, ensure_ascii=False)

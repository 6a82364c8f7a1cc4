"""Modals: reflections, and the "Save to learning library" message shortcut."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import asking, library, reflection
from bot.importing import ContentRow
from bot.search.database import split_tags
from handlers import blocks
from handlers.deps import Deps


def _value(view: dict[str, Any], block_id: str) -> str:
    return str(view["state"]["values"][block_id]["value"].get("value") or "").strip()


def register(app: App, deps: Deps) -> None:
    """Attach the modals and the message shortcut."""
    runtime = deps.runtime

    @app.view("reflection")
    def save_reflection(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = _value(view, "reflection")
        if not text:
            ack(response_action="errors", errors={"reflection": "A few words, please."})
            return
        try:
            with runtime.sessions() as session:
                reflection.save_reflection(session, deps.now(), question_id=int(view["private_metadata"]),
                                           user_id=body["user"]["id"], text=text)
        except asking.QuestionError as refusal:
            ack(response_action="errors", errors={"reflection": str(refusal)})
            return
        ack()

    @app.shortcut("save_to_library")
    def open_save(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        message = shortcut.get("message") or {}
        text = str(message.get("text") or "")
        first_line = text.strip().splitlines()[0] if text.strip() else "Saved from Slack"
        metadata = json.dumps({"channel": shortcut.get("channel", {}).get("id", ""), "ts": message.get("ts", "")})
        client.views_open(trigger_id=shortcut["trigger_id"],
                          view=blocks.save_modal(blocks.truncate(first_line, 150), text, metadata))

    @app.view("save_to_library")
    def save_item(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        title, content, tags = _value(view, "title"), _value(view, "body"), _value(view, "tags")
        if not title:
            ack(response_action="errors", errors={"title": "A title, please."})
            return
        ack()
        source = json.loads(view.get("private_metadata") or "{}")
        url = deps.links.message(source["channel"], source["ts"]) if source.get("ts") else None
        user_id = body["user"]["id"]
        row = ContentRow(0, title, url, content, split_tags(tags))
        with runtime.sessions() as session:
            item, outcome = library.upsert_item(session, row, deps.now(), source="shortcut", created_by=user_id)
            session.commit()
        deps.settle(user_id)
        client.chat_postMessage(channel=user_id, **blocks.notice(
            f"{'Saved' if outcome == 'added' else 'Updated'} {blocks.link(url, title)} in the learning library."))

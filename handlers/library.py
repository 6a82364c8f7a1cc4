"""The "Save to learning library" message shortcut and its modal."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import library
from bot.search.database import split_tags
from bot.slack_text import decode
from handlers import blocks, ids
from handlers.blocks import modal, plain_input
from handlers.deps import Deps
from handlers.settle import UNCHANGED, Returned, settles

Payload = dict[str, Any]


def save_modal(title: str, body: str, metadata: str) -> dict[str, Any]:
    return modal(ids.SAVE_TO_LIBRARY, "Save to library", "Save", [
        plain_input(ids.TITLE, "Title", initial=title, max_length=200),
        plain_input(ids.BODY, "Content", initial=body, multiline=True),
        plain_input(ids.TAGS, "Tags (comma-separated)", optional=True, max_length=500),
    ], metadata)


def open_save(ack: Ack, shortcut: Payload, client: WebClient) -> None:
    """The shortcut on a message: the modal, prefilled with the message."""
    ack()
    message = shortcut.get("message") or {}
    text = decode(str(message.get("text") or ""))
    first_line = text.strip().splitlines()[0] if text.strip() else "Saved from Slack"
    metadata = json.dumps({"channel": shortcut.get("channel", {}).get("id", ""), "ts": message.get("ts", "")})
    client.views_open(trigger_id=shortcut["trigger_id"],
                      view=save_modal(blocks.truncate(first_line, 150), text, metadata))


@settles
def save(ack: Ack, body: Payload, view: Payload, client: WebClient, deps: Deps) -> Returned:
    """The modal: the item joins the library (or updates the one with the same link)."""
    title, content, tags = (blocks.submitted(view, block) for block in (ids.TITLE, ids.BODY, ids.TAGS))
    if not title:
        ack(response_action="errors", errors={ids.TITLE: "A title, please."})
        return UNCHANGED
    ack()
    source = _source(view.get("private_metadata") or "")
    url = deps.links.message(*source) if source else None
    user_id = body["user"]["id"]
    with deps.runtime.sessions() as session:
        outcome = library.save_from_slack(session, library.Draft(title, url, content, split_tags(tags)), deps.now(),
                                          created_by=user_id)
    client.chat_postMessage(channel=user_id, **blocks.notice(
        f"{'Saved' if outcome == 'added' else 'Updated'} {blocks.link(url, title)} in the learning library."))
    return None


def _source(metadata: str) -> tuple[str, str] | None:
    """The (channel, ts) of the saved message, from the modal's metadata (None if it has none we can read)."""
    try:
        source = json.loads(metadata)
    except ValueError:
        return None
    channel, ts = (source.get("channel"), source.get("ts")) if isinstance(source, dict) else (None, None)
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) and ts else None


def register(app: App) -> None:
    app.shortcut(ids.SAVE_TO_LIBRARY)(open_save)
    app.view(ids.SAVE_TO_LIBRARY)(save)

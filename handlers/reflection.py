"""Reflections: the "Add a reflection" button and its one-line modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reflection
from handlers import blocks, ids
from handlers.blocks import modal, plain_input
from handlers.deps import Deps
from handlers.settle import refuses

Payload = dict[str, Any]


def reflection_modal(question_id: int) -> dict[str, Any]:
    return modal(ids.REFLECTION, "Reflection", "Save", [
        plain_input(ids.REFLECTION, "What did you learn?", max_length=500),
    ], str(question_id))


@refuses
def open_reflection(ack: Ack, action: Payload, body: Payload, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=reflection_modal(blocks.number(action.get("value"))))


@refuses(field=ids.REFLECTION)
def save(ack: Ack, body: Payload, view: Payload, deps: Deps) -> None:
    text = blocks.submitted(view, ids.REFLECTION)
    if not text:
        ack(response_action="errors", errors={ids.REFLECTION: "A few words, please."})
        return
    with deps.runtime.sessions() as session:
        reflection.save_reflection(session, deps.now(), question_id=blocks.number(view.get("private_metadata")),
                                   user_id=body["user"]["id"], text=text)
    ack()


def register(app: App) -> None:
    app.action(ids.OPEN_REFLECTION)(open_reflection)
    app.view(ids.REFLECTION)(save)

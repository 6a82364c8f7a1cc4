"""The App Home tab: published when opened, refreshed when something changes for that person."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import experts, home
from bot.refusal import Refusal
from handlers import blocks, home_blocks, ids
from handlers.deps import Deps
from handlers.settle import UNCHANGED, Returned, settles

Payload = dict[str, Any]


def on_open(event: Payload, deps: Deps) -> None:
    """Opening the Home tab redraws it."""
    if event.get("tab", "home") != "home":
        return
    with deps.runtime.sessions() as session:
        home.opened(session, event["user"], deps.now())
    deps.publish_home(event["user"])


def open_add(ack: Ack, body: Payload, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=home_blocks.add_topics_modal())


@settles
def add(ack: Ack, body: Payload, view: Payload, deps: Deps) -> Returned:
    """The "Add expertise" modal."""
    topics = experts.parse_topics(blocks.submitted(view, ids.TOPICS))
    if not topics:
        ack(response_action="errors", errors={ids.TOPICS: "At least one topic, please."})
        return UNCHANGED
    ack()
    with deps.runtime.sessions() as session:
        experts.declare_topics(session, body["user"]["id"], topics, deps.now())
    return None


@settles
def remove(ack: Ack, action: Payload, body: Payload, deps: Deps) -> None:
    ack()
    if not action.get("value"):
        raise Refusal(blocks.OUT_OF_DATE)
    with deps.runtime.sessions() as session:
        experts.remove_topics(session, body["user"]["id"], [action["value"]], deps.now())


def register(app: App) -> None:
    app.event("app_home_opened")(on_open)
    app.action(ids.HOME_ADD_TOPICS)(open_add)
    app.view(ids.HOME_ADD_TOPICS)(add)
    app.action(ids.HOME_REMOVE_TOPIC)(remove)

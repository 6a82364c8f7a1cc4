"""The App Home tab: published when opened, refreshed when something changes for that person."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import experts, home
from handlers import home_blocks
from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Attach the Home tab's event, buttons and modal."""
    runtime = deps.runtime

    @app.event("app_home_opened")
    def on_open(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        with runtime.sessions() as session:
            home.opened(session, event["user"], deps.now())
        deps.publish_home(event["user"])

    @app.action("home_add_topics")
    def open_add(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=home_blocks.add_topics_modal())

    @app.view("home_add_topics")
    def add(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        topics = experts.parse_topics(str(view["state"]["values"]["topics"]["value"].get("value") or ""))
        if not topics:
            ack(response_action="errors", errors={"topics": "At least one topic, please."})
            return
        ack()
        with runtime.sessions() as session:
            experts.add_topics(session, body["user"]["id"], topics, deps.now())
            session.commit()
        deps.settle(body["user"]["id"])

    @app.action("home_remove_topic")
    def remove(ack: Ack, action: dict[str, Any], body: dict[str, Any]) -> None:
        ack()
        with runtime.sessions() as session:
            experts.remove_topics(session, body["user"]["id"], [action["value"]], deps.now())
            session.commit()
        deps.settle(body["user"]["id"])

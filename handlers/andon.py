"""Andon card buttons (managers only), the resolve-with-content modal, and the asker's "I'm blocked"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import access, andon
from bot.refusal import Refusal
from handlers import andon_blocks, blocks
from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Attach the card's buttons and modal."""
    runtime = deps.runtime
    settings = runtime.settings

    def refuse(respond: Respond, refusal: Exception) -> None:
        respond(response_type="ephemeral", replace_original=False, **blocks.notice(str(refusal)))

    def managed(ack: Ack, body: dict[str, Any], respond: Respond, change: Any) -> None:
        """Ack, apply a manager's change to a card; anyone else gets a private refusal."""
        ack()
        try:
            with runtime.sessions() as session:
                change(session, body["user"]["id"])
        except Refusal as refusal:
            refuse(respond, refusal)
            return
        deps.settle(body["user"]["id"])

    @app.action("andon_ack")
    def acknowledge(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        managed(ack, body, respond, lambda session, user: andon.acknowledge(
            session, settings, deps.now(), card_id=int(action["value"]), user_id=user))

    @app.action("andon_assign")
    def assign(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        card_id = int(str(action.get("block_id", "andon:0")).split(":")[1])
        managed(ack, body, respond, lambda session, user: andon.assign(
            session, settings, deps.now(), card_id=card_id, user_id=user, assignee=action["selected_user"]))

    @app.action("andon_snooze")
    def snooze(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        card_id, _, period = str(action["value"]).partition(":")
        managed(ack, body, respond, lambda session, user: andon.snooze(
            session, settings, deps.now(), card_id=int(card_id), user_id=user, period=period))

    @app.action("andon_resolve")
    def open_resolve(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond,
                     client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        try:
            access.require_learning_manager(settings, user, "change andon cards")
        except Refusal as refusal:
            refuse(respond, refusal)
            return
        with runtime.sessions() as session:
            view = andon.card_view(session, settings, int(action["value"]))
        if view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=andon_blocks.resolve_modal(view.card.id,
                                                                                             view.card.label))

    @app.view("andon_resolve")
    def resolve(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        title = str(values["title"]["value"].get("value") or "").strip()
        url = str(values["url"]["value"].get("value") or "").strip() or None
        summary = str(values["summary"]["value"].get("value") or "").strip()
        if not title:
            ack(response_action="errors", errors={"title": "A title, please."})
            return
        if url and not url.lower().startswith(("http://", "https://")):
            ack(response_action="errors", errors={"url": "A link starting with https://, please."})
            return
        try:
            with runtime.sessions() as session:
                andon.resolve(session, settings, deps.now(), card_id=int(view["private_metadata"]),
                              user_id=body["user"]["id"], title=title, url=url, summary=summary)
        except Refusal as refusal:
            ack(response_action="errors", errors={"title": str(refusal)})
            return
        ack()
        deps.settle(body["user"]["id"])

    @app.action("pull_cord")
    def pull_cord(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            with runtime.sessions() as session:
                andon.pull_cord(session, settings, deps.now(), question_id=int(action["value"]),
                                user_id=body["user"]["id"])
        except Refusal as refusal:
            refuse(respond, refusal)
            return
        deps.settle(body["user"]["id"])
        respond(response_type="ephemeral", replace_original=False, **blocks.notice(
            "You pulled the cord: the learning managers can see your question now and will help unblock you."))

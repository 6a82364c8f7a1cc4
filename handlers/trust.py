"""Trusted content: "Flag as outdated" on offered items (and its modal), and the verifier's buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import trust
from bot.outbox import SlackCall
from bot.refusal import Refusal
from handlers import blocks, ids, trust_blocks
from handlers.deps import Deps
from handlers.rendering import Render, Rendering
from handlers.settle import refuses, settles

Payload = dict[str, Any]


@refuses
def open_flag(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """The button on an offered item: the modal asking what is out of date."""
    ack()
    item_id = blocks.number(action.get("value"))
    with deps.runtime.sessions() as session:
        item = trust.item_view(session, item_id, deps.now())
    if item is None:
        raise Refusal("That item is no longer in the library.")
    client.views_open(trigger_id=body["trigger_id"], view=trust_blocks.flag_modal(item.item_id, item.title))


@settles(field=ids.REASON)
def flag(ack: Ack, body: Payload, view: Payload, client: WebClient, deps: Deps) -> None:
    """The modal: the item is unverified at once and its verifiers are told why."""
    reason = blocks.submitted(view, ids.REASON)
    user_id = body["user"]["id"]
    with deps.runtime.sessions() as session:
        item = trust.flag_outdated(session, deps.runtime.settings, deps.now(),
                                   item_id=blocks.number(view.get("private_metadata")), user_id=user_id, reason=reason)
        title = item.title
    ack()
    client.chat_postMessage(channel=user_id, **trust_blocks.flagged_thanks(title))


@settles
def verify(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"Verify" on a verifier's DM: the item is verified again for its review interval."""
    ack()
    with deps.runtime.sessions() as session:
        item = trust.verify(session, deps.runtime.settings, deps.now(), item_id=blocks.number(action.get("value")),
                            user_id=body["user"]["id"])
        title, url = item.title, item.url
    respond(replace_original=False, **blocks.notice(f"Verified {blocks.link(url, title)}. Thank you!"))


def unverified(r: Rendering, session: Session, item_id: int, args: Payload) -> SlackCall | None:
    item = trust.item_view(session, item_id, r.clock.now())
    if item is None:
        return None
    return SlackCall("chat.postMessage", {"channel": args["user"], "unfurl_links": False,
                                          **trust_blocks.unverified_notice(item, args)})


RENDERERS: dict[str, Render] = {trust.ITEM_UNVERIFIED: unverified}


def register(app: App) -> None:
    app.action(ids.FLAG_OUTDATED)(open_flag)
    app.view(ids.FLAG_OUTDATED)(flag)
    app.action(ids.ITEM_VERIFY)(verify)

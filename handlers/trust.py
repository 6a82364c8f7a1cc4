"""Trusted content: "Flag as outdated" on offered items (and its modal), and the verifier's buttons."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import trust
from bot.library import Draft
from bot.outbox import SlackCall
from bot.refusal import Refusal
from bot.search.database import split_tags
from handlers import blocks, ids, trust_blocks
from handlers.deps import Deps
from handlers.rendering import Render, Rendering
from handlers.settle import UNCHANGED, Returned, refuses, settles

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


@refuses
def open_edit(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """"Edit" on the weekly review DM: the modal, for the item's verifier or a learning manager."""
    ack()
    item_id, user_id = blocks.number(action.get("value")), body["user"]["id"]
    with deps.runtime.sessions() as session:
        modal = trust_blocks.edit_modal(trust.item_to_edit(session, deps.runtime.settings, item_id=item_id,
                                                           user_id=user_id))
    client.views_open(trigger_id=body["trigger_id"], view=modal)


@settles(field=ids.TITLE)
def edit(ack: Ack, body: Payload, view: Payload, deps: Deps) -> Returned:
    """The Edit modal: new content and review interval; the verifier's edit verifies the item."""
    title, url, content, tags, days = (blocks.submitted(view, b) for b in (ids.TITLE, ids.URL, ids.BODY, ids.TAGS,
                                                                           ids.REVIEW_DAYS))
    errors = {**({} if title else {ids.TITLE: "A title, please."}),
              **({} if days.isdigit() and int(days) in trust.REVIEW_CHOICES else
                 {ids.REVIEW_DAYS: f"One of {', '.join(map(str, trust.REVIEW_CHOICES))}."}),
              **({} if not url or url.startswith(("http://", "https://")) else
                 {ids.URL: "A link starting with http:// or https://."})}
    picked = blocks.picked(view, ids.REVIEW_ON, "selected_date")
    if not errors:
        with deps.runtime.sessions() as session:
            trust.edit(session, deps.runtime.settings, deps.now(), item_id=blocks.number(view.get("private_metadata")),
                       user_id=body["user"]["id"], draft=Draft(title, url or None, content, split_tags(tags)),
                       review_days=int(days), review_on=date.fromisoformat(picked) if picked else None)
    ack(**({"response_action": "errors", "errors": errors} if errors else {}))
    return UNCHANGED if errors else None


@settles
def mark_obsolete(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"Mark obsolete": the item leaves search."""
    ack()
    with deps.runtime.sessions() as session:
        item = trust.mark_obsolete(session, deps.runtime.settings, deps.now(),
                                   item_id=blocks.number(action.get("value")), user_id=body["user"]["id"])
        title, url = item.title, item.url
    respond(replace_original=False, **blocks.notice(f"{blocks.link(url, title)} is obsolete: it no longer "
                                                    "answers questions."))


@settles
def reassign(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """The users menu in the block `review:<item id>`: another verifier."""
    ack()
    item_id = blocks.number(str(action.get("block_id", "")).partition(":")[2])
    if not action.get("selected_user"):
        raise Refusal(blocks.OUT_OF_DATE)
    with deps.runtime.sessions() as session:
        item = trust.reassign(session, deps.runtime.settings, deps.now(), item_id=item_id,
                              user_id=body["user"]["id"], owner_id=action["selected_user"])
        title, url = item.title, item.url
    respond(replace_original=False, **blocks.notice(
        f"{blocks.mention(action['selected_user'])} verifies {blocks.link(url, title)} now."))


@settles
def user_change(event: Payload, body: Payload, deps: Deps) -> Returned:
    """A Slack account changed; a deactivated one hands its items to the learning managers."""
    user = event.get("user") or {}
    if not user.get("deleted") or not isinstance(user.get("id"), str):
        return UNCHANGED
    with deps.runtime.sessions() as session:
        moved = trust.owner_left(session, deps.runtime.settings, deps.now(), event_id=body.get("event_id") or "",
                                 user_id=user["id"])
    return None if moved else UNCHANGED


def owner_left(_: Rendering, session: Session, _ref: int, args: Payload) -> SlackCall | None:
    return SlackCall("chat.postMessage", {"channel": args["user"],
                                          **trust_blocks.owner_left(args["left"], int(args["items"]))})


def archiving(r: Rendering, session: Session, _: int, args: Payload) -> SlackCall | None:
    items = trust.archiving(session, r.clock.now(), [int(i) for i in args["items"]])
    if not items:
        return None
    return SlackCall("chat.postMessage", {"channel": args["user"], "unfurl_links": False,
                                          **trust_blocks.archiving_notice(items, date.fromisoformat(args["on"]))})


def reviews_due(r: Rendering, session: Session, _: int, args: Payload) -> SlackCall | None:
    due = trust.reviews_for(session, r.settings, r.clock.now(), args["user"])
    if not due:
        return None
    return SlackCall("chat.postMessage", {"channel": args["user"], "unfurl_links": False,
                                          **trust_blocks.reviews_due(due)})


def unverified(r: Rendering, session: Session, item_id: int, args: Payload) -> SlackCall | None:
    item = trust.item_view(session, item_id, r.clock.now())
    if item is None:
        return None
    return SlackCall("chat.postMessage", {"channel": args["user"], "unfurl_links": False,
                                          **trust_blocks.unverified_notice(item, args)})


RENDERERS: dict[str, Render] = {trust.ITEM_UNVERIFIED: unverified, trust.REVIEWS_DUE: reviews_due,
                                trust.OWNER_LEFT: owner_left, trust.ARCHIVING: archiving}


def register(app: App) -> None:
    app.action(ids.FLAG_OUTDATED)(open_flag)
    app.view(ids.FLAG_OUTDATED)(flag)
    app.event("user_change")(user_change)
    app.action(ids.ITEM_VERIFY)(verify)
    app.action(ids.ITEM_EDIT)(open_edit)
    app.view(ids.ITEM_EDIT)(edit)
    app.action(ids.ITEM_OBSOLETE)(mark_obsolete)
    app.action(ids.ITEM_REASSIGN)(reassign)

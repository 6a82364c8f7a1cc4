"""Share requests: "Request to share with…" and its modal, the approvers' Approve / Decline (and its
modal), the drafted request's Send / Not now, and the DMs about a request (bot/sharing.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import access, sharing
from bot.outbox import SlackCall
from bot.sharing import RequestView
from handlers import blocks, ids
from handlers.deps import Deps
from handlers.rendering import Render, Rendering
from handlers.settle import UNCHANGED, Returned, refuses, settles
from handlers.sharing_blocks import (ORGANISATION_VALUE, approver_dm, decline_modal, drafted_dm, request_sent,
                                     requester_dm, share_modal)

Payload = dict[str, Any]


@refuses
def open_request(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """"Request to share with…" on an item: the modal, for its owner, its team's supervisors and managers."""
    ack()
    with deps.runtime.sessions() as session:
        item, targets = sharing.shareable(session, deps.runtime.settings, item_id=blocks.number(action.get("value")),
                                          user_id=body["user"]["id"])
        audience = sharing.audience_name(session, item.audience_id)
        view = share_modal(item.id, item.title, audience,
                           [(t.name, str(t.id)) if t else ("The whole organisation", ORGANISATION_VALUE)
                            for t in targets])
    client.views_open(trigger_id=body["trigger_id"], view=view)


@settles(field=ids.TARGET)
def request(ack: Ack, body: Payload, view: Payload, client: WebClient, deps: Deps) -> Returned:
    """The modal: the request goes to the target's approvers; the requester is told by when."""
    picked, user_id = blocks.chosen(view, ids.TARGET), body["user"]["id"]
    if picked is None:
        ack(response_action="errors", errors={ids.TARGET: "Choose where to share it."})
        return UNCHANGED
    target = None if picked == ORGANISATION_VALUE else blocks.number(picked)
    settings = deps.runtime.settings
    with deps.runtime.sessions() as session:
        made = sharing.request_share(session, settings, deps.now(), item_id=blocks.number(view.get("private_metadata")),
                                     user_id=user_id, target_id=target, note=blocks.submitted(view, ids.NOTE))
        shown = sharing.request_view(session, made.id)
        approvers = len(access.share_approvers(session, settings, made.target_id))
    ack()
    if shown is not None and shown.deadline is not None:
        client.chat_postMessage(channel=user_id, **request_sent(shown.title, shown.target, approvers,
                                                                shown.deadline.astimezone(settings.timezone)))
    return None


@settles
def approve(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> Returned:
    """"Approve" on an approver's DM: the item's audience widens at once."""
    ack()
    with deps.runtime.sessions() as session:
        done = sharing.approve(session, deps.runtime.settings, deps.now(),
                               request_id=blocks.number(action.get("value")), user_id=body["user"]["id"])
        shown, requester = sharing.request_view(session, done.id), done.requested_by
    if shown is not None:
        respond(replace_original=False, **blocks.notice(
            f"Approved: {blocks.link(shown.url, shown.title)} is visible to {blocks.escape(shown.target)} now."))
    return [requester]


@refuses
def open_decline(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """"Decline" on an approver's DM: the modal asking why."""
    ack()
    with deps.runtime.sessions() as session:
        pending = sharing.decidable(session, deps.runtime.settings, request_id=blocks.number(action.get("value")),
                                    user_id=body["user"]["id"])
        shown = sharing.request_view(session, pending.id)
    if shown is not None:
        client.views_open(trigger_id=body["trigger_id"],
                          view=decline_modal(shown.request_id, shown.title, shown.target))


@settles(field=ids.REASON)
def decline(ack: Ack, body: Payload, view: Payload, deps: Deps) -> Returned:
    """The decline modal: the reason (required) goes to the requester; the item keeps its audience."""
    with deps.runtime.sessions() as session:
        done = sharing.decline(session, deps.runtime.settings, deps.now(),
                               request_id=blocks.number(view.get("private_metadata")), user_id=body["user"]["id"],
                               reason=blocks.submitted(view, ids.REASON))
        requester = done.requested_by
    ack()
    return [requester]


def _draft_button(move: Callable[..., Any], said: str) -> Callable[..., Returned]:
    """A listener for a drafted request's button: `move` it, then tell the presser `said`."""
    @settles
    def pressed(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> Returned:
        ack()
        with deps.runtime.sessions() as session:
            move(session, deps.runtime.settings, deps.now(), request_id=blocks.number(action.get("value")),
                 user_id=body["user"]["id"])
        respond(replace_original=False, **blocks.notice(said))
        return None
    return pressed


send = _draft_button(sharing.send_draft, "Sent to the approvers. I'll tell you what they decide.")
not_now = _draft_button(sharing.not_now, "Put aside. I won't suggest sharing it again for a month.")


def _view(r: Rendering, session: Session, request_id: int) -> RequestView | None:
    """The request as its DMs show it, its deadline in the bot's time zone."""
    shown = sharing.request_view(session, request_id)
    if shown is None or shown.deadline is None:
        return shown
    return replace(shown, deadline=shown.deadline.astimezone(r.settings.timezone))


def _dm(build: Callable[[RequestView], Payload]) -> Render:
    """A renderer of a DM about a share request to `args["user"]`."""
    def render(r: Rendering, session: Session, request_id: int, args: Payload) -> SlackCall | None:
        shown = _view(r, session, request_id)
        return None if shown is None else SlackCall("chat.postMessage", {"channel": args["user"], **build(shown)})
    return render


BUILDERS: dict[str, Callable[[RequestView], Payload]] = {
    sharing.SHARE_ASK: approver_dm, sharing.SHARE_REMINDER: lambda view: approver_dm(view, reminder=True),
    sharing.SHARE_DRAFTED: drafted_dm, sharing.SHARE_DECIDED: requester_dm,
}


def closed(r: Rendering, session: Session, request_id: int, args: Payload) -> SlackCall | None:
    """An earlier DM about the request, updated to its state now (its buttons gone once decided)."""
    shown = _view(r, session, request_id)
    build = BUILDERS.get(str(args.get("purpose")))
    if shown is None or build is None:
        return None
    return SlackCall("chat.update", {"channel": args["channel"], "ts": args["ts"], **build(shown)})


RENDERERS: dict[str, Render] = {**{purpose: _dm(build) for purpose, build in BUILDERS.items()},
                                sharing.SHARE_CLOSED: closed}


def register(app: App) -> None:
    app.action(ids.SHARE_REQUEST)(open_request)
    app.view(ids.SHARE_REQUEST)(request)
    app.action(ids.SHARE_APPROVE)(approve)
    app.action(ids.SHARE_DECLINE)(open_decline)
    app.view(ids.SHARE_DECLINE)(decline)
    app.action(ids.SHARE_SEND)(send)
    app.action(ids.SHARE_NOT_NOW)(not_now)

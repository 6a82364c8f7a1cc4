"""Course planned: the card's "Plan a course" modal, the owner's "Content shipped", the DMs about a course."""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import learning_needs
from bot.learning_needs import Course
from bot.outbox import SlackCall
from handlers import andon_blocks, blocks, ids
from handlers.deps import Deps
from handlers.learning_needs_blocks import course_coming, course_owned, plan_modal
from handlers.rendering import Render, Rendering
from handlers.settle import UNCHANGED, Returned, refuses, settles

Payload = dict[str, Any]
FIELDS = {"need": ids.NEED, "owner": ids.OWNER, "due": ids.DUE}  # plan_errors' fields -> the modal's blocks


def _open(action: Payload, body: Payload, client: WebClient, deps: Deps, find: Callable[..., Any],
          build: Callable[[Any], Payload]) -> None:
    """Open the modal `build` makes for the card `find` lets the presser act on (or refuses)."""
    with deps.runtime.sessions() as session:
        card = find(session, deps.runtime.settings, card_id=blocks.number(action.get("value")), user_id=body["user"]["id"])
    client.views_open(trigger_id=body["trigger_id"], view=build(card))


@refuses
def open_plan(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """"Plan a course" on the card: the modal, for learning managers only."""
    ack()
    _open(action, body, client, deps, learning_needs.plannable,
          lambda card: plan_modal(card.id, card.label, card.assigned_to))


def _submitted_plan(view: Payload) -> dict[str, Any]:
    """The modal's need, owner and due date, as plan_course takes them (None where nothing was picked)."""
    due = blocks.picked(view, ids.DUE, "selected_date")
    return {"need": blocks.submitted(view, ids.NEED), "owner": blocks.picked(view, ids.OWNER, "selected_user"),
            "due": date.fromisoformat(due) if due else None}


@settles(field=ids.NEED)
def plan(ack: Ack, body: Payload, view: Payload, deps: Deps) -> Returned:
    """The modal: invalid fields are told under each; a plan moves the card and tells askers and owner."""
    settings, now, submitted = deps.runtime.settings, deps.now(), _submitted_plan(view)
    errors = learning_needs.plan_errors(settings, now, **submitted)
    if errors:
        ack(response_action="errors", errors={FIELDS[field]: text for field, text in errors.items()})
        return UNCHANGED
    with deps.runtime.sessions() as session:
        learning_needs.plan_course(session, settings, now, card_id=blocks.number(view.get("private_metadata")),
                                   user_id=body["user"]["id"], **submitted)
    ack()
    return None


@refuses
def open_shipped(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """"Content shipped" on the owner's DM: the resolve-with-content modal, for the owner or a manager."""
    ack()
    _open(action, body, client, deps, learning_needs.shippable,
          lambda card: andon_blocks.resolve_modal(card.id, card.label))


def _dm(build: Callable[[Course], Payload]) -> Render:
    """A renderer of a DM about a planned course to `args["user"]`."""
    def render(_: Rendering, session: Session, need_id: int, args: Payload) -> SlackCall | None:
        course = learning_needs.planned_course(session, need_id, args["user"])
        return None if course is None else SlackCall("chat.postMessage", {"channel": args["user"], **build(course)})
    return render


RENDERERS: dict[str, Render] = {learning_needs.COURSE_PLANNED: _dm(course_coming),
                                learning_needs.COURSE_OWNED: _dm(course_owned)}


def register(app: App) -> None:
    app.action(ids.ANDON_PLAN_COURSE)(open_plan)
    app.view(ids.ANDON_PLAN_COURSE)(plan)
    app.action(ids.COURSE_SHIPPED)(open_shipped)

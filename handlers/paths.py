"""Learning paths: the path modal (from `/learn path new`, App Home, a course owner's DM), My path,
Done and its reflection, "Start this path", and the DMs about paths."""

from __future__ import annotations

import functools
import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import learning_needs, paths, publishing
from bot.config import Settings
from bot.outbox import SlackCall
from bot.paths import PathDraft
from bot.refusal import Refusal
from handlers import blocks, ids
from handlers.blocks import MAX_OPTIONS, in_block
from handlers.deps import Deps
from handlers.paths_blocks import (assigned, finished, my_paths_reply, path_for_asker, path_modal, reflection_modal,
                                   started, team_note)
from handlers.publishing import competency_options
from handlers.rendering import Render, Rendering
from handlers.settle import UNCHANGED, Returned, refuses, settles

log = logging.getLogger(__name__)
Payload = dict[str, Any]
FIELDS = {"title": ids.TITLE, "competency": ids.PATH_COMPETENCY, "steps": ids.PATH_STEPS, "team": ids.PATH_TEAM,
          "due": ids.DUE}  # draft_errors' fields -> the modal's blocks


def new_path_modal(session: Session, settings: Settings, user_id: str, card_id: int | None = None) -> Payload:
    """The path modal for `user_id`: the teams they lead, L&D's competencies (past Slack's 100 options, menus
    searched as one types); for an andon card's course (its owner or a manager), titled by the need. Refuses
    who may not."""
    title, shown = "", MAX_OPTIONS + 1  # one more than a menu holds tells it is searched
    if card_id is None:
        led = paths.require_may_create(session, settings, user_id, limit=shown)
    else:
        learning_needs.shippable(session, settings, card_id=card_id, user_id=user_id)
        led, title = paths.leadable_teams(session, settings, user_id, limit=shown), paths.need_title(session, card_id)
    found = publishing.competencies(session, "", limit=shown)
    return path_modal([(t.id, t.name) for t in led], [(c.id, c.name) for c in found], card_id=card_id, title=title)


def _open(client: WebClient, deps: Deps, user_id: str, trigger_id: str, card_id: int | None = None) -> None:
    with deps.runtime.sessions() as session:
        view = new_path_modal(session, deps.runtime.settings, user_id, card_id)
    client.views_open(trigger_id=trigger_id, view=view)


def open_from_command(deps: Deps, user_id: str, trigger_id: str) -> Payload | None:
    """`/learn path new` (its lazy half, which starts with the ack: the trigger lasts 3 seconds): open the
    modal; a refusal's notice otherwise."""
    try:
        _open(deps.client, deps, user_id, trigger_id)
    except Refusal as refusal:
        return blocks.notice(str(refusal))
    return None


@refuses
def open_new(ack: Ack, body: Payload, client: WebClient, deps: Deps) -> None:
    """"New learning path" on App Home."""
    ack()
    _open(client, deps, body["user"]["id"], body["trigger_id"])


@refuses
def open_for_need(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """"Publish a path" on a course owner's DM: the modal for that card's course (owner or manager only)."""
    ack()
    _open(client, deps, body["user"]["id"], body["trigger_id"], blocks.number(action.get("value")))


# the path modal's team menu past MAX_OPTIONS teams: the teams the presser may create a path for
team_options = blocks.team_menu(functools.partial(paths.leadable_teams, limit=MAX_OPTIONS))


def _draft(view: Payload) -> PathDraft:
    """The submitted draft: a menu's pick, static or searched, is its option's value."""
    team, due = blocks.chosen(view, ids.PATH_TEAM), blocks.picked(view, ids.DUE, "selected_date")
    return PathDraft(blocks.submitted(view, ids.TITLE), blocks.chosen(view, ids.PATH_COMPETENCY),
                     blocks.submitted(view, ids.PATH_STEPS), blocks.number(team) if team else None,
                     date.fromisoformat(due) if due else None)


@settles(field=ids.PATH_STEPS)
def publish(ack: Ack, body: Payload, view: Payload, deps: Deps) -> Returned:
    """The modal: problems are told under each field; a path is published, assigned, and everyone told."""
    settings, now, user_id = deps.runtime.settings, deps.now(), body["user"]["id"]
    metadata = view.get("private_metadata")
    card_id = blocks.number(metadata) if metadata else None
    with deps.runtime.sessions() as session:
        draft = _draft(view)
        errors, _ = paths.draft_errors(session, settings, now, user_id, draft, for_card=card_id is not None)
        if errors:
            ack(response_action="errors", errors={FIELDS[field]: text for field, text in errors.items()})
            return UNCHANGED
        paths.publish(session, settings, now, user_id=user_id, draft=draft, card_id=card_id)
        people = paths.learners(session, draft.team_id) if draft.team_id else []
    ack()
    return people


def show_my_paths(deps: Deps, user_id: str) -> Payload:
    """`/learn path`: the person's paths."""
    with deps.runtime.sessions() as session:
        return my_paths_reply(paths.my_paths(session, user_id))


@settles
def done(ack: Ack, action: Payload, body: Payload, client: WebClient, respond: Respond, deps: Deps) -> Returned:
    """"Done" on a step: recorded once (only for the presser's own path), then the reflection modal."""
    ack()
    user_id = body["user"]["id"]
    with deps.runtime.sessions() as session:
        completed = paths.complete_step(session, deps.now(), user_id=user_id,
                                        step_id=blocks.number(action.get("value")))
        supervisors = paths.supervisors_of(session, user_id)
        container = body.get("container") or {}
        shown = paths.my_paths(session, user_id) if container.get("is_ephemeral") else [completed.path]  # or a DM
    if not completed.new:
        return UNCHANGED
    try:
        client.views_open(trigger_id=body["trigger_id"], view=reflection_modal(completed.step_id, completed.title))
    except SlackApiError as exc:  # the step is done all the same: show it so, without its reflection
        log.warning("could not open the reflection of %s: %s", user_id, exc.response.get("error"))
    if container.get("type") == "message" and body.get("response_url"):
        respond(replace_original=True, **my_paths_reply(shown))
    return supervisors


@settles(field=ids.PATH_REFLECT)
def reflected(ack: Ack, body: Payload, view: Payload, deps: Deps) -> Returned:
    """The reflection modal: kept with the presser's done step; their supervisors' Home shows it."""
    with deps.runtime.sessions() as session:
        supervisors = paths.reflect(session, deps.now(), user_id=body["user"]["id"],
                                    step_id=blocks.number(view.get("private_metadata")),
                                    text=blocks.submitted(view, ids.PATH_REFLECT))
    ack()
    return supervisors


@settles
def start(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> Returned:
    """"Start this path" on an asker's DM: the path joins their My path."""
    ack()
    user_id = body["user"]["id"]
    with deps.runtime.sessions() as session:
        new = paths.start(session, deps.now(), user_id=user_id, path_id=blocks.number(action.get("value")))
        mine = paths.my_paths(session, user_id)
    respond(response_type="ephemeral", replace_original=False, **started(new, mine))
    return None if new else UNCHANGED


# -- the outbox's messages -------------------------------------------------------------------------

def _assigned(_: Rendering, session: Session, path_id: int, args: Payload) -> SlackCall | None:
    path = paths.path_of(session, path_id, args["user"])
    by = paths.created_by(session, path_id)
    return None if path is None else SlackCall("chat.postMessage", {"channel": args["user"], **assigned(path, by)})


def _finished(_: Rendering, session: Session, path_id: int, args: Payload) -> SlackCall | None:
    path = paths.path_of(session, path_id, args["user"])
    return None if path is None else SlackCall("chat.postMessage", {"channel": args["user"], **finished(path)})


def _team_note(r: Rendering, session: Session, week: int, args: Payload) -> SlackCall | None:
    led = paths.led_progress(session, r.settings, args["user"], r.clock.now())
    label = f"{week // 100}-W{week % 100:02d}"
    return SlackCall("chat.postMessage", {"channel": args["user"], **team_note(label, led)}) if led else None


def _for_asker(_: Rendering, session: Session, need_id: int, args: Payload) -> SlackCall | None:
    course, path = paths.need_path(session, need_id, args["user"])
    if course is None or path is None:
        return None
    due = date.fromisoformat(args["due"]) if args.get("due") else None
    return SlackCall("chat.postMessage", {"channel": args["user"],
                                          **path_for_asker(course.question, path.title, len(path.steps), path.id, due)})


RENDERERS: dict[str, Render] = {paths.PATH_ASSIGNED: _assigned, paths.PATH_FINISHED: _finished,
                                paths.PATH_TEAM_NOTE: _team_note, paths.PATH_FOR_ASKER: _for_asker}


def register(app: App) -> None:
    app.action(ids.PATH_NEW)(open_new)
    app.view(ids.PATH_NEW)(publish)
    app.options(ids.INPUT, matchers=[in_block(ids.PATH_COMPETENCY)])(competency_options)
    app.options(ids.INPUT, matchers=[in_block(ids.PATH_TEAM)])(team_options)
    app.action(ids.PATH_FOR_NEED)(open_for_need)
    app.action(ids.PATH_DONE)(done)
    app.view(ids.PATH_REFLECT)(reflected)
    app.action(ids.PATH_START)(start)

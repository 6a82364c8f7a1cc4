"""Publishing for a team: `/learn publish` and the Home tab's "Publish for my team" open the modal; its
competency menu asks `app.options` as one types; the submission re-checks and publishes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import publishing, teams
from bot.publishing import Submitted
from bot.refusal import Refusal
from handlers import blocks, ids
from handlers.deps import Deps
from handlers.settle import UNCHANGED, Returned, refuses, settles
from handlers.blocks import in_block, option
from handlers.sharing_blocks import publish_modal, published

Payload = dict[str, Any]
FIELDS = {"title": ids.TITLE, "url": ids.URL, "summary": ids.SUMMARY, "competency": ids.COMPETENCY,
          "audience": ids.AUDIENCE}  # publish_errors' fields -> the modal's blocks
DM_ONLY = "Publishing opens a form: use `/learn publish` in a channel, or *Publish for my team* in my Home tab."


def _modal(deps: Deps, user_id: str) -> Payload:
    """The publish modal for `user_id`, their home team preselected; a Refusal if they cannot publish."""
    with deps.runtime.sessions() as session:
        form = publishing.publish_form(session, deps.runtime.settings, user_id)
        default = None if form.default is None else (form.default.id, form.default.name)
        return publish_modal([(team.id, team.name) for team in form.teams], default, searched=form.searched)


@refuses
def open_publish(ack: Ack, body: Payload, client: WebClient, deps: Deps) -> None:
    """"Publish for my team" on the Home tab."""
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=_modal(deps, body["user"]["id"]))


def publish_command(deps: Deps, user_id: str, trigger_id: str | None) -> dict[str, Any] | None:
    """`/learn publish`: opens the modal (returns None), or says why not (a message for the reply)."""
    if not trigger_id:
        return blocks.notice(DM_ONLY)
    try:
        view = _modal(deps, user_id)
    except Refusal as refusal:
        return blocks.notice(str(refusal))
    deps.client.views_open(trigger_id=trigger_id, view=view)
    return None


def competency_options(ack: Ack, payload: Payload, deps: Deps) -> None:
    """The competency menu, as one types: matching competencies of L&D's framework (at most 100)."""
    with deps.runtime.sessions() as session:
        found = publishing.competencies(session, blocks.typed(payload))
        ack(options=[option(c.name, c.id) for c in found])


# the team menu of a learning manager (or of someone with many teams): the teams they may publish for
team_options = blocks.team_menu(publishing.publishable_teams)


def _submitted(view: Payload) -> Submitted:
    audience = blocks.chosen(view, ids.AUDIENCE)
    return Submitted(blocks.submitted(view, ids.TITLE), blocks.submitted(view, ids.URL),
                     blocks.submitted(view, ids.SUMMARY), blocks.chosen(view, ids.COMPETENCY),
                     blocks.number(audience) if audience else None)


@settles(field=ids.TITLE)
def publish(ack: Ack, body: Payload, view: Payload, client: WebClient, deps: Deps) -> Returned:
    """The modal: invalid fields are told under each; the item goes live for the team; the publisher is told."""
    form, user_id = _submitted(view), body["user"]["id"]
    with deps.runtime.sessions() as session:
        errors = publishing.publish_errors(session, form)
        if errors:
            ack(response_action="errors", errors={FIELDS[field]: text for field, text in errors.items()})
            return UNCHANGED
        item = publishing.publish(session, deps.runtime.settings, deps.now(), user_id=user_id, form=form)
        team = teams.team_names(session, [item.audience_id]).get(item.audience_id or 0, "your team")
        confirmation = published(item.title, item.url, team, publishing.competency_name(session, item.competency_id))
    ack()
    client.chat_postMessage(channel=user_id, **confirmation)
    return None


def register(app: App) -> None:
    app.action(ids.PUBLISH)(open_publish)
    app.view(ids.PUBLISH)(publish)
    app.options(ids.INPUT, matchers=[in_block(ids.COMPETENCY)])(competency_options)
    app.options(ids.INPUT, matchers=[in_block(ids.AUDIENCE)])(team_options)

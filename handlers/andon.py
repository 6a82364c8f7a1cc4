"""Andon: the card's buttons (managers; the assignee may resolve), the resolve-with-content modal, the
asker's "I'm blocked" and their "Did this help?" on the resolution."""

from __future__ import annotations

from typing import Any, Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import andon, asking, trust
from bot.refusal import Refusal
from bot.outbox import OnSent, SlackCall
from handlers import andon_blocks, blocks, ids, questions
from handlers.deps import Deps
from handlers.rendering import NotYet, Render, Rendering
from handlers.settle import UNCHANGED, Returned, refuses, settles

Payload = dict[str, Any]


@settles
def acknowledge(ack: Ack, action: Payload, body: Payload, deps: Deps) -> None:
    ack()
    with deps.runtime.sessions() as session:
        andon.acknowledge(session, deps.runtime.settings, deps.now(), card_id=blocks.number(action.get("value")),
                          user_id=body["user"]["id"])


@settles
def assign(ack: Ack, action: Payload, body: Payload, deps: Deps) -> None:
    """The users menu sits in the block `andon:<card id>`."""
    ack()
    card_id = blocks.number(str(action.get("block_id", "")).partition(":")[2])
    if not action.get("selected_user"):
        raise Refusal(blocks.OUT_OF_DATE)
    with deps.runtime.sessions() as session:
        andon.assign(session, deps.runtime.settings, deps.now(), card_id=card_id, user_id=body["user"]["id"],
                     assignee=action["selected_user"])


@settles
def snooze(ack: Ack, action: Payload, body: Payload, deps: Deps) -> None:
    ack()
    card_id, _, period = str(action.get("value", "")).partition(":")
    with deps.runtime.sessions() as session:
        andon.snooze(session, deps.runtime.settings, deps.now(), card_id=blocks.number(card_id),
                     user_id=body["user"]["id"], period=period)


@refuses
def open_resolve(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """Open the resolve modal, for managers and the card's assignee (the card or the assignee's DM)."""
    ack()
    with deps.runtime.sessions() as session:
        card = andon.card_to_resolve(session, deps.runtime.settings, card_id=blocks.number(action.get("value")),
                                     user_id=body["user"]["id"])
        modal = andon_blocks.resolve_modal(card.id, card.label)
    client.views_open(trigger_id=body["trigger_id"], view=modal)


@settles(field=ids.TITLE)
def resolve(ack: Ack, body: Payload, view: Payload, deps: Deps) -> Returned:
    """The resolve modal: the content joins the library and every asker gets it."""
    title, summary = blocks.submitted(view, ids.TITLE), blocks.submitted(view, ids.SUMMARY)
    url = blocks.submitted(view, ids.URL) or None
    if not title:
        ack(response_action="errors", errors={ids.TITLE: "A title, please."})
        return UNCHANGED
    if url and not url.lower().startswith(("http://", "https://")):
        ack(response_action="errors", errors={ids.URL: "A link starting with https://, please."})
        return UNCHANGED
    with deps.runtime.sessions() as session:
        andon.resolve(session, deps.runtime.settings, deps.now(), card_id=blocks.number(view.get("private_metadata")),
                      user_id=body["user"]["id"], title=title, url=url, summary=summary)
    ack()
    return None


@settles
def pull_cord(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"I'm blocked": the asker's question goes to the learning managers now."""
    ack()
    with deps.runtime.sessions() as session:
        andon.pull_cord(session, deps.runtime.settings, deps.now(), question_id=blocks.number(action.get("value")),
                        user_id=body["user"]["id"])
    respond(response_type="ephemeral", replace_original=False, **blocks.notice(
        "You pulled the cord: the learning managers can see your question now and will help unblock you."))


def _verdict(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps,
             record: Callable[..., object], reply: str) -> None:
    """The asker's verdict on the content that resolved their card (the button's value is the card id)."""
    ack()
    with deps.runtime.sessions() as session:
        record(session, deps.now(), card_id=blocks.number(action.get("value")), user_id=body["user"]["id"])
    respond(response_type="ephemeral", replace_original=False, **blocks.notice(reply))


@settles
def helped(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"Yes, it helped" in the asker's resolution DM: the content learns their question."""
    _verdict(ack, action, body, respond, deps, andon.helped,
             "Glad it helped! The next person with this question will find it in the library.")


@settles
def not_helped(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"No, it didn't help": the asker's question goes back on the card, and the managers are paged."""
    _verdict(ack, action, body, respond, deps, andon.reopen,
             "Sorry it didn't help. Your question is back on the learning team's card: they can see it now "
             "and will follow up.")


def card(r: Rendering, session: Session, card_id: int, _args: Payload) -> SlackCall | None:
    view = andon.card_view(session, r.settings, card_id)
    if view is None or not r.settings.andon_channel:
        return None
    return SlackCall("chat.postMessage", {"channel": r.settings.andon_channel, "unfurl_links": False,
                                          **andon_blocks.card(view, r.clock.now(), r.links.message)})


def _posted(r: Rendering, session: Session, card_id: int) -> andon.CardView | None:
    """The card's view, once its post exists (NotYet before: updates wait for the post)."""
    view = andon.card_view(session, r.settings, card_id)
    if view is None or not r.settings.andon_channel:
        return None
    if not view.card.message_ts:
        raise NotYet(f"andon card {card_id} is not posted yet")
    return view


def card_update(r: Rendering, session: Session, card_id: int, _args: Payload) -> SlackCall | None:
    view = _posted(r, session, card_id)
    return None if view is None else SlackCall("chat.update", {
        "channel": view.card.channel, "ts": view.card.message_ts,
        **andon_blocks.card(view, r.clock.now(), r.links.message)})


def thread_note(r: Rendering, session: Session, card_id: int, args: Payload) -> SlackCall | None:
    view = _posted(r, session, card_id)
    question = asking.question_thread(session, int(args["question_id"])) if "question_id" in args else None
    return None if view is None else SlackCall("chat.postMessage", {
        "channel": view.card.channel, "thread_ts": view.card.message_ts,
        **andon_blocks.thread_note(view, args["kind"], question.text if question else None)})


def assigned(r: Rendering, session: Session, card_id: int, args: Payload) -> SlackCall | None:
    view = andon.card_view(session, r.settings, card_id)
    return None if view is None else SlackCall("chat.postMessage",
                                               {"channel": args["user"], **andon_blocks.assigned(view)})


def resolved(r: Rendering, session: Session, card_id: int, args: Payload) -> SlackCall | None:
    done = andon.resolution(session, card_id, args["user"])
    if done is None:
        return None
    item = trust.item_view(session, done.item_id, r.clock.now())
    return SlackCall("chat.postMessage", {"channel": args["user"], **andon_blocks.resolved_notice(
        done, item.trust if item else None)})


RENDERERS: dict[str, Render] = {andon.ANDON_CARD: card, andon.ANDON_UPDATE: card_update,
                                andon.ANDON_THREAD: thread_note, andon.ANDON_ASSIGNED: assigned,
                                andon.ANDON_RESOLVED: resolved, andon.ANDON_POST_CLOSED: questions.post_update}
ON_SENT: dict[str, OnSent] = {andon.ANDON_CARD: andon.record_post}


def register(app: App) -> None:
    app.action(ids.ANDON_ACK)(acknowledge)
    app.action(ids.ANDON_ASSIGN)(assign)
    app.action(ids.ANDON_SNOOZE_DAY)(snooze)
    app.action(ids.ANDON_SNOOZE_WEEK)(snooze)
    app.action(ids.ANDON_RESOLVE)(open_resolve)
    app.view(ids.ANDON_RESOLVE)(resolve)
    app.action(ids.PULL_CORD)(pull_cord)
    app.action(ids.ANDON_HELPED)(helped)
    app.action(ids.ANDON_NOT_HELPED)(not_helped)

"""A question's own buttons ("This answered it", "Ask a colleague") and its help-channel post."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import access, asking, routing
from bot.outbox import OnSent, SlackCall
from handlers import ids, question_blocks
from handlers.deps import Deps
from handlers.rendering import NotYet, Render, Rendering
from handlers.settle import settles

Payload = dict[str, Any]


def pressed(ack: Ack, action: Payload, body: Payload) -> tuple[int, int | None, str]:
    """Ack a button on a question's message: (question id, second id, who pressed). Out of date: Refusal."""
    ack()
    question_id, second = question_blocks.question_ids(action.get("value", ""))
    return question_id, second, body["user"]["id"]


@settles
def item_answered(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """The asker says an offered item (or past thread) answered the question."""
    question_id, item_id, user_id = pressed(ack, action, body)
    with deps.runtime.sessions() as session:
        title = asking.accept_item(session, deps.now(), question_id=question_id, user_id=user_id, item_id=item_id)
    respond(replace_original=True, **question_blocks.feedback_thanks(title))


@settles
def ask_colleague(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """The asker wants a person after all: route the question (the top offer did not answer it)."""
    question_id, rejected, user_id = pressed(ack, action, body)
    rt = deps.runtime
    with rt.sessions() as session:
        outcome = asking.ask_colleague(session, rt.index, rt.settings, deps.now(), question_id=question_id,
                                       user_id=user_id, rejected_item=rejected)
    respond(replace_original=True, **question_blocks.routed(outcome))


def question_post(_: Rendering, session: Session, question_id: int, _args: Payload) -> SlackCall | None:
    view = asking.post_view(session, question_id)
    if view is None or not view.channel:
        return None
    return SlackCall("chat.postMessage", {"channel": view.channel, "unfurl_links": False,
                                          **question_blocks.question_post(view)})


def post_update(_: Rendering, session: Session, question_id: int, _args: Payload) -> SlackCall | None:
    view = asking.post_view(session, question_id)
    thread = asking.question_thread(session, question_id)
    if view is None or thread is None or not thread.thread_ts or not view.channel:
        return None
    return SlackCall("chat.update", {"channel": view.channel, "ts": thread.thread_ts,
                                     **question_blocks.question_post(view)})


def expert_page(r: Rendering, session: Session, question_id: int, args: Payload) -> SlackCall | None:
    view = asking.post_view(session, question_id)
    thread = asking.question_thread(session, question_id)
    if view is None or thread is None or not view.channel or view.resolved:
        return None
    if not thread.thread_ts:
        raise NotYet(f"question {question_id} is not posted yet")
    return SlackCall("chat.postMessage", {"channel": args["user"], "unfurl_links": False, **question_blocks.expert_page(
        view, r.links.message(view.channel, thread.thread_ts))})


def post_failed(r: Rendering, session: Session, question_id: int, _args: Payload) -> SlackCall | None:
    thread = asking.question_thread(session, question_id)
    if thread is None or not thread.channel:
        return None
    return SlackCall("chat.postMessage", {"channel": thread.asker, **question_blocks.post_failed(
        thread.text, thread.channel, bool(access.learning_managers(session, r.settings)))})


def post_failed_manager(_: Rendering, session: Session, question_id: int, args: Payload) -> SlackCall | None:
    view = asking.post_view(session, question_id)
    return None if view is None else SlackCall("chat.postMessage", {
        "channel": args["user"], **question_blocks.post_failed_manager(view, args["error"])})


RENDERERS: dict[str, Render] = {asking.QUESTION_POST: question_post, asking.POST_UPDATE: post_update,
                                routing.EXPERT_PAGE: expert_page, asking.POST_FAILED: post_failed,
                                asking.POST_FAILED_MANAGER: post_failed_manager}
ON_SENT: dict[str, OnSent] = {asking.QUESTION_POST: asking.record_post}
ON_FAILED = {asking.QUESTION_POST: asking.post_failed}  # bound to the settings in outbox_messages


def register(app: App) -> None:
    app.action(ids.ITEM_ANSWERED)(item_answered)
    app.action(ids.ASK_COLLEAGUE)(ask_colleague)

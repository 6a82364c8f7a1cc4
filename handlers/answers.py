"""Answers: thread replies (and their edits and deletions), ✅ reactions, the post's and the notice's buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import answers, asking
from bot.outbox import SlackCall
from bot.slack_text import decode
from bot.wording import plural
from handlers import blocks, ids, question_blocks
from handlers.deps import Deps
from handlers.questions import pressed
from handlers.rendering import NotYet, Render, Rendering
from handlers.settle import UNCHANGED, Returned, settles

Payload = dict[str, Any]
IGNORED_SUBTYPES = {"bot_message", "channel_join", "channel_leave", "group_join", "group_leave",
                    "channel_topic", "channel_purpose", "channel_name", "thread_broadcast_removed"}


@settles
def on_message(event: Payload, body: Payload, deps: Deps) -> Returned:
    """A reply in a question's thread is an answer; its edit or deletion follows it."""
    subtype, event_id, channel = event.get("subtype"), body.get("event_id") or "", event["channel"]
    with deps.runtime.sessions() as session:
        if subtype == "message_changed":
            edited = event.get("message") or {}
            changed = answers.edit_reply(session, deps.now(), event_id=event_id, channel=channel,
                                         message_ts=edited.get("ts") or "", text=decode(edited.get("text") or ""))
        elif subtype == "message_deleted":
            changed = answers.delete_reply(session, deps.now(), event_id=event_id, channel=channel,
                                           message_ts=event.get("deleted_ts") or "")
        elif subtype in IGNORED_SUBTYPES or event.get("bot_id") or not _is_thread_reply(event):
            return UNCHANGED
        else:
            changed = answers.record_reply(
                session, deps.now(), event_id=event_id, channel=channel, thread_ts=event["thread_ts"],
                message_ts=event["ts"], user_id=event["user"], text=decode(event.get("text") or "")) is not None
    return None if changed else UNCHANGED


def _is_thread_reply(event: Payload) -> bool:
    return bool(event.get("thread_ts") and event.get("ts") and event.get("user")) and event["thread_ts"] != event["ts"]


@settles
def on_reaction(event: Payload, body: Payload, deps: Deps) -> Returned:
    """The asker's ✅ on a reply accepts it; the answerer's Home changes too."""
    item = event.get("item") or {}
    if item.get("type") != "message":
        return UNCHANGED
    with deps.runtime.sessions() as session:
        accepted = answers.accept_by_reaction(
            session, deps.now(), deps.links.message, event_id=body.get("event_id", ""),
            channel=item.get("channel", ""), message_ts=item.get("ts", ""), user_id=event.get("user", ""),
            reaction=event.get("reaction", ""))
    return [accepted.answerer] if accepted and not accepted.already else UNCHANGED


def ignore_reaction_removed() -> None:
    """Un-reacting does not un-accept: acceptance already taught the library."""


def _ephemeral(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, **blocks.notice(text))


@settles
def claim(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"I'll take it" on the help-channel post."""
    question_id, _, user_id = pressed(ack, action, body)
    with deps.runtime.sessions() as session:
        holder = answers.claim(session, deps.now(), question_id=question_id, user_id=user_id)
    _ephemeral(respond, "Thanks for taking it! Reply in the thread when you have an answer." if holder == user_id
               else f"{blocks.mention(holder)} is already on it, but your answer is welcome in the thread too.")


@settles
def decline(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"Not my area" on the help-channel post: someone else is asked."""
    question_id, _, user_id = pressed(ack, action, body)
    with deps.runtime.sessions() as session:
        declined = answers.decline(session, deps.runtime.index, deps.runtime.settings, deps.now(),
                                   question_id=question_id, user_id=user_id)
    if declined.pinged:
        text = f"Thanks, I've asked {', '.join(map(blocks.mention, declined.pinged))} instead"
    elif declined.open:
        text = ("Thanks. No one else I know of matches this question, so I've asked the thread; "
                "if it stays unanswered, the learning managers will see it")
    else:
        text = "Thanks"
    _ephemeral(respond, f"{text}. I'll send you fewer questions like this one.")


@settles
def accept(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"Accept answer" in the asker's notice."""
    question_id, answer_id, user_id = pressed(ack, action, body)
    with deps.runtime.sessions() as session:
        accepted = answers.accept(session, deps.now(), deps.links.message, question_id=question_id,
                                  user_id=user_id, answer_id=answer_id)
    respond(replace_original=True, **blocks.notice(
        f"You accepted {blocks.mention(accepted.answerer)}'s answer. It's in the library now, "
        "so the next person with this question gets it at once."))


@settles
def still_stuck(ack: Ack, action: Payload, body: Payload, respond: Respond, deps: Deps) -> None:
    """"Still stuck" in the asker's notice: more colleagues are asked in the thread, the managers see it."""
    question_id, _, user_id = pressed(ack, action, body)
    settings = deps.runtime.settings
    with deps.runtime.sessions() as session:
        pinged = answers.still_stuck(session, deps.runtime.index, settings, deps.now(), question_id=question_id,
                                     user_id=user_id)
    asked = f"I've asked {plural(len(pinged), 'more colleague')} in the thread" if pinged else \
        "I've told the thread you're still stuck"
    _ephemeral(respond, asked + (", and the learning managers can see your question now."
                                 if settings.andon_channel else "."))


def answer_notice(r: Rendering, session: Session, question_id: int, args: Payload) -> SlackCall | None:
    question = asking.question_thread(session, question_id)
    answer = answers.answer_view(session, int(args["answer_id"]))
    if question is None or answer is None or not question.channel or not question.thread_ts:
        return None
    thread = r.links.message(question.channel, answer.message_ts, question.thread_ts)
    payload = question_blocks.answer_notice(question.question_id, question.text, answer.answer_id, answer.answerer,
                                            question.channel, thread)
    return SlackCall("chat.postMessage", {"channel": question.asker, **payload})


def thread_ping(_: Rendering, session: Session, question_id: int, args: Payload) -> SlackCall | None:
    question = asking.question_thread(session, question_id)
    if question is None or not question.channel:
        return None
    if not question.thread_ts:
        raise NotYet(f"question {question_id} is not posted yet")
    return SlackCall("chat.postMessage", {"channel": question.channel, "thread_ts": question.thread_ts,
                                          **question_blocks.thread_ping(args["reason"], args["users"])})


def reflect_invite(_: Rendering, session: Session, question_id: int, args: Payload) -> SlackCall | None:
    question = asking.question_thread(session, question_id)
    if question is None:
        return None
    return SlackCall("chat.postMessage", {"channel": args["user"], **question_blocks.reflect_invite(
        question.question_id, question.text, args["role"])})


RENDERERS: dict[str, Render] = {answers.ANSWER_NOTICE: answer_notice, answers.THREAD_PING: thread_ping,
                                answers.REFLECT_INVITE: reflect_invite}


def register(app: App) -> None:
    app.event("message")(on_message)
    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(ignore_reaction_removed)
    app.action(ids.CLAIM_QUESTION)(claim)
    app.action(ids.DECLINE_QUESTION)(decline)
    app.action(ids.ACCEPT_ANSWER)(accept)
    app.action(ids.STILL_STUCK)(still_stuck)

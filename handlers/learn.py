"""`/learn`, and a DM to the bot read the same way: parse, ack within 3 seconds, then answer.

A question is stored before the ack (a fast insert keyed by the request) and answered in the lazy
listener. The private answer goes through `response_url` (or the DM); if that fails, it goes again
as a DM through the outbox, so the asker always gets it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from rapidfuzz import fuzz, process
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookResponse
from sqlalchemy.orm import Session

from bot import asking, digest, experts
from bot.idempotency import claim
from bot.outbox import SlackCall
from bot.search.text import content_terms
from bot.slack_text import decode
from bot.wording import plural
from handlers import blocks, ids, paths, publishing, question_blocks
from handlers.deps import Deps
from handlers.errors import reply_on_failure
from handlers.rendering import Render, Rendering
from handlers.settle import UNCHANGED, Returned, settles

Command = dict[str, Any]
Payload = dict[str, Any]
Reply = Callable[[Payload], bool]  # sends a private answer; False when it did not arrive
QUESTIONS = ("ask", "anon")
USAGE_WORDS = ("help", "-h", "--help", "?")
EXPERT_ACTIONS = ("add", "remove", "list")
_UNTIL = re.compile(r"\d+\s*[smhdw]|\d{4}-\d{2}-\d{2}", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """A `/learn` text: `kind` is ask, anon, expert, away, digest, path, path_new, usage, hint, suggest,
    too_long or junk."""

    kind: str
    text: str = ""
    action: str = ""


def _expert_args(rest: str) -> tuple[str, str] | None:
    action, _, topics = rest.partition(" ")
    action = action.lower()
    return (action, topics) if action in EXPERT_ACTIONS and (topics or action == "list") else None


# The subcommands a mistyped first word may have meant, each with the arguments it accepts.
# `anon` is not one: it takes any question, so a question starting with a similar word is a question.
GRAMMARS: dict[str, Callable[[str], bool]] = {
    "expert": lambda rest: _expert_args(rest) is not None,
    "digest": lambda rest: rest.lower() in ("on", "off"),
    "away": lambda rest: not rest or bool(_UNTIL.fullmatch(rest)),
    "back": lambda rest: not rest,
    "help": lambda rest: not rest,
    "path": lambda rest: rest.lower() in ("", "new"),
    "publish": lambda rest: not rest,
}
SUGGEST_CUTOFF = 75


def parse(text: str) -> Parsed:
    """Split Slack's `/learn` (or DM) text, decoded to plain text, into a subcommand and its argument."""
    text = decode(text)
    text = " ".join(text.split()) if len(text) < 20000 else text.strip()
    word, _, rest = text.partition(" ")
    word = word.lower()
    if not text or (word in USAGE_WORDS and not rest):
        return Parsed("usage")
    if word == "digest" and rest.lower() in ("on", "off"):
        return Parsed("digest", action=rest.lower())
    if word == "digest" and not rest:
        return Parsed("hint", question_blocks.DIGEST_HINT)
    if word in ("away", "back"):
        return Parsed("away", rest if word == "away" else "", word)
    if word == "path" and rest.lower() in ("", "new"):
        return Parsed("path_new" if rest else "path")
    if word == "publish" and not rest:
        return Parsed("publish")
    if word == "expert":
        args = _expert_args(rest)
        return Parsed("expert", args[1], args[0]) if args else Parsed("hint", question_blocks.EXPERT_HINT)
    suggestion = process.extractOne(word, list(GRAMMARS), scorer=fuzz.ratio, score_cutoff=SUGGEST_CUTOFF)
    if suggestion and GRAMMARS[suggestion[0]](rest):
        return Parsed("suggest", " ".join(filter(None, [suggestion[0], rest])))
    kind, question = ("anon", rest) if word == "anon" else ("ask", text)
    if not question:
        return Parsed("usage")
    if len(question) > asking.MAX_QUESTION_CHARS:
        return Parsed("too_long", question)
    if not content_terms(question):
        return Parsed("junk", question)
    return Parsed(kind, question)


def instant(parsed: Parsed) -> Payload | None:
    """The answer that needs no database (usage, hints, limits), or None."""
    if parsed.kind == "usage":
        return question_blocks.usage()
    if parsed.kind == "hint":
        return question_blocks.hint(parsed.text)
    if parsed.kind == "suggest":
        return question_blocks.did_you_mean(parsed.text)
    if parsed.kind == "too_long":
        return question_blocks.too_long(len(parsed.text))
    if parsed.kind == "junk":
        return question_blocks.junk()
    return None


@dataclass(frozen=True)
class Request:
    """Who asked, from where (`channel_id`: None for a DM) and how the private answer reaches them."""

    user_id: str
    channel_id: str | None
    request_id: str
    reply: Reply
    trigger_id: str | None = None  # a slash command's, to open a modal; None in a DM


def ack_learn(ack: Ack, command: Command, respond: Respond, deps: Deps) -> None:
    """Within 3 seconds: usage and limits in the ack itself; a question is stored first, then acked; a
    form opens in the lazy half, which starts at once (its trigger lasts 3 seconds)."""
    parsed = parse(command.get("text", ""))
    if parsed.kind in QUESTIONS:
        _store(deps, parsed, _slash_request(command, _responder(respond)))
    ack(**(instant(parsed) or {}))


@reply_on_failure
@settles
def answer_learn(command: Command, respond: Respond, deps: Deps) -> Returned:
    """The lazy half: run the subcommand."""
    return _run(deps, parse(command.get("text", "")), _slash_request(command, _responder(respond)))


@settles
def on_dm(event: Payload, body: Payload, client: WebClient, deps: Deps) -> Returned:
    """A DM to the bot is `/learn <text>`; the answer goes back to the DM. Once per event."""
    user_id = event.get("user")
    if event.get("subtype") or event.get("bot_id") or not user_id:
        return UNCHANGED
    with deps.runtime.sessions() as session:
        if not claim(session, body.get("event_id", ""), deps.now()):
            return UNCHANGED
    parsed = parse(event.get("text", ""))
    request = Request(user_id, None, f"dm:{event.get('channel')}:{event.get('ts')}", _poster(client, user_id))
    said = instant(parsed)
    if said is not None:
        request.reply(said)
        return UNCHANGED
    return _run(deps, parsed, request)


def _run(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    handler = SUBCOMMANDS.get(parsed.kind)
    return handler(deps, parsed, request) if handler else UNCHANGED


def _slash_request(command: Command, reply: Reply) -> Request:
    return Request(command["user_id"], command.get("channel_id"), f"cmd:{command['trigger_id']}", reply,
                   command["trigger_id"])


def _responder(respond: Respond) -> Reply:
    """Reply through the command's response_url (no retry): False if Slack did not take it."""
    def reply(payload: Payload) -> bool:
        try:
            return _delivered(respond(response_type="ephemeral", **payload))
        except OSError:
            return False

    return reply


def _delivered(response: WebhookResponse | None) -> bool:
    """Whether Slack took the reply (None: the request had no response_url to reply to)."""
    if response is None or response.status_code != 200:
        return False
    try:
        answer = json.loads(response.body or "{}")
    except ValueError:
        return True  # Slack answers a plain "ok"
    return not (isinstance(answer, dict) and answer.get("ok") is False)


def _poster(client: WebClient, user_id: str) -> Reply:
    """Reply in the person's DM with the bot."""
    def reply(payload: Payload) -> bool:
        try:
            client.chat_postMessage(channel=user_id, **payload)
        except (SlackApiError, OSError):
            return False
        return True

    return reply


def _store(deps: Deps, parsed: Parsed, request: Request) -> int:
    with deps.runtime.sessions() as session:
        return asking.store(session, deps.now(), asker_id=request.user_id, text=parsed.text,
                            asked_in=request.channel_id, anonymous=parsed.kind == "anon",
                            request_id=request.request_id)


def ask(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    runtime = deps.runtime
    question_id = _store(deps, parsed, request)  # stored by the ack already, unless this is a DM
    with runtime.sessions() as session:
        outcome = asking.answer(session, runtime.index, runtime.settings, deps.now(), question_id)
        if not request.reply(question_blocks.ask_reply(outcome, deps.links.message)):
            asking.reply_failed(session, deps.now(), outcome)
    return None


def expert(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    user_id = request.user_id
    with deps.runtime.sessions() as session:
        topics = experts.parse_topics(parsed.text)
        if parsed.action == "add":
            new = experts.declare_topics(session, user_id, topics, deps.now())
            text = (f"Added {plural(len(new), 'topic')}: {blocks.escape(', '.join(new))}. Colleagues asking about "
                    "them may be pointed to you." if new else "You already have those topics.")
        elif parsed.action == "remove":
            removed = experts.remove_topics(session, user_id, topics, deps.now())
            text = f"Removed {plural(removed, 'topic')}." if removed else "None of those topics were on your profile."
        else:
            mine = experts.list_topics(session, user_id)
            text = ("Your topics: " + blocks.escape(", ".join(t for t, _ in mine)) if mine else
                    "You have no topics yet. Add some with `/learn expert add vpn, printers`.")
    request.reply(blocks.notice(text))
    return None


def away(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    zone = deps.runtime.settings.timezone
    try:
        with deps.runtime.sessions() as session:
            until_text = parsed.text if parsed.action == "away" else None
            until = experts.set_away(session, request.user_id, deps.now(), until_text, zone)
    except ValueError as exc:
        request.reply(blocks.notice(str(exc)))
        return UNCHANGED
    text = ("Welcome back! Colleagues' questions can reach you again." if until is None else
            f"Enjoy your time away. I won't page you until {until.astimezone(zone):%A %d %B %Y}; "
            "`/learn back` ends it early.")
    request.reply(blocks.notice(text))
    return UNCHANGED


def digest_note(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    with deps.runtime.sessions() as session:
        digest.set_opt_out(session, request.user_id, deps.now(), parsed.action == "off")
    request.reply(blocks.notice(
        "Your weekly note is off. `/learn digest on` brings it back." if parsed.action == "off"
        else "Your weekly note is on: every week, what was asked of you and the thanks you received."))
    return UNCHANGED


def my_path(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    """`/learn path`: the person's learning paths."""
    request.reply(paths.show_my_paths(deps, request.user_id))
    return UNCHANGED


def new_path(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    """`/learn path new`: the path modal (handlers/paths.py), or why not; a DM (no form opens from one) says how."""
    said = (paths.open_from_command(deps, request.user_id, request.trigger_id) if request.trigger_id
            else blocks.notice("Type `/learn path new` to open the form for a new learning path."))
    if said is not None:
        request.reply(said)
    return UNCHANGED


def publish(deps: Deps, parsed: Parsed, request: Request) -> Returned:
    """`/learn publish`: the publish modal (handlers/publishing.py), or why not."""
    said = publishing.publish_command(deps, request.user_id, request.trigger_id)
    if said is not None:
        request.reply(said)
    return UNCHANGED


SUBCOMMANDS: dict[str, Callable[[Deps, Parsed, Request], Returned]] = {
    "ask": ask, "anon": ask, "expert": expert, "away": away, "digest": digest_note, "publish": publish,
    "path": my_path, "path_new": new_path,
}


def ask_reply(r: Rendering, session: Session, question_id: int, args: Payload) -> SlackCall | None:
    """The private answer to a question, again, as a DM: its reply through response_url failed."""
    outcome = asking.told(session, r.settings, question_id, [tuple(ref) for ref in args.get("offers", [])], r.clock.now())
    question = asking.question_thread(session, question_id)
    if outcome is None or question is None:
        return None
    return SlackCall("chat.postMessage", {"channel": question.asker,
                                          **question_blocks.ask_reply(outcome, r.links.message)})


RENDERERS: dict[str, Render] = {asking.ASK_REPLY: ask_reply}


def register(app: App) -> None:
    app.command(ids.LEARN)(ack=ack_learn, lazy=[answer_learn])
    app.event("message", matchers=[lambda event: event.get("channel_type") == "im"])(on_dm)

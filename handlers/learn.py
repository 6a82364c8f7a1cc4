"""The `/learn` slash command: parse, ack within 3 seconds, then answer in a lazy listener."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from slack_bolt import Ack, App, Respond

from bot import asking, digest, experts
from bot.wording import plural
from handlers import blocks, ids, question_blocks
from handlers.deps import Deps
from handlers.errors import reply_on_failure
from handlers.settle import UNCHANGED, Returned, settles

Command = dict[str, Any]


@dataclass(frozen=True)
class Parsed:
    """A `/learn` invocation: `kind` is ask, anon, expert, away, digest, usage or too_long."""

    kind: str
    text: str = ""
    action: str = ""


def parse(text: str) -> Parsed:
    """Split `/learn` text into a subcommand and its argument."""
    text = " ".join(text.split()) if len(text) < 20000 else text.strip()
    word, _, rest = text.partition(" ")
    word = word.lower()
    if not text or word in ("help", "-h", "--help", "?"):
        return Parsed("usage")
    if word == "digest" and rest.lower() in ("on", "off"):
        return Parsed("digest", action=rest.lower())
    if word in ("away", "back"):
        return Parsed("away", rest if word == "away" else "", word)
    if word == "expert":
        action, _, topics = rest.partition(" ")
        if action.lower() in ("add", "remove", "list") and (topics or action.lower() == "list"):
            return Parsed("expert", topics, action.lower())
        return Parsed("usage")
    kind, question = ("anon", rest) if word == "anon" else ("ask", text)
    if not question:
        return Parsed("usage")
    if len(question) > asking.MAX_QUESTION_CHARS:
        return Parsed("too_long", question)
    return Parsed(kind, question)


def ack_learn(ack: Ack, command: Command) -> None:
    """Within 3 seconds: usage and too-long answers at once, the rest in `answer_learn`."""
    parsed = parse(command.get("text", ""))
    if parsed.kind == "usage":
        ack(**question_blocks.usage())
    elif parsed.kind == "too_long":
        ack(**question_blocks.too_long(len(parsed.text)))
    else:
        ack()


@reply_on_failure
@settles
def answer_learn(command: Command, respond: Respond, deps: Deps) -> Returned:
    """The lazy half: run the subcommand."""
    parsed = parse(command.get("text", ""))
    handler = SUBCOMMANDS.get(parsed.kind)
    return handler(deps, parsed, command, respond) if handler else UNCHANGED


def ask(deps: Deps, parsed: Parsed, command: Command, respond: Respond) -> Returned:
    runtime = deps.runtime
    with runtime.sessions() as session:
        outcome = asking.ask(session, runtime.index, runtime.settings, deps.now(), asker_id=command["user_id"],
                             text=parsed.text, asked_in=command.get("channel_id"), anonymous=parsed.kind == "anon")
    offers = question_blocks.linked_offers(outcome.offers, deps.links.message)
    reply = question_blocks.offered if outcome.confident else question_blocks.routed
    respond(response_type="ephemeral", **reply(outcome, offers))
    return None


def expert(deps: Deps, parsed: Parsed, command: Command, respond: Respond) -> Returned:
    user_id = command["user_id"]
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
    respond(response_type="ephemeral", **blocks.notice(text))
    return None


def away(deps: Deps, parsed: Parsed, command: Command, respond: Respond) -> Returned:
    zone = deps.runtime.settings.timezone
    try:
        with deps.runtime.sessions() as session:
            until_text = parsed.text if parsed.action == "away" else None
            until = experts.set_away(session, command["user_id"], deps.now(), until_text, zone)
    except ValueError as exc:
        respond(response_type="ephemeral", **blocks.notice(str(exc)))
        return UNCHANGED
    text = ("Welcome back! Colleagues' questions can reach you again." if until is None else
            f"Enjoy your time away. I won't page you until {until.astimezone(zone):%A %d %B %Y}; "
            "`/learn back` ends it early.")
    respond(response_type="ephemeral", **blocks.notice(text))
    return UNCHANGED


def digest_note(deps: Deps, parsed: Parsed, command: Command, respond: Respond) -> Returned:
    with deps.runtime.sessions() as session:
        digest.set_opt_out(session, command["user_id"], deps.now(), parsed.action == "off")
    respond(response_type="ephemeral", **blocks.notice(
        "Your weekly note is off. `/learn digest on` brings it back." if parsed.action == "off"
        else "Your weekly note is on: every week, what was asked of you and the thanks you received."))
    return UNCHANGED


SUBCOMMANDS: dict[str, Callable[[Deps, Parsed, Command, Respond], Returned]] = {
    "ask": ask, "anon": ask, "expert": expert, "away": away, "digest": digest_note,
}


def register(app: App) -> None:
    app.command(ids.LEARN)(ack=ack_learn, lazy=[answer_learn])

"""The `/learn` slash command: parse, ack within 3 seconds, then answer in a lazy listener."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from slack_bolt import Ack, App, Respond

from bot import asking, digest, experts
from handlers import blocks
from handlers.deps import Deps
from handlers.errors import reply_on_failure


@dataclass(frozen=True)
class Parsed:
    """A `/learn` invocation: `kind` is ask, anon, expert, usage or too_long."""

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


def register(app: App, deps: Deps) -> None:
    """Attach `/learn` to the app."""
    runtime = deps.runtime
    settings, clock = runtime.settings, runtime.clock

    def ack_learn(ack: Ack, command: dict[str, Any]) -> None:
        parsed = parse(command.get("text", ""))
        if parsed.kind == "usage":
            ack(**blocks.usage())
        elif parsed.kind == "too_long":
            ack(**blocks.too_long(len(parsed.text)))
        else:
            ack()

    @reply_on_failure
    def answer_learn(command: dict[str, Any], respond: Respond) -> None:
        parsed = parse(command.get("text", ""))
        handler = _LAZY.get(parsed.kind)
        if handler:
            handler(parsed, command, respond)

    def ask(parsed: Parsed, command: dict[str, Any], respond: Respond) -> None:
        with runtime.sessions() as session:
            outcome = asking.ask(session, runtime.index, settings, clock.now(), asker_id=command["user_id"],
                                 text=parsed.text, asked_in=command.get("channel_id"),
                                 anonymous=parsed.kind == "anon")
        deps.settle(command["user_id"])
        offers = blocks.linked_offers(outcome.offers, deps.links.message)
        if outcome.confident:
            respond(response_type="ephemeral", **blocks.offered(outcome, offers))
        else:
            respond(response_type="ephemeral", **blocks.routed(outcome, offers))

    def expert(parsed: Parsed, command: dict[str, Any], respond: Respond) -> None:
        user_id = command["user_id"]
        with runtime.sessions() as session:
            topics = experts.parse_topics(parsed.text)
            if parsed.action == "add":
                new = experts.add_topics(session, user_id, topics, clock.now())
                text = (f"Added {len(new)} topic(s): {blocks.escape(', '.join(new))}. Colleagues asking about "
                        "them may be pointed to you." if new else "You already have those topics.")
            elif parsed.action == "remove":
                removed = experts.remove_topics(session, user_id, topics, clock.now())
                text = f"Removed {removed} topic(s)." if removed else "None of those topics were on your profile."
            else:
                mine = experts.list_topics(session, user_id)
                text = ("Your topics: " + blocks.escape(", ".join(t for t, _ in mine)) if mine else
                        "You have no topics yet. Add some with `/learn expert add vpn, printers`.")
            session.commit()
        deps.settle(command["user_id"])
        respond(response_type="ephemeral", **blocks.notice(text))

    def away(parsed: Parsed, command: dict[str, Any], respond: Respond) -> None:
        try:
            with runtime.sessions() as session:
                until_text = parsed.text if parsed.action == "away" else None
                until = experts.set_away(session, command["user_id"], deps.now(), until_text, settings.timezone)
        except ValueError as exc:
            respond(response_type="ephemeral", **blocks.notice(str(exc)))
            return
        text = ("Welcome back! Colleagues' questions can reach you again." if until is None else
                f"Enjoy your time away. I won't page you until {until.astimezone(settings.timezone):%A %d %B %Y}; "
                "`/learn back` ends it early.")
        respond(response_type="ephemeral", **blocks.notice(text))

    def digest_note(parsed: Parsed, command: dict[str, Any], respond: Respond) -> None:
        with runtime.sessions() as session:
            digest.set_opt_out(session, command["user_id"], deps.now(), parsed.action == "off")
        respond(response_type="ephemeral", **blocks.notice(
            "Your weekly note is off. `/learn digest on` brings it back." if parsed.action == "off"
            else "Your weekly note is on: every week, what was asked of you and the thanks you received."))

    _LAZY: dict[str, Callable[[Parsed, dict[str, Any], Respond], None]] = {
        "ask": ask, "anon": ask, "expert": expert, "away": away, "digest": digest_note,
    }
    app.command("/learn")(ack=ack_learn, lazy=[answer_learn])


"""`learnbot console`: the same Bolt app, driven from a terminal instead of Slack.

The console is a transport, not a second bot: what you type becomes signed Slack requests that go
through `App.dispatch`, and the bot's Web API calls reach a local Slack on loopback whose messages
are printed as readable text, with numbered messages (m1, m2 ...) and buttons ([1], [2] ...).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, TextIO

from slack_bolt import BoltResponse

from bot import experts, library
from bot.clock import ManualClock, SystemClock
from bot.config import Settings, parse_duration
from bot.importing import parse_competencies, parse_content, parse_experts, parse_teams
from bot.jobs import sweep
from bot.local.driver import Driver, ImmediateExecutor
from bot.local.slack import BOT_USER_ID, Call, LocalSlack
from bot.run.build import Bot, build
from bot.team_import import import_competencies, import_teams
from bot.runtime import Runtime
from bot.search.embedder import Embedder
from handlers.blocks import escape
from handlers.plaintext import Names, render_blocks

USERS = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL", "dave": "U0DAVE", "erin": "U0ERIN",
         "sam": "U0SAM"}
CHANNELS = {"C0GENERAL": "general", "C0HELP": "help", "C0ANDON": "andon", "C0DIGEST": "digest"}
DEMO = Path(__file__).with_name("demo")
NAMES = Names({uid: name for name, uid in USERS.items()} | {BOT_USER_ID: "learnbot"}, CHANNELS)

HELP = """Commands:
  /learn <text>           run the slash command as the current user (in #general)
  as <name>               become another user: alice, bob, carol, erin, sam (a supervisor of Support), or dave
                          (a learning manager)
  home                    open the current user's App Home tab (its buttons can be pressed)
  reply <m#> <text>       reply in the thread of message m#
  react <m#> [emoji]      react to a message (default white_check_mark: accepts an answer)
  press <n>               press button [n]
  submit <a> | <b> ...    fill in and submit the open form, one value per field (\\n starts a new line; for a
                          menu: its choice, or a few letters of it)
  clock +<duration>       move time forward (e.g. clock +2h) and run what became due
  help                    this text
  quit                    leave (end of input works too)"""


@dataclass
class Shown:
    """A message printed in the console, addressable as m<number>."""

    number: int
    channel: str
    ts: str | None
    response_url: str | None = None


@dataclass
class Button:
    number: int
    action_id: str
    value: str
    message: Shown


class Console:
    """Reads commands, dispatches them into the app, prints what Slack would show."""

    def __init__(self, driver: Driver, bot: Bot, clock: ManualClock, out: TextIO) -> None:
        self.driver, self.bot, self.clock, self.out = driver, bot, clock, out
        self.slack = driver.slack
        self.user = "alice"
        self.form: dict[str, Any] | None = None  # the modal on screen
        self.messages: list[Shown] = []
        self.buttons: list[Button] = []
        self._replaces: dict[str, Shown] = {}  # response_url -> the message it would replace
        self._home_for: str | None = None  # the user whose Home tab was asked for, printed when published

    # -- input --------------------------------------------------------------------------------
    def execute(self, line: str) -> bool:
        """Run one command line; False when the console should stop."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        if word in ("quit", "exit"):
            return False
        commands: dict[str, Callable[[str], None]] = {
            "/learn": self.learn, "as": self.switch, "reply": self.reply, "react": self.react,
            "press": self.press, "submit": self.submit, "clock": self.advance, "help": lambda _: self.say(HELP),
            "home": self.home,
        }
        command = commands.get(word)
        if command is None:
            self.say(f"Unknown command {word!r}. Type `help` for the list.")
        else:
            command(rest.strip())
        return True

    def learn(self, text: str) -> None:
        response_url = self.driver.response_url()
        typed = escape(text)  # as Slack sends what a person typed: `&`, `<`, `>` as entities
        self._answered(self.driver.command(USERS[self.user], typed, response_url=response_url), response_url)

    def switch(self, name: str) -> None:
        if name.lower() not in USERS:
            self.say(f"No user {name!r}. Try one of: {', '.join(USERS)}.")
            return
        self.user = name.lower()
        self.say(f"You are now {self.user} ({USERS[self.user]}).")

    def reply(self, rest: str) -> None:
        target, _, text = rest.partition(" ")
        shown = self._message(target)
        if shown is None or shown.ts is None or not text.strip():
            self.say("Usage: reply m<number> <text>, for a message posted in a channel.")
            return
        ts = self.slack.next_ts()
        mine = Shown(len(self.messages) + 1, shown.channel, ts)
        self.messages.append(mine)
        self.say(f"\n─ m{mine.number} · {self.user} in #{CHANNELS.get(shown.channel, shown.channel)} "
                 f"(thread of m{shown.number})\n  {text}")
        event = {"type": "message", "channel": shown.channel, "user": USERS[self.user], "text": escape(text),
                 "ts": ts, "thread_ts": shown.ts, "channel_type": "channel"}
        self._answered(self.driver.event(event))

    def react(self, rest: str) -> None:
        target, _, emoji = rest.partition(" ")
        shown = self._message(target)
        if shown is None or shown.ts is None:
            self.say("Usage: react m<number> [emoji], for a message in a channel.")
            return
        emoji = emoji.strip().strip(":") or "white_check_mark"
        self.say(f"{self.user} reacted :{emoji}: to m{shown.number}")
        event = {"type": "reaction_added", "user": USERS[self.user], "reaction": emoji,
                 "item": {"type": "message", "channel": shown.channel, "ts": shown.ts}}
        self._answered(self.driver.event(event))

    def submit(self, rest: str) -> None:
        if self.form is None:
            self.say("No form is open. Buttons like [n] Add a reflection open one.")
            return
        view = self.form
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        values = {b["block_id"]: self._choice(view, b, part.strip().replace("\\n", "\n"))  # \n: a new line
                  for b, part in zip(inputs, rest.split("|"))}
        response = self.driver.submit(USERS[self.user], view, values)
        answer = json.loads(response.body) if response.status == 200 and response.body.startswith("{") else {}
        if answer.get("response_action") == "errors":  # Slack shows them under the fields, the form stays open
            labels = {b["block_id"]: b["label"]["text"] for b in view.get("blocks", []) if b.get("type") == "input"}
            for block_id, error in answer.get("errors", {}).items():
                self.say(f"  ! {labels.get(block_id, block_id)}: {error}")
            self.say("  (the form is still open: submit again)")
            return
        if self.form is view:  # the submission did not open another form
            self.form = None
        self._answered(response)
        self.say("(form submitted)")

    def _choice(self, view: dict[str, Any], block: dict[str, Any], typed: str) -> str:
        """What a typed answer submits: a menu's option whose text (or value) is or starts with it, else the
        first option a searched menu offers for it; anything else as typed."""
        element = block["element"]
        searched = element.get("type") == "external_select"
        if searched:
            options = self.driver.suggest(USERS[self.user], view, block["block_id"], typed) if typed else []
        else:
            options = element.get("options") or []
        typed_lower = typed.lower()
        for exact in (True, False):
            for option in options:
                text = option["text"]["text"].lower()
                if (text == typed_lower or option["value"] == typed) if exact else text.startswith(typed_lower):
                    return str(option["value"])
        return str(options[0]["value"]) if searched and options else typed

    def home(self, _: str) -> None:
        """The App Home tab of the current user, as Slack shows it when they open it."""
        self._home_for = USERS[self.user]
        self._answered(self.driver.event({"type": "app_home_opened", "user": USERS[self.user], "tab": "home"}))

    def press(self, rest: str) -> None:
        number = rest.lstrip("[").rstrip("]")
        button = next((b for b in self.buttons if str(b.number) == number), None)
        if button is None:
            self.say(f"No button [{number}] on screen.")
            return
        shown = button.message
        response_url = self.driver.response_url()
        self._replaces[response_url] = shown
        response = self.driver.click(USERS[self.user], {"action_id": button.action_id, "value": button.value},
                                     shown.channel, shown.ts, ephemeral=shown.ts is None, response_url=response_url)
        self._answered(response, response_url)

    def advance(self, rest: str) -> None:
        try:
            delta = parse_duration(rest.lstrip("+"))
        except ValueError as exc:
            self.say(f"Usage: clock +2h ({exc})")
            return
        now = self.clock.advance(delta)
        self.say(f"The time is now {now:%Y-%m-%d %H:%M} UTC.")
        sweep(self.bot.runtime, self.bot.outbox.deliver_due)

    # -- plumbing -----------------------------------------------------------------------------
    def _answered(self, response: BoltResponse, response_url: str | None = None) -> None:
        """Print the bot's synchronous answer (an ack with a message), or its HTTP error."""
        if response.status != 200:
            self.say(f"(the bot answered HTTP {response.status})")
        elif response.body:  # Slack shows a plain-text ack as an ephemeral message, as it shows a JSON one
            payload = json.loads(response.body) if response.body.startswith("{") else {"text": response.body}
            self.show(payload, channel="C0GENERAL", ts=None, response_url=response_url, ephemeral=True)

    def _message(self, ref: str) -> Shown | None:
        match = re.fullmatch(r"m?(\d+)", ref)
        return next((m for m in self.messages if match and m.number == int(match.group(1))), None)

    # -- output -------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def on_call(self, call: Call, answer: dict[str, Any]) -> None:
        """LocalSlack hook: print what the bot made visible."""
        p = call.params
        if call.method == "chat.postMessage":
            thread = p.get("thread_ts")
            self.show(p, channel=p["channel"], ts=answer.get("ts"), thread=thread)
        elif call.method == "chat.update":
            self.show(p, channel=p["channel"], ts=p.get("ts"), note="(updated)")
        elif call.method == "files.completeUploadExternal":
            for upload in (self.slack.uploads[f["id"]] for f in json.loads(p.get("files") or "[]")):
                self.say(f"\n─ learnbot uploaded {upload.filename} ({len(upload.content):,} bytes) to "
                         f"#{CHANNELS.get(upload.channel or '', upload.channel)}")
        elif call.method == "views.publish" and p.get("user_id") == self._home_for:
            self._home_for = None
            self.show(dict(p.get("view") or {}), channel=str(p["user_id"]), ts=None,
                      where=f"{NAMES.user(str(p['user_id']))}'s Home tab")
        elif call.method == "views.open":
            self.form = dict(p.get("view") or {})
            self.show_form(self.form)
        elif call.method == "chat.postEphemeral":
            self.show(p, channel=p["channel"], ts=None, ephemeral=True)
        elif call.method == "response_url" and not p.get("delete_original"):
            url = self.slack.base_url + call.path
            replaced = self._replaces.get(url) if p.get("replace_original") else None
            self.show(p, channel=replaced.channel if replaced else "C0GENERAL", ts=None,
                      response_url=url, ephemeral=True,
                      note=f"(replaces m{replaced.number})" if replaced else "")

    def show(self, payload: dict[str, Any], *, channel: str, ts: str | None, thread: str | None = None,
             response_url: str | None = None, ephemeral: bool = False, note: str = "", where: str = "") -> None:
        shown = Shown(len(self.messages) + 1, channel, ts if not ephemeral else None, response_url)
        self.messages.append(shown)
        where = where or (f"#{CHANNELS.get(channel, channel)}" if channel[0] in "CG" else
                          f"a DM to {NAMES.user(channel)}")
        if thread:
            where += " (thread)"
        visibility = f" · only visible to {self.user}" if ephemeral else ""
        self.say(f"\n─ m{shown.number} · learnbot in {where}{visibility} {note}".rstrip())
        for line in render_blocks(payload, NAMES, self._add_button(shown)):
            self.say("  " + line)

    def show_form(self, view: dict[str, Any]) -> None:
        fields = [b["label"]["text"] + _choices(b["element"])
                  for b in view.get("blocks", []) if b.get("type") == "input"]
        self.say(f"\n─ form: {view.get('title', {}).get('text', '')}")
        for number, label in enumerate(fields, start=1):
            self.say(f"  {number}. {label}")
        self.say("  (answer with: submit " + " | ".join(f"<{f.lower()}>" for f in fields) + ")")

    def _add_button(self, shown: Shown) -> Callable[[str, str, str], str]:
        def add(label: str, action_id: str, value: str) -> str:
            button = Button(len(self.buttons) + 1, action_id, value, shown)
            self.buttons.append(button)
            return f"[{button.number}] {label}"

        return add


def _choices(element: dict[str, Any]) -> str:
    """A menu's choices after its label: ` (Line A / Line B)`, or ` (type a few letters)` for a searched one."""
    if element.get("type") == "external_select":
        return " (type a few letters)"
    options = [o["text"]["text"] for o in element.get("options") or []]
    return f" ({' / '.join(options[:10])}{' …' if len(options) > 10 else ''})" if options else ""


@dataclass(frozen=True)
class DemoLoaded:
    """How much of the demo was loaded."""

    items: int
    experts: int
    teams: int
    competencies: int


def load_demo(runtime: Runtime) -> DemoLoaded:
    """The sample library, experts, teams and competency framework, through the importers' use cases
    (idempotent); with semantic matching the library is embedded at once (it is small: what `learnbot run`
    leaves to its background worker)."""
    now = runtime.clock.now()
    content = parse_content(DEMO / "library.csv")
    people = parse_experts(DEMO / "experts.csv")
    with runtime.sessions() as session:
        library.import_items(session, [row.draft for row in content.rows], now)
        for row in people.rows:
            experts.add_topics(session, row.user_id, row.topics, now, "imported")
        session.commit()
    with runtime.sessions() as session:
        teams = import_teams(session, parse_teams(DEMO / "teams.csv").rows, now)
    competencies = parse_competencies(DEMO / "competencies.csv").rows
    with runtime.sessions() as session:
        import_competencies(session, competencies)
    if runtime.index.encoder is not None:
        Embedder(runtime.sessions, runtime.index.encoder, runtime.clock.now).run()
    runtime.index.refresh(now)
    return DemoLoaded(len(content.rows), len(people.rows), teams.teams, len(competencies))


def open_console(settings: Settings, out: TextIO) -> Console:
    """The bot on `settings`' database, talking to a fresh local Slack that prints to `out`."""
    slack = LocalSlack(users={uid: name for name, uid in USERS.items()}).start()
    settings = replace(settings, slack_bot_token="xoxb-console", slack_api_url=slack.api_url,
                       help_channel=settings.help_channel or "C0HELP",
                       andon_channel=settings.andon_channel or "C0ANDON",
                       digest_channel=settings.digest_channel or "C0DIGEST",
                       managers=settings.managers or (USERS["dave"],))
    clock = ManualClock(SystemClock().now())
    bot = build(settings, clock=clock, signing_secret=Driver.SECRET, listener_executor=ImmediateExecutor())
    console = Console(Driver(bot.app, slack), bot, clock, out)
    slack.on_call = console.on_call
    return console


def run_console(settings: Settings, *, demo: bool, stdin: TextIO, stdout: TextIO) -> int:
    """The interactive loop (or a script, when stdin is not a terminal)."""
    console = open_console(settings, stdout)
    interactive = stdin.isatty()
    if demo:
        loaded = load_demo(console.bot.runtime)
        console.say(f"Loaded the demo library: {loaded.items} items, {loaded.experts} experts, {loaded.teams} teams, "
                    f"{loaded.competencies} competencies.")
    console.say(f"Learnbot console on {console.bot.runtime.settings.database_url}. You are alice. "
                "Type `help` for commands.")
    try:
        while True:
            if interactive:
                stdout.write(f"{console.user}> ")
                stdout.flush()
            line = stdin.readline()
            if not line:
                break
            if not interactive and line.strip():
                console.say(f"{console.user}> {line.rstrip()}")
            if not console.execute(line):
                break
    except KeyboardInterrupt:
        console.say("")
    finally:
        console.slack.stop()
        console.bot.runtime.engine.dispose()
    return 0

"""The console as a person uses it: forms that refuse a value, a second run on the same database, a supervisor's
learning path."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.run.console import USERS, Console, load_demo, open_console
from handlers import ids
from store.models import Competency, Question, StepCompletion, Team, TeamMember, TeamRole
from tests.paths_setup import arrange

QUESTION = "how often is the torque wrench calibrated?"


def press(console: Console, action_id: str) -> None:
    """Press the newest button with `action_id` on screen."""
    number = [b.number for b in console.buttons if b.action_id == action_id][-1]
    console.execute(f"press {number}")


def post_of(console: Console, text: str) -> int:
    """The number (m#) of the help-channel post of the question containing `text`."""
    with console.bot.runtime.sessions() as session:
        ts = session.scalar(select(Question.thread_ts).where(Question.text.contains(text)).order_by(Question.id.desc()))
    [number] = [m.number for m in console.messages if m.channel == "C0HELP" and ts is not None and m.ts == ts]
    return number


def test_a_form_that_refuses_a_value_shows_why_under_it_and_stays_open(sqlite_url: str) -> None:
    out = io.StringIO()
    console = open_console(Settings(database_url=sqlite_url), out)
    try:
        console.execute(f"/learn {QUESTION}")
        post = post_of(console, QUESTION)
        console.execute("as bob")
        console.execute(f"reply m{post} Every year, and after a drop.")
        console.execute("as alice")
        press(console, ids.ACCEPT_ANSWER)
        press(console, ids.OPEN_REFLECTION)

        console.execute("submit ")

        assert "! " in out.getvalue() and "A few words, please." in out.getvalue()
        assert console.form is not None and "(form submitted)" not in out.getvalue()
        console.execute("submit Calibration is yearly.")
        assert console.form is None and "(form submitted)" in out.getvalue()
    finally:
        console.slack.stop()
        console.bot.runtime.engine.dispose()


def test_a_second_run_on_the_same_database_keeps_thread_replies_apart(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url)
    first = open_console(settings, io.StringIO())
    first.execute(f"/learn {QUESTION}")
    first_post = first.messages[post_of(first, QUESTION) - 1].ts
    first.slack.stop()
    first.bot.runtime.engine.dispose()

    second = open_console(settings, io.StringIO())
    try:
        second.execute("as bob")
        second.execute("/learn who signs off forklift licences?")
        post = post_of(second, "forklift")
        assert second.messages[post - 1].ts != first_post
        second.execute("as carol")
        second.execute(f"reply m{post} The site safety lead.")

        notices = [c for c in second.slack.calls_to("chat.postMessage") if "answered your question" in c.text]
        assert [c.channel for c in notices] == ["U0BOB"]
        assert "forklift" in str(notices[0].blocks)
    finally:
        second.slack.stop()
        second.bot.runtime.engine.dispose()


def test_a_supervisor_gives_their_team_a_path_and_a_member_does_a_step_in_the_console(sqlite_url: str) -> None:
    out = io.StringIO()
    console = open_console(Settings(database_url=sqlite_url), out)
    try:
        now = console.bot.runtime.clock.now()
        with console.bot.runtime.sessions() as session:
            arrange(session, now)
        due = (now + timedelta(days=14)).date().isoformat()
        console.execute("/learn path new")  # alice leads no team
        assert "Only learning managers and team supervisors can create learning paths." in out.getvalue()
        console.execute("as sam")
        console.execute("/learn path new")
        assert "─ form: New learning path" in out.getvalue()
        console.execute(f"submit VPN for field staff | Networking | VPN basics\\nhttps://wiki.example/vpn-setup | "
                        f"Field | {due}")
        assert "(form submitted)" in out.getvalue() and "a DM to alice" in out.getvalue()
        assert "New learning path" in out.getvalue()

        console.execute("as alice")
        console.execute("/learn path")
        assert "*VPN for field staff* · 0 of 2 done" in out.getvalue()
        press(console, ids.PATH_DONE)
        assert "─ form: Reflect on the step" in out.getvalue()
        console.execute("submit I'll check the split tunnel first.")
        with console.bot.runtime.sessions() as session:
            [done] = session.scalars(select(StepCompletion)).all()
        assert (done.user_id, done.reflection) == ("U0ALICE", "I'll check the split tunnel first.")
    finally:
        console.slack.stop()
        console.bot.runtime.engine.dispose()


def test_sam_publishes_for_his_team_and_dave_approves_sharing_it(sqlite_url: str) -> None:
    out = io.StringIO()
    console = open_console(Settings(database_url=sqlite_url), out)
    try:
        now = console.bot.runtime.clock.now()
        with console.bot.runtime.sessions() as session:  # sam supervises Line A; L&D's framework has one competency
            team = Team(name="Line A", created_at=now)
            session.add(team)
            session.flush()
            session.add_all([TeamMember(team_id=team.id, user_id="U0SAM", role=TeamRole.SUPERVISOR, created_at=now),
                             Competency(id="SAFE-1", name="Machine safety")])
            session.commit()
        for line in ("as sam", "/learn publish",
                     "submit Lockout-tagout | https://wiki.example/loto | Six steps. | safety | line a", "home"):
            console.execute(line)
        assert "Published Lockout-tagout (https://wiki.example/loto) for *Line A* (Machine safety)" in out.getvalue()
        press(console, ids.SHARE_REQUEST)
        assert "1. Share with (The whole organisation)" in out.getvalue()
        console.execute("submit the whole organisation | Line B keeps asking")
        console.execute("as dave")
        press(console, ids.SHARE_APPROVE)

        assert "Approved: Lockout-tagout (https://wiki.example/loto) is visible to the whole organisation now." \
            in out.getvalue()
        assert "Your request to share Lockout-tagout (https://wiki.example/loto) with *the whole organisation*: " \
               "✅ Approved by @dave" in out.getvalue()
        assert "(updated)" in out.getvalue()
    finally:
        console.slack.stop()
        console.bot.runtime.engine.dispose()


def test_the_demo_lets_sam_open_the_publish_form_with_the_framework_in_its_menu(sqlite_url: str) -> None:
    out = io.StringIO()
    console = open_console(Settings(database_url=sqlite_url), out)
    try:
        loaded = load_demo(console.bot.runtime)
        assert load_demo(console.bot.runtime) == loaded  # a second load changes nothing
        console.execute("as sam")

        console.execute("/learn publish")

        assert console.form is not None, out.getvalue()
        assert "─ form: Publish for my team" in out.getvalue() and "For the team (Support)" in out.getvalue()
        menu = console.driver.suggest(USERS["sam"], console.form, ids.COMPETENCY, "safety")
        assert [o["text"]["text"] for o in menu] == ["Machine safety", "Operations and safety"]
    finally:
        console.slack.stop()
        console.bot.runtime.engine.dispose()

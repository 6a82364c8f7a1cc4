"""Learning paths through signed payloads: a supervisor assigns one, members are told; a step done, its
reflection on the supervisor's Home; the weekly team note; an andon card's course published as a path,
its askers told once and starting it; the digest's completion and trend."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from bot.jobs import sweep
from bot.paths import PathProgress, Reflected, TeamProgress
from bot.local.slack import Call
from store.models import AndonCard, CardStatus, Competency, LearningNeed, PathEnrolment, StepCompletion, Team, TeamMember
from handlers.paths_blocks import team_note
from tests.harness import Harness, all_text, button, buttons
from tests.paths_setup import FIELD, OFFICE, STEPS, SUPERVISOR, Org, arrange
from tests.scenario.test_course_planned import DUE as COURSE_DUE
from tests.scenario.test_course_planned import LASER, dms, errors, escalated, plan_modal

DUE = "2026-01-30"  # the clock starts on Monday 5 Jan 2026


def org(bot: Harness) -> Org:
    with bot.runtime.sessions() as session:
        return arrange(session, bot.runtime.clock.now())


def path_form(bot: Harness, user: str) -> dict[str, object]:
    response = bot.command(user, "path new")
    assert response.status == 200, response.body
    return bot.slack.calls_to("views.open")[-1].params["view"]


def texts(blocks: list[dict[str, object]]) -> str:
    """Every section's and context's text, a line each: what a person reads."""
    return "\n".join(str(b["text"]["text"]) if b["type"] == "section" else  # type: ignore[index]
                     " ".join(e.get("text", "") for e in b.get("elements", [])) for b in blocks  # type: ignore
                     if b["type"] in ("section", "context"))


def home(bot: Harness, user: str) -> str:
    view = [c for c in bot.slack.calls_to("views.publish") if c.params["user_id"] == user][-1].params["view"]
    return texts(view["blocks"])


def assign(bot: Harness) -> Org:
    """sam gives Field the VPN path."""
    teams = org(bot)
    bot.submit(SUPERVISOR, path_form(bot, SUPERVISOR), {"title": "VPN for field staff", "path_steps": STEPS,
                                                         "path_team": "Field", "due": DUE})
    return teams


def test_a_supervisor_assigns_a_path_and_every_member_is_told_and_sees_it_in_my_path(bot: Harness) -> None:
    org(bot)
    assert bot.command(OFFICE, "path new").status == 200
    assert "Only learning managers and team supervisors" in bot.last_reply().text
    assert bot.slack.calls_to("views.open") == []

    form = path_form(bot, SUPERVISOR)
    fields = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}  # type: ignore[index, union-attr]
    assert [o["text"]["text"] for o in fields["path_team"]["element"]["options"]] == ["Field"]  # only sam's team
    assert [o["text"]["text"] for o in fields["path_competency"]["element"]["options"]] == ["Networking"]
    values = {"title": "VPN for field staff", "path_competency": "net", "path_steps": STEPS, "path_team": "Field",
              "due": DUE}
    assert errors(bot.submit(SUPERVISOR, form, {**values, "due": "2026-01-04",
                                                "path_steps": "VPN basics\nOffice printers"})) == {
        "due": "The due date is in the past; choose today or later.",
        "path_steps": "line 2 “Office printers”: no item the team can see has that title or link"}
    assert bot.posts("U0ALICE") == []
    bot.submit(SUPERVISOR, form, values)

    for member in FIELD:
        [dm] = bot.posts(member)
        assert dm.text == "New learning path: VPN for field staff, due 30 Jan 2026"
        assert "0 of 3 done" in all_text(dm) and "<https://wiki.example/vpn-basics|VPN basics>" in all_text(dm)
        assert [b["text"] for b in buttons(dm)] == ["Done: VPN basics"]  # the first step
    assert bot.posts(OFFICE) == [] and bot.posts(SUPERVISOR) == []

    bot.command("U0ALICE", "path")
    mine = bot.last_reply()
    assert "*VPN for field staff* · 0 of 3 done · due 30 Jan 2026" in all_text(mine)
    assert "2. <https://wiki.example/vpn-setup|VPN setup>" in all_text(mine) and "3. *VPN troubleshooting*" in \
        all_text(mine)


def test_a_step_done_asks_the_reflection_which_the_supervisors_home_shows(bot: Harness) -> None:
    assign(bot)
    bot.event({"type": "app_home_opened", "user": SUPERVISOR, "tab": "home"})
    assert "*Field*\n• VPN for field staff (due 30 Jan 2026): 0 of 2 done" in home(bot, SUPERVISOR)
    [dm] = bot.posts("U0ALICE")
    done = button(dm, "Done: VPN basics")
    bot.click("U0BOB", done, channel="DALICE", message_ts="1.0")
    assert "not on your path" not in bot.last_reply().text  # bob's path has the same step: his own done
    bot.click(OFFICE, done, channel="DCAROL", message_ts="1.0")
    assert "That step is not on your path." in bot.last_reply().text

    opened = len(bot.slack.calls_to("views.open"))
    bot.click("U0ALICE", done, channel="DALICE", message_ts="1.0")
    bot.click("U0ALICE", done, channel="DALICE", message_ts="1.0")  # a double click
    assert len(bot.slack.calls_to("views.open")) == opened + 1
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    assert modal["callback_id"] == "path_reflect" and "What will you do differently?" in json.dumps(modal)
    assert "1 of 3 done" in bot.last_reply().text + json.dumps(bot.last_reply().params)  # My path, redrawn

    assert errors(bot.submit("U0ALICE", modal, {"path_reflect": " "})) == {
        "path_reflect": "One line, please: what will you do differently?"}
    bot.submit("U0ALICE", modal, {"path_reflect": "<!channel> I'll check the split tunnel first"})
    with bot.runtime.sessions() as session:
        rows = session.scalars(select(StepCompletion).order_by(StepCompletion.id)).all()
    assert [(r.user_id, r.reflection) for r in rows] == [
        ("U0BOB", None), ("U0ALICE", "<!channel> I'll check the split tunnel first")]
    shown = home(bot, SUPERVISOR)
    assert "> &lt;!channel&gt; I'll check the split tunnel first — <@U0ALICE> on VPN basics" in shown
    assert "done: " not in shown and "behind: <@U0ALICE>, <@U0BOB>" in shown


def test_path_new_acks_at_once_and_a_form_slack_would_not_open_is_said_sorry_for(bot: Harness) -> None:
    org(bot)
    bot.slack.fail_next("views.open", "internal_error", status=500)
    response = bot.command(SUPERVISOR, "path new")
    assert (response.status, response.body) == (200, "")  # the ack does not wait for, or fail with, the form
    assert bot.slack.calls_to("views.open") and bot.last_reply().text.startswith("Sorry, something went wrong")
    assert path_form(bot, SUPERVISOR)["callback_id"] == "path_new"  # the next try opens it
    bot.event({"type": "message", "channel": "D0SAM", "channel_type": "im", "user": SUPERVISOR, "text": "path new",
               "ts": "1700000001.000001"})  # no form opens from a DM: it says how
    [said] = bot.posts(SUPERVISOR)
    assert said.text == "Type `/learn path new` to open the form for a new learning path."


def test_a_step_done_is_shown_done_even_when_slack_will_not_open_the_reflection(bot: Harness) -> None:
    assign(bot)
    [dm] = bot.posts("U0ALICE")
    bot.slack.fail_next("views.open", "internal_error", status=500)
    bot.click("U0ALICE", button(dm, "Done: VPN basics"), channel="DALICE", message_ts="1.0")
    redrawn = bot.last_reply()
    assert "1 of 3 done" in all_text(redrawn) and [b["text"] for b in buttons(redrawn)] == ["Done: VPN setup"]
    assert not any("went wrong" in c.text for c in bot.replies())  # the step was saved: no "nothing was saved"


def daves_team_among_many(bot: Harness, name: str) -> int:
    """100 more teams than a menu holds (and as many competencies), plus `name` with dave in it; its id."""
    with bot.runtime.sessions() as session:
        now = bot.runtime.clock.now()
        session.add_all(Team(name=f"Cell {n:03d}", created_at=now) for n in range(100))  # a menu would be too long
        session.add_all(Competency(id=f"c{n:03d}", name=f"Skill {n:03d}") for n in range(100))
        team = Team(name=name, created_at=now)
        session.add(team)
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id="U0DAVE", created_at=now))
        session.commit()
        return team.id


def test_more_teams_and_competencies_than_a_menu_holds_are_searched_as_one_types(bot: Harness) -> None:
    org(bot)
    cell_id = daves_team_among_many(bot, "Cell for Dave")
    form = path_form(bot, "U0MANAGER")
    fields = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}  # type: ignore
    assert fields["path_team"]["type"] == fields["path_competency"]["type"] == "external_select"
    assert [o["text"]["text"] for o in bot.suggest("U0MANAGER", form, "path_team", "for dave")] == ["Cell for Dave"]
    assert [(o["value"], o["text"]["text"]) for o in bot.suggest("U0MANAGER", form, "path_competency", "networ")] \
        == [("net", "Networking")]
    assert len(bot.suggest("U0MANAGER", form, "path_team", "cell")) == 100  # Slack's most options
    assert bot.suggest(SUPERVISOR, form, "path_team", "cell") == []  # only the teams the presser leads
    assert [o["text"]["text"] for o in bot.suggest(SUPERVISOR, form, "path_team", "f")] == ["Field"]
    assert errors(bot.submit(SUPERVISOR, form, {"title": "VPN", "path_steps": "VPN basics",
                                                 "path_team": str(cell_id), "due": DUE})) == {
        "path_team": "You can only assign paths to the teams you lead."}  # the submission checks again
    bot.submit("U0MANAGER", form, {"title": "VPN", "path_steps": "VPN basics", "path_team": str(cell_id),
                                   "path_competency": "net", "due": DUE})
    assert [c.text for c in bot.posts("U0DAVE")] == ["New learning path: VPN, due 30 Jan 2026"]
    assert bot.posts("U0ALICE") == []  # Field's members are not told


def test_done_on_the_my_path_reply_redraws_every_path_of_it(bot: Harness) -> None:
    assign(bot)
    bot.submit(SUPERVISOR, path_form(bot, SUPERVISOR), {"title": "Ladders", "path_steps": "VPN basics",
                                                         "path_team": "Field", "due": "2026-02-27"})
    bot.command("U0ALICE", "path")
    listed = bot.last_reply()
    assert "*VPN for field staff*" in all_text(listed) and "*Ladders*" in all_text(listed)
    bot.click("U0ALICE", buttons(listed)[0], channel="C0GENERAL", ephemeral=True)
    redrawn = bot.last_reply()
    assert "*VPN for field staff* · 1 of 3 done" in all_text(redrawn) and "*Ladders* · 0 of 1 done" in all_text(redrawn)


def test_a_busy_teams_progress_keeps_its_lines_whole_within_a_section() -> None:
    people = [f"U0{n:09d}" for n in range(15)]
    progress = [PathProgress(n, f"Path {n}: " + "lockout and tagout on the packaging line " * 5, date(2026, 1, 30), 5,
                             people[:5], people[5:10], people[10:]) for n in range(5)]
    said = [Reflected(p, "Isolating energy", "Lockout & tagout " * 20) for p in people[:3]]
    note = team_note("2026-W02", [TeamProgress(1, "Packaging", progress, said)])
    [text] = [b["text"]["text"] for b in note["blocks"] if b["type"] == "section" and
              b["text"]["text"].startswith("*Packaging*")]
    assert len(text) <= 3000
    whole = [line.removeprefix("> ") for line in text.split("\n")]  # a reflection is quoted
    assert all(line.count("<") == line.count(">") for line in whole)  # no mention cut in the middle
    assert text.count("overdue: ") == 5 and text.count(" on Isolating energy") == 3  # every path and reflection


def test_a_team_searched_in_capitals_is_found_even_with_accented_letters(bot: Harness) -> None:
    org(bot)
    nord_id = daves_team_among_many(bot, "Équipe Nord")
    form = path_form(bot, "U0MANAGER")
    [found] = bot.suggest("U0MANAGER", form, "path_team", "ÉQUIPE NORD")
    assert (found["text"]["text"], found["value"]) == ("Équipe Nord", str(nord_id))
    bot.submit("U0MANAGER", form, {"title": "VPN", "path_steps": "VPN basics", "path_team": found["value"],
                                   "due": DUE})
    assert [c.text for c in bot.posts("U0DAVE")] == ["New learning path: VPN, due 30 Jan 2026"]


def finish(bot: Harness, user: str, channel: str) -> None:
    """Press each next Done on the user's My path, reflecting every time."""
    for _ in range(3):
        bot.command(user, "path")
        bot.click(user, [b for b in buttons(bot.last_reply()) if b["text"].startswith("Done")][0], channel=channel)
        bot.submit(user, bot.slack.calls_to("views.open")[-1].params["view"], {"path_reflect": "Noted."})


def test_finishing_congratulates_once_and_the_weekly_team_note_goes_once_a_week(bot: Harness) -> None:
    assign(bot)
    finish(bot, "U0ALICE", "DALICE")
    assert [c.text for c in bot.posts("U0ALICE")][1:] == ["You finished “VPN for field staff”"]
    bot.command("U0ALICE", "path")
    assert "3 of 3 done" in all_text(bot.last_reply()) and "Finished" in all_text(bot.last_reply())

    sweep(bot.runtime, bot.outbox.deliver_due)
    sweep(bot.runtime, bot.outbox.deliver_due)
    notes = [c for c in bot.posts(SUPERVISOR) if "learning paths" in c.text]
    assert [c.text for c in notes] == ["Your teams' learning paths (2026-W02)"]
    assert "1 of 2 done\n    done: <@U0ALICE>\n    behind: <@U0BOB>" in notes[0].blocks[1]["text"]["text"]
    bot.runtime.clock.advance(timedelta(days=28))  # past the due date
    sweep(bot.runtime, bot.outbox.deliver_due)
    notes = [c for c in bot.posts(SUPERVISOR) if "learning paths" in c.text]
    assert len(notes) == 2 and "overdue: <@U0BOB>" in all_text(notes[1])


def test_a_path_title_is_escaped_in_the_notification_text_of_its_dms(bot: Harness) -> None:
    org(bot)
    bot.submit(SUPERVISOR, path_form(bot, SUPERVISOR), {"title": "Q&A <!here> VPN", "path_steps": STEPS,
                                                         "path_team": "Field", "due": DUE})
    finish(bot, "U0ALICE", "DALICE")
    assert [c.text for c in bot.posts("U0ALICE")] == ["New learning path: Q&amp;A &lt;!here&gt; VPN, due 30 Jan 2026",
                                                      "You finished “Q&amp;A &lt;!here&gt; VPN”"]


def test_a_path_of_long_links_shows_every_step_whole(bot: Harness) -> None:
    org(bot)
    titles = [f"Step {n}: " + ", ".join(["safe handling of the press brake"] * 3) for n in range(1, 11)]
    bot.add_items(*[(t, f"https://contoso.sharepoint.com/sites/training/{'x' * 200}/{n}", "A course")
                    for n, t in enumerate(titles)])  # SharePoint-long links: ten of them do not fit a section
    bot.submit(SUPERVISOR, path_form(bot, SUPERVISOR), {"title": "Press brake", "path_steps": "\n".join(titles),
                                                         "path_team": "Field", "due": DUE})
    bot.command("U0ALICE", "path")
    [shown] = [b["text"]["text"] for b in bot.last_reply().params["blocks"] if "Press brake" in b.get("text", {})
               .get("text", "")]
    lines = shown.split("\n")[1:]
    assert [line.split(" ")[1] for line in lines] == [f"{n}." for n in range(1, 11)]  # every step, in order
    assert all(line.count("<") == line.count(">") for line in lines)  # no link cut in the middle
    assert "|Step 1: safe handling" in lines[0] and lines[-1].endswith("press brake*")  # linked; the last by title


def ship_as_path(bot: Harness) -> tuple[AndonCard, Call]:
    """Alice and bob ask about the laser cutter; a course is planned, owned by the trainer; the trainer's DM."""
    org(bot)
    card, post = escalated(bot, "U0ALICE", "U0BOB", "U0ALICE")
    bot.add_items(("Laser cutter lens change", "https://lms.example/laser", "The lens, step by step"),
                  ("Laser recalibration checklist", "", "Ten checks"))  # the course's content, made since
    bot.submit("U0MANAGER", plan_modal(bot, card, post), {"need": "Laser cutter lens course", "owner": "U0TRAINER",
                                                          "due": COURSE_DUE})
    [owned] = dms(bot, "U0TRAINER", "You own it")
    return card, owned


def test_an_andon_course_published_as_a_path_tells_each_asker_once_and_they_can_start_it(bot: Harness) -> None:
    card, owned = ship_as_path(bot)
    bot.click("U0BOB", button(owned, "Publish a path"), channel="DTRAINER")
    assert "Only learning managers" in bot.last_reply().text
    bot.click("U0TRAINER", button(owned, "Publish a path"), channel="DTRAINER")
    form = bot.slack.calls_to("views.open")[-1].params["view"]
    assert form["private_metadata"] == str(card.id) and "Laser cutter lens course" in json.dumps(form)
    assert "path_team" not in json.dumps(form)  # the trainer leads no team: only the askers are told
    values = {"title": "Laser cutter lens course", "path_steps": "Laser cutter lens change\nLaser recalibration "
              "checklist", "due": COURSE_DUE}
    bot.submit("U0TRAINER", form, values)
    assert "shipped already" in errors(bot.submit("U0TRAINER", form, values))["path_steps"]  # a double submit

    asked = {}
    for question in bot.questions():
        asked.setdefault(question.asker_id, question.text)
    for asker in ("U0ALICE", "U0BOB"):
        [dm] = dms(bot, asker, "A learning path answers it now")
        assert asked[asker] in all_text(dm) and "*Laser cutter lens course*, 2 steps, due 20 Feb 2026" in all_text(dm)
    with bot.runtime.sessions() as session:
        need = session.scalars(select(LearningNeed)).one()
        assert need.shipped_at == bot.runtime.clock.now() and need.path_id is not None
        assert session.get_one(AndonCard, card.id).status == CardStatus.RESOLVED  # shipped: the one rule

    [dm] = dms(bot, "U0ALICE", "A learning path answers it now")
    bot.click("U0ALICE", button(dm, "Start this path"), channel="DALICE")
    bot.click("U0ALICE", button(dm, "Start this path"), channel="DALICE")
    assert "It is in your My path already." in [c.text for c in bot.replies()]
    with bot.runtime.sessions() as session:
        assert [e.user_id for e in session.scalars(select(PathEnrolment))] == ["U0ALICE"]
    bot.command("U0ALICE", "path")
    assert "*Laser cutter lens course* · 0 of 2 done" in all_text(bot.last_reply())


def test_the_digest_shows_completion_per_team_and_whether_questions_on_a_paths_topic_went_down(bot: Harness) -> None:
    card, owned = ship_as_path(bot)
    bot.click("U0TRAINER", button(owned, "Publish a path"), channel="DTRAINER")
    bot.submit("U0TRAINER", bot.slack.calls_to("views.open")[-1].params["view"],
               {"title": "Laser cutter lens course", "path_steps": "Laser cutter lens change", "due": COURSE_DUE})
    bot.submit(SUPERVISOR, path_form(bot, SUPERVISOR), {"title": "VPN for field staff", "path_steps": STEPS,
                                                         "path_team": "Field", "due": DUE})
    finish(bot, "U0BOB", "DBOB")
    bot.runtime.clock.advance(timedelta(days=1))
    bot.command("U0CAROL", LASER[1])  # the topic again, after the path

    bot.runtime.clock.advance(timedelta(days=6))  # Monday 12 Jan, 09:00: the digest of 2026-W02
    sweep(bot.runtime, bot.outbox.deliver_due)
    [digest] = [c for c in bot.posts("C0DIGEST") if "2026-W02" in c.text]
    text = all_text(digest)
    assert "*Learning paths: completion per team*\n• Field: 1 of 2 finished" in texts(digest.blocks)
    assert ("• laser cutter: 3 questions in the 4 weeks before the path “Laser cutter lens course”, 1 since (1 week)"
            in text.replace(card.label, "laser cutter"))

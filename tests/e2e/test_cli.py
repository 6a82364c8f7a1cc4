"""The `learnbot` command as a user runs it: imports, ask, config, console."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot import andon, asking, learning_needs
from bot.clock import ManualClock
from bot.config import Settings
from bot.local.slack import LocalSlack
from bot.runtime import open_runtime
from store.db import make_engine, session_factory
from store.models import LibraryItem, Team, TeamMember
from tests.e2e.helpers import learnbot

CONTENT = """title,url,body,tags
Resetting your VPN password,https://intranet.example.com/vpn,"Open the portal, choose VPN, then Reset password.",vpn; password
,https://intranet.example.com/untitled,no title here,
Booking time off,https://intranet.example.com/time-off,"Request holidays in the HR portal.",holiday; leave; pto
Bad link,ftp://files.example.com/x,,
"""


def test_import_content_reports_bad_lines_imports_the_rest_and_updates_on_reimport(tmp_path: Path) -> None:
    (tmp_path / "content.csv").write_text(CONTENT)
    first = learnbot(tmp_path, "import", "content", "content.csv")
    assert first.returncode == 0
    assert "content.csv:3: missing title" in first.stderr
    assert "content.csv:5: url must start with http:// or https://" in first.stderr
    assert first.stdout.strip() == "content: 2 added, 0 updated, 0 unchanged, 2 bad lines skipped"

    (tmp_path / "content.csv").write_text(CONTENT.replace("Request holidays", "Request time off"))
    second = learnbot(tmp_path, "import", "content", "content.csv")
    assert second.stdout.strip() == "content: 0 added, 1 updated, 1 unchanged, 2 bad lines skipped"


def test_import_json_lines_with_a_malformed_line(tmp_path: Path) -> None:
    (tmp_path / "items.jsonl").write_text(
        '{"title": "Forklift pre-use check", "tags": ["forklift", "safety"]}\n{not json\n["a list"]\n')
    result = learnbot(tmp_path, "import", "content", "items.jsonl")
    assert "items.jsonl:2: not valid JSON" in result.stderr and "items.jsonl:3: expected a JSON object" in result.stderr
    assert result.stdout.startswith("content: 1 added")


def test_ask_json_routes_like_learn_one_object_per_stdin_line(tmp_path: Path) -> None:
    (tmp_path / "content.csv").write_text(CONTENT)
    (tmp_path / "experts.csv").write_text("user_id,topics\nU0BOB,\"forklift, warehouse\"\nnot-a-user,x\n")
    learnbot(tmp_path, "import", "content", "content.csv")
    experts = learnbot(tmp_path, "import", "experts", "experts.csv")
    assert "experts.csv:3: user_id must be a Slack user ID" in experts.stderr
    assert experts.stdout.strip() == "experts: 2 topics added for 1 person, 1 bad line skipped"

    result = learnbot(tmp_path, "ask", "--json", "--limit", "2",
                      stdin="how do i reset my vpn pasword\nwho trains forklift drivers?\n\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == ["how do i reset my vpn pasword", "who trains forklift drivers?", ""]
    vpn, forklift, empty = lines
    assert vpn["confident"] is True
    assert vpn["content"][0]["title"] == "Resetting your VPN password"
    assert vpn["content"][0]["url"] == "https://intranet.example.com/vpn"
    assert 0 <= vpn["content"][0]["score"] <= 100 and len(vpn["content"]) <= 2
    assert forklift["confident"] is False and forklift["experts"][0]["user_id"] == "U0BOB"
    assert empty == {"question": "", "confident": False, "content": [], "experts": [], "similar_questions": []}
    assert set(vpn) == {"question", "confident", "content", "experts", "similar_questions"}


def test_ask_explain_shows_why(tmp_path: Path) -> None:
    (tmp_path / "content.csv").write_text(CONTENT)
    (tmp_path / "synonyms.txt").write_text("pto, vacation, time off\nlonely\n")
    learnbot(tmp_path, "import", "content", "content.csv")
    synonyms = learnbot(tmp_path, "import", "synonyms", "synonyms.txt")
    assert "synonyms.txt:2:" in synonyms.stderr and synonyms.stdout.startswith("synonyms: 1 group added")
    result = learnbot(tmp_path, "ask", "--explain", "how do I book vacation")
    assert "Booking time off" in result.stdout
    assert "terms:" in result.stdout and "vacation" in result.stdout


def test_ask_sees_every_item_and_with_as_only_what_that_person_sees(tmp_path: Path) -> None:
    (tmp_path / "content.csv").write_text(CONTENT)
    learnbot(tmp_path, "import", "content", "content.csv")
    runtime = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'learnbot.db'}"), load_index=False)
    with runtime.sessions() as session:
        now = runtime.clock.now()
        team = Team(name="IT", created_at=now)
        session.add(team)
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id="U0ANA", created_at=now))
        vpn = session.scalars(select(LibraryItem).where(LibraryItem.title.startswith("Resetting"))).one()
        vpn.audience_id = team.id
        session.commit()
    runtime.engine.dispose()

    def titles(*args: str) -> list[str]:
        result = learnbot(tmp_path, "ask", "--json", *args, "reset my vpn password")
        assert result.returncode == 0, result.stderr
        return [hit["title"] for hit in json.loads(result.stdout)["content"]]

    assert titles()[:1] == ["Resetting your VPN password"]  # the admin tool sees every item
    assert titles("--as", "U0ANA")[:1] == ["Resetting your VPN password"]
    assert "Resetting your VPN password" not in titles("--as", "U0BOB")
    bad = learnbot(tmp_path, "ask", "--as", "bob", "vpn")
    assert bad.returncode == 2 and "--as takes a Slack user id" in bad.stderr


def test_config_masks_secrets_and_bad_values_stop_with_one_line(tmp_path: Path) -> None:
    shown = learnbot(tmp_path, "config", SLACK_BOT_TOKEN="xoxb-1234567890-secretpart",
                     LEARNBOT_ANSWER_SLA="30m")
    assert shown.returncode == 0
    assert "secretpart" not in shown.stdout and "SLACK_BOT_TOKEN" in shown.stdout
    assert "LEARNBOT_ANSWER_SLA" in shown.stdout and "30m" in shown.stdout

    bad = learnbot(tmp_path, "config", LEARNBOT_ANSWER_SLA="soon")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "LEARNBOT_ANSWER_SLA" in bad.stderr


def test_run_needs_a_help_channel(tmp_path: Path) -> None:
    result = learnbot(tmp_path, "run", SLACK_BOT_TOKEN="xoxb-1234567890-secretpart", SLACK_SIGNING_SECRET="s")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "LEARNBOT_HELP_CHANNEL is required" in result.stderr


def test_config_shows_the_channels_and_the_outbox(tmp_path: Path, slack: LocalSlack) -> None:
    slack.add_channel("G0PRIVATE", "private", private=True)
    assert learnbot(tmp_path, "db", "upgrade").returncode == 0
    shown = learnbot(tmp_path, "config", SLACK_BOT_TOKEN="xoxb-1234567890-secretpart", SLACK_API_URL=slack.api_url,
                     LEARNBOT_HELP_CHANNEL="C0HELP", LEARNBOT_ANDON_CHANNEL="G0PRIVATE").stdout
    assert re.search(r"channel help +member", shown)
    assert re.search(r"channel andon +channel_not_found: check the ID, or invite @learnbot", shown)
    assert re.search(r"outbox +0 pending, 0 failed", shown)
    assert slack.calls_to("conversations.join") == []  # config only looks


def test_db_upgrade(tmp_path: Path) -> None:
    result = learnbot(tmp_path, "db", "upgrade")
    assert result.returncode == 0 and "database is up to date" in result.stdout
    assert (tmp_path / "learnbot.db").exists()


def test_console_script_asks_presses_a_button_and_routes(tmp_path: Path) -> None:
    script = "\n".join([
        "/learn how do i reset my vpn pasword",
        "press 1",
        "as bob",
        "/learn <!channel> how often is the torque wrench calibrated?",
        "/learn",
        "frobnicate",
    ]) + "\n"
    result = learnbot(tmp_path, "console", "--demo", stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Loaded the demo library: 10 items, 3 experts, 3 teams, 8 competencies." in out
    assert "Resetting your VPN password (https://intranet.example.com/it/vpn-password)" in out
    assert "[1] This answered it" in out and "Glad it helped!" in out and "(replaces m1)" in out
    assert "You are now bob" in out
    assert "learnbot in #help" in out and "@bob asked:" in out
    assert "<!channel> how often is the torque wrench calibrated?" in out  # shown literally, unescaped for reading
    assert "I've asked your colleagues in #help" in out
    assert "/learn <your question>" in out
    assert "Unknown command 'frobnicate'" in out


def test_import_slack_export_then_ask_routes_to_who_answered(tmp_path: Path) -> None:
    export = Path(__file__).resolve().parents[1] / "fixtures" / "slack_export"
    result = learnbot(tmp_path, "import", "slack-export", str(export))
    assert result.returncode == 0
    assert "4 questions and 4 answers added" in result.stdout
    assert "2024-03-07.json: not valid JSON" in result.stderr
    again = learnbot(tmp_path, "import", "slack-export", str(export))
    assert "0 questions and 0 answers added" in again.stdout and "4 already imported" in again.stdout
    routed = json.loads(learnbot(tmp_path, "ask", "--json", "how do I charge the forklift battery?").stdout)
    assert routed["experts"][0]["user_id"] == "U01FRANK"
    assert "forklift battery" in routed["similar_questions"][0]["text"]


def test_digest_dry_run_prints_both_versions_and_writes_the_chart(tmp_path: Path) -> None:
    result = learnbot(tmp_path, "digest", "--dry-run", "--week", "2026-W47", "--out", "charts")
    assert result.returncode == 0, result.stderr
    assert "===== TEAM DIGEST =====" in result.stdout and "===== MANAGERS' DIGEST =====" in result.stdout
    assert "LEARNBOT WEEKLY DIGEST · 2026-W47" in result.stdout
    assert (tmp_path / "charts" / "learnbot-2026-W47.png").read_bytes().startswith(b"\x89PNG")
    bad = learnbot(tmp_path, "digest", "--dry-run", "--week", "last tuesday")
    assert bad.returncode == 2 and "expected a week such as 2026-W47" in bad.stderr


def andon_history(tmp_path: Path) -> None:
    """Two cards in the store at tmp_path: a laser-cutter card with a planned course (three questions,
    one anonymous, from two people) and a resolved forklift card."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'learnbot.db'}", help_channel="C0HELP",
                        andon_channel="C0ANDON", managers=("U0MANAGER",))
    runtime = open_runtime(settings, ManualClock())
    asked = [("U0ALICE", "How do I recalibrate the laser cutter after a lens change?", False),
             ("U0BOB", "laser cutter recalibration after changing the lens", True),
             ("U0ALICE", "who recalibrates the laser cutter, lens changed?", False),
             ("U0CAROL", "Where is the forklift licence renewal form?", False)]
    with runtime.sessions() as session:
        for asker, text, anonymous in asked:
            asking.ask(session, runtime.index, settings, runtime.clock.now(), asker_id=asker, text=text,
                       asked_in="C0GENERAL", anonymous=anonymous)
        runtime.clock.advance(settings.answer_sla)
        andon.sweep_andon(session, settings, runtime.clock.now())
        laser, forklift = (card for card, *_ in andon.open_cards(session))
        learning_needs.plan_course(session, settings, runtime.clock.now(), card_id=laser.id, user_id="U0MANAGER",
                                   need="Laser lens course", owner="U0TRAINER", due=runtime.clock.now().date())
        andon.resolve(session, settings, runtime.clock.now(), card_id=forklift.id, user_id="U0MANAGER",
                      title="Forklift licence renewal", url=None, summary="")
    runtime.engine.dispose()


def test_andon_export_json_has_one_object_per_card_with_its_questions(tmp_path: Path) -> None:
    andon_history(tmp_path)
    result = learnbot(tmp_path, "andon", "export", "--format", "json")
    assert result.returncode == 0, result.stderr
    laser, forklift = json.loads(result.stdout)
    assert (laser["state"], laser["questions_count"], laser["askers"]) == ("course_planned", 3, 2)
    assert (laser["need"], laser["need_owner"], laser["need_due"], laser["need_shipped_at"]) == (
        "Laser lens course", "U0TRAINER", "2026-01-05", None)
    assert [q["asker"] for q in laser["questions"]] == ["U0ALICE", None, "U0ALICE"]  # anonymous: no name
    assert laser["questions"][0]["text"] == "How do I recalibrate the laser cutter after a lens change?"
    assert laser["questions"][0]["asked_at"] == "2026-01-05T09:00:00+00:00"
    assert laser["questions"][0]["question_status"] == "routed" and laser["age_hours"] > 4
    assert (forklift["state"], forklift["resolved_by"], forklift["need"]) == ("resolved", "U0MANAGER", None)
    assert forklift["questions"][0]["question_status"] == "resolved"
    assert forklift["questions"][0]["question_age_hours"] == 4.0  # asked to resolved


def test_andon_export_csv_has_one_row_per_question_with_the_cards_columns(tmp_path: Path) -> None:
    andon_history(tmp_path)
    result = learnbot(tmp_path, "andon", "export", "--out", "cards.csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "andon export: 2 card(s), 4 question(s) written to cards.csv"
    with (tmp_path / "cards.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["state"], r["askers"], r["asker"]) for r in rows] == [
        ("course_planned", "2", "U0ALICE"), ("course_planned", "2", ""), ("course_planned", "2", "U0ALICE"),
        ("resolved", "1", "U0CAROL")]
    assert rows[0]["need_owner"] == "U0TRAINER" and rows[3]["need_owner"] == ""
    assert rows[3]["text"] == "Where is the forklift licence renewal form?"


def test_import_takes_owners_and_library_stale_lists_what_is_due(tmp_path: Path) -> None:
    (tmp_path / "owned.csv").write_text("title,url,owner\nVPN,https://x.example.com/vpn,U0CAROL\n"
                                        "Wi-Fi,https://x.example.com/wifi,\nBad,https://x.example.com/bad,carol\n")
    imported = learnbot(tmp_path, "import", "content", "owned.csv", "--owner", "U0DAN")
    assert "owned.csv:4: owner must be a Slack user ID" in imported.stderr
    assert learnbot(tmp_path, "library", "stale").stdout.strip() == "Nothing is due for review."

    runtime = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'learnbot.db'}"), load_index=False)
    with runtime.sessions() as session:
        for item in session.scalars(select(LibraryItem)):
            item.review_on = date(2026, 1, 5)
        session.commit()
    runtime.engine.dispose()

    rows = [json.loads(line) for line in learnbot(tmp_path, "library", "stale", "--json").stdout.splitlines()]
    assert [(r["title"], r["owner"], r["due_since"], r["uses"]) for r in rows] == [
        ("VPN", "U0CAROL", "2026-01-05T00:00:00+00:00", 0), ("Wi-Fi", "U0DAN", "2026-01-05T00:00:00+00:00", 0)]
    assert "#1 VPN: U0CAROL, due since 2026-01-05, 0 uses" in learnbot(tmp_path, "library", "stale").stdout


def test_role_grant_list_and_revoke_keep_the_env_managers_as_root(tmp_path: Path) -> None:
    env = {"LEARNBOT_MANAGERS": "U0MANAGER"}
    assert learnbot(tmp_path, "role", "grant", "learning_manager", "U0DAVE", **env).stdout.strip() == \
        "U0DAVE granted learning_manager"
    learnbot(tmp_path, "role", "grant", "content_owner", "U0CAROL", **env)
    listed = learnbot(tmp_path, "role", "list", **env).stdout.splitlines()
    assert listed[0] == "learning_manager U0MANAGER (LEARNBOT_MANAGERS)"
    assert [line.split(" (")[0] for line in listed[1:]] == ["learning_manager U0DAVE", "content_owner U0CAROL"]

    root = learnbot(tmp_path, "role", "revoke", "learning_manager", "U0MANAGER", **env)
    assert "through LEARNBOT_MANAGERS" in root.stdout
    assert learnbot(tmp_path, "role", "revoke", "learning_manager", "U0DAVE", **env).stdout.strip() == \
        "U0DAVE revoked learning_manager"
    assert "U0DAVE" not in learnbot(tmp_path, "role", "list", **env).stdout

    bad = learnbot(tmp_path, "role", "grant", "boss", "not-a-user", **env)
    assert bad.returncode == 2 and "ROLE" in bad.stderr
TEAMS = """team,user_id,role,parent
Support,U0SAM,supervisor,Customer
Support,U0ALICE,,Customer
Support,bob,,Customer
Sales,U0ALICE,chief,Customer
Sales,U0CAROL,member,Customer
"""


def test_import_teams_reports_bad_lines_and_a_second_import_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "teams.csv").write_text(TEAMS)
    first = learnbot(tmp_path, "import", "teams", "teams.csv")
    assert first.returncode == 0
    assert "teams.csv:4: user_id must be a Slack user ID" in first.stderr
    assert "teams.csv:5: role must be member or supervisor, got 'chief'" in first.stderr
    assert first.stdout.strip() == ("teams: 3 teams (3 created), 3 memberships: 3 added, 0 changed, 0 removed; "
                                    "2 bad lines")

    second = learnbot(tmp_path, "import", "teams", "teams.csv")
    assert second.stdout.strip() == ("teams: 3 teams (0 created), 3 memberships: 0 added, 0 changed, 0 removed; "
                                     "2 bad lines")

    (tmp_path / "teams.csv").write_text("team,user_id,role,parent\nSupport,U0SAM,member,Customer\n")
    third = learnbot(tmp_path, "import", "teams", "teams.csv")
    assert third.stdout.strip() == ("teams: 2 teams (0 created), 1 membership: 0 added, 1 changed, 1 removed; "
                                    "0 bad lines")


def test_import_competencies_from_a_json_array_then_csv_with_an_unknown_parent(tmp_path: Path) -> None:
    (tmp_path / "framework.json").write_text(json.dumps([{"id": "it", "name": "IT basics"},
                                                         {"id": "vpn", "name": "Remote access", "parent": "it"}]))
    first = learnbot(tmp_path, "import", "competencies", "framework.json")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "competencies: 2 added, 0 updated, 0 unchanged, 0 bad lines skipped"

    (tmp_path / "framework.csv").write_text("id,name,parent\nvpn,VPN,it\nwifi,Wi-Fi,radio\n,nameless,\n")
    second = learnbot(tmp_path, "import", "competencies", "framework.csv")
    assert "framework.csv:3: unknown parent 'radio'" in second.stderr
    assert "framework.csv:4: missing id" in second.stderr
    assert second.stdout.strip() == "competencies: 0 added, 1 updated, 0 unchanged, 2 bad lines skipped"


def test_teams_sync_makes_a_teams_user_group_members_match_slack_keeping_imported_ones(
        tmp_path: Path, slack: LocalSlack) -> None:
    (tmp_path / "teams.csv").write_text("team,user_id,role,parent,usergroup\nSupport,U0SAM,supervisor,,S0SUPPORT\n"
                                        "Sales,U0CAROL,,,S0GONE\n")
    learnbot(tmp_path, "import", "teams", "teams.csv")
    slack.usergroups["S0SUPPORT"] = ["U0ALICE", "U0BOB", "U0SAM"]
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": slack.api_url}

    first = learnbot(tmp_path, "teams", "sync", **env)
    assert first.stdout.strip() == "user groups: 1 team synced, 2 added, 0 removed; Sales: no_such_subteam"
    assert first.returncode == 1  # a group Slack would not list: Sales keeps what it had
    assert [c.params["usergroup"] for c in slack.calls_to("usergroups.users.list")] == ["S0GONE", "S0SUPPORT"]

    slack.usergroups["S0SUPPORT"] = ["U0BOB"]  # alice left the group; sam is in the team file, not only the group
    second = learnbot(tmp_path, "teams", "sync", **env)
    assert second.stdout.strip().startswith("user groups: 1 team synced, 0 added, 1 removed")
    with session_factory(make_engine(f"sqlite:///{tmp_path / 'learnbot.db'}"))() as session:
        members = session.execute(select(TeamMember.user_id, TeamMember.source).join(Team).where(Team.name == "Support")
                                  .order_by(TeamMember.user_id)).all()
    assert [tuple(m) for m in members] == [("U0BOB", "usergroup"), ("U0SAM", "import")]


def test_a_group_member_the_team_file_then_lists_stays_when_they_leave_the_group(tmp_path: Path, slack: LocalSlack) -> None:
    (tmp_path / "teams.csv").write_text("team,user_id,role,parent,usergroup\nSupport,U0SAM,supervisor,,S0SUPPORT\n")
    learnbot(tmp_path, "import", "teams", "teams.csv")
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": slack.api_url}
    slack.usergroups["S0SUPPORT"] = ["U0ALICE"]
    learnbot(tmp_path, "teams", "sync", **env)  # alice joins through the group
    (tmp_path / "teams.csv").write_text("team,user_id,role,parent,usergroup\nSupport,U0SAM,supervisor,,S0SUPPORT\n"
                                        "Support,U0ALICE,supervisor,,S0SUPPORT\n")
    learnbot(tmp_path, "import", "teams", "teams.csv")  # ...and the file makes her a supervisor
    slack.usergroups["S0SUPPORT"] = []
    assert "0 removed" in learnbot(tmp_path, "teams", "sync", **env).stdout

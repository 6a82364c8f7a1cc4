"""Importing teams and the competency framework: create, re-import as the truth for the listed teams, idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import ManualClock
from bot.config import Settings
from bot.importing import parse_competencies, parse_teams
from bot.runtime import Runtime, open_runtime
from bot.team_import import CompetencyImport, TeamImport, import_competencies, import_teams
from store.models import Competency, Team, TeamMember, TeamRole

TEAMS = """team,user_id,role,parent
Support,U0SAM,supervisor,Customer
Support,U0ALICE,,Customer
Support,U0BOB,member,Customer
Sales,U0CAROL,member,Customer
Sales,U0ALICE,member,Customer
"""


@pytest.fixture
def runtime(database_url: str, clock: ManualClock) -> Iterator[Runtime]:
    """Both backends: the import deletes and re-parents rows under foreign keys."""
    rt = open_runtime(Settings(database_url=database_url), clock, load_index=False)
    yield rt
    rt.engine.dispose()


def teams_from(runtime: Runtime, tmp_path: Path, text: str) -> TeamImport:
    path = tmp_path / "teams.csv"
    path.write_text(text, encoding="utf-8")
    with runtime.sessions() as session:
        return import_teams(session, parse_teams(path).rows, runtime.clock.now())


def competencies_from(runtime: Runtime, tmp_path: Path, text: str, name: str = "competencies.csv") -> CompetencyImport:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with runtime.sessions() as session:
        return import_competencies(session, parse_competencies(path).rows)


def state(session: Session) -> tuple[dict[str, str | None], set[tuple[str, str, str, str]]]:
    """(parent name by team name, {(team, person, role, source)})."""
    names = {t.id: t.name for t in session.scalars(select(Team))}
    parents = {t.name: names.get(t.parent_id) if t.parent_id else None for t in session.scalars(select(Team))}
    members = {(names[m.team_id], m.user_id, str(m.role), m.source) for m in session.scalars(select(TeamMember))}
    return parents, members


def test_import_creates_teams_the_department_and_people_in_several_teams(runtime: Runtime, tmp_path: Path) -> None:
    report = teams_from(runtime, tmp_path, TEAMS)

    assert report.summary(0) == "3 teams (3 created), 5 memberships: 5 added, 0 changed, 0 removed; 0 bad lines"
    with runtime.sessions() as session:
        parents, members = state(session)
    assert parents == {"Support": "Customer", "Sales": "Customer", "Customer": None}
    assert {(t, u, r) for t, u, r, _ in members if u == "U0ALICE"} == {("Support", "U0ALICE", "member"),
                                                                      ("Sales", "U0ALICE", "member")}
    assert ("Support", "U0SAM", "supervisor", "import") in members


def test_reimport_updates_role_and_parent_removes_a_dropped_member_and_keeps_a_usergroup_one(
        runtime: Runtime, tmp_path: Path) -> None:
    teams_from(runtime, tmp_path, TEAMS)
    with runtime.sessions() as session:
        support = session.scalar(select(Team).where(Team.name == "Support"))
        assert support is not None
        session.add(TeamMember(team_id=support.id, user_id="U0FRANK", role=TeamRole.MEMBER, source="usergroup",
                               created_at=runtime.clock.now()))
        session.commit()
    changed = TEAMS.replace("Support,U0BOB,member,Customer\n", "") \
        .replace("Support,U0ALICE,,", "Support,U0ALICE,supervisor,")
    changed = changed.replace("Sales,U0CAROL,member,Customer", "Sales,U0CAROL,member,Commerce") \
        .replace("Sales,U0ALICE,member,Customer", "Sales,U0ALICE,member,")

    report = teams_from(runtime, tmp_path, changed)

    assert report.summary(0) == "4 teams (1 created), 4 memberships: 0 added, 1 changed, 1 removed; 0 bad lines"
    with runtime.sessions() as session:
        parents, members = state(session)
    assert parents["Sales"] == "Commerce" and parents["Support"] == "Customer"
    assert ("Support", "U0ALICE", "supervisor", "import") in members
    assert not any(u == "U0BOB" for _, u, _, _ in members)
    assert ("Support", "U0FRANK", "member", "usergroup") in members


def test_importing_the_same_file_twice_changes_nothing_the_second_time(runtime: Runtime, tmp_path: Path) -> None:
    teams_from(runtime, tmp_path, TEAMS)
    with runtime.sessions() as session:
        before = state(session)

    again = teams_from(runtime, tmp_path, TEAMS)

    assert (again.created, again.added, again.changed, again.removed) == (0, 0, 0, 0)
    with runtime.sessions() as session:
        assert state(session) == before


def test_a_team_only_named_as_a_parent_keeps_its_people(runtime: Runtime, tmp_path: Path) -> None:
    teams_from(runtime, tmp_path, "team,user_id,role,parent\nCustomer,U0DAVE,supervisor,\n")

    report = teams_from(runtime, tmp_path, "team,user_id,role,parent\nSupport,U0SAM,supervisor,Customer\n")

    assert report.removed == 0
    with runtime.sessions() as session:
        assert ("Customer", "U0DAVE", "supervisor", "import") in state(session)[1]


COMPETENCIES = "id,name,parent\nit,IT basics,\nvpn,Remote access,it\nlean,Lean,\n"


def test_competencies_create_update_and_idempotent(runtime: Runtime, tmp_path: Path) -> None:
    first = competencies_from(runtime, tmp_path, COMPETENCIES)
    assert (first.added, first.updated, first.unchanged, first.errors) == (3, 0, 0, [])

    second = competencies_from(runtime, tmp_path, COMPETENCIES)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 3)

    third = competencies_from(runtime, tmp_path, '[{"id": "vpn", "name": "VPN and remote work", "parent": "lean"}]',
                              "c.json")
    assert (third.added, third.updated, third.unchanged) == (0, 1, 0)
    with runtime.sessions() as session:
        vpn = session.get(Competency, "vpn")
        assert vpn is not None and (vpn.name, vpn.parent_id) == ("VPN and remote work", "lean")


def test_competency_with_an_unknown_parent_or_a_loop_through_the_database_is_a_bad_line(
        runtime: Runtime, tmp_path: Path) -> None:
    competencies_from(runtime, tmp_path, COMPETENCIES)

    report = competencies_from(runtime, tmp_path, "id,name,parent\nit,IT basics,vpn\nwifi,Wi-Fi,nowhere\n"
                                                  "ssid,Networks,wifi\nmfa,MFA,it\n")

    assert report.errors == [(2, "parent 'vpn' would put competency 'it' under itself"),
                             (3, "unknown parent 'nowhere': not in the file nor in the framework"),
                             (4, "unknown parent 'wifi': not in the file nor in the framework")]
    assert report.added == 1
    with runtime.sessions() as session:
        it = session.get(Competency, "it")
        assert it is not None and it.parent_id is None
        assert session.get(Competency, "wifi") is None


def test_a_parent_that_would_loop_through_the_imported_departments_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    teams_from(runtime, tmp_path, TEAMS)

    report = teams_from(runtime, tmp_path, "team,user_id,role,parent\nCustomer,U0DAVE,supervisor,Support\n"
                                           "Customer,U0ERIN,,\nSales,U0CAROL,,Customer\n")

    assert report.errors == [(2, "parent 'Support' would put team 'Customer' under itself"),
                             (3, "parent 'Support' would put team 'Customer' under itself")]
    assert report.summary(0).endswith("; 2 bad lines")
    with runtime.sessions() as session:
        parents, members = state(session)
    assert parents == {"Support": "Customer", "Sales": "Customer", "Customer": None}
    assert not any(team == "Customer" for team, _, _, _ in members)

"""The learning-path state machine, called directly: publish and assign, members joining later, Done
(once, own steps only), reflection, finishing, done/behind/overdue, the weekly note, refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot import paths
from bot.library import Draft, upsert_item
from bot.paths import PathDraft
from bot.refusal import Refusal
from bot.runtime import Runtime
from store.models import LearningPath, PathAssignment, StepCompletion, Team, TeamMember, TeamRole
from tests.paths_setup import FIELD, OFFICE, STEPS, SUPERVISOR, Org, arrange
from tests.usecases.conftest import MANAGER, dms, reads, statements

DUE = date(2026, 1, 30)  # the clock starts on Monday 5 Jan 2026


@pytest.fixture
def org(runtime: Runtime) -> Org:
    with runtime.sessions() as session:
        return arrange(session, runtime.clock.now())


def draft(team: int | None, steps: str = STEPS, due: date | None = DUE, **changes: object) -> PathDraft:
    return PathDraft(**{"title": "VPN for field staff", "competency_id": "net", "steps": steps, "team_id": team,
                        "due": due, **changes})  # type: ignore[arg-type]


def publish(runtime: Runtime, by: str, d: PathDraft) -> int:
    with runtime.sessions() as session:
        return paths.publish(session, runtime.settings, runtime.clock.now(), user_id=by, draft=d).id


def counts(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in  # type: ignore[return-value]
                     (LearningPath, PathAssignment, StepCompletion))


def test_a_supervisor_assigns_a_path_to_their_team_and_each_member_is_told_once(runtime: Runtime, org: Org) -> None:
    path_id = publish(runtime, SUPERVISOR, draft(org.field))
    assert {a["user"] for a in dms(runtime, paths.PATH_ASSIGNED)} == set(FIELD)  # sam leads it
    with runtime.sessions() as session:
        [mine] = paths.my_paths(session, "U0ALICE")
        assert paths.my_paths(session, OFFICE) == paths.my_paths(session, SUPERVISOR) == []  # another team; its lead
    assert (mine.id, mine.title, mine.due, mine.done) == (path_id, "VPN for field staff", DUE, 0)
    assert [s.title for s in mine.steps] == ["VPN basics", "VPN setup", "VPN troubleshooting"]  # in the lines' order
    assert mine.next_step == mine.steps[0]


def test_a_department_assignment_reaches_every_team_under_it_and_members_who_join_later(runtime: Runtime,
                                                                                       org: Org) -> None:
    path_id = publish(runtime, MANAGER, draft(org.operations))
    assert {a["user"] for a in dms(runtime, paths.PATH_ASSIGNED)} == {*FIELD, OFFICE}
    with runtime.sessions() as session:
        session.add(TeamMember(team_id=org.office, user_id="U0NEW", created_at=runtime.clock.now()))
        session.commit()
        assert [p.id for p in paths.my_paths(session, "U0NEW")] == [path_id]


def test_invalid_drafts_and_unauthorised_people_change_nothing(runtime: Runtime, org: Org) -> None:
    with runtime.sessions() as session:
        errors, _ = paths.draft_errors(session, runtime.settings, runtime.clock.now(), SUPERVISOR, draft(
            org.field, steps="VPN basics\nOffice printers\nno such thing", due=date(2026, 1, 4), title=" "))
    assert errors["title"] == "Give the path a title."
    assert errors["due"] == "The due date is in the past; choose today or later."
    assert "line 2 “Office printers”: no item the team can see" in errors["steps"]  # only Office sees it
    assert "line 3 “no such thing”" in errors["steps"]
    with runtime.sessions() as session:  # an andon card's course is told to askers of any team
        errors, _ = paths.draft_errors(session, runtime.settings, runtime.clock.now(), SUPERVISOR,
                                       draft(org.field, steps="VPN basics\nVPN setup"), for_card=True)
    assert errors == {"steps": "line 2 “VPN setup”: no item everyone can see has that title or link"}
    with pytest.raises(Refusal, match="teams you lead"):
        publish(runtime, SUPERVISOR, draft(org.office))  # sam supervises Field, not Office
    with pytest.raises(Refusal, match="Only learning managers and team supervisors"):
        publish(runtime, "U0ALICE", draft(org.field))
    assert counts(runtime) == (0, 0, 0) and dms(runtime, paths.PATH_ASSIGNED) == []


def test_done_is_recorded_once_for_the_person_themselves_then_the_reflection_and_the_finish(runtime: Runtime,
                                                                                          org: Org) -> None:
    path_id = publish(runtime, SUPERVISOR, draft(org.field))
    now = runtime.clock.now()
    with runtime.sessions() as session:
        steps = paths.path_of(session, path_id, "U0ALICE").steps  # type: ignore[union-attr]
        with pytest.raises(Refusal, match="not on your path"):
            paths.complete_step(session, now, user_id=OFFICE, step_id=steps[0].id)
        with pytest.raises(Refusal, match="Mark the step done first"):
            paths.reflect(session, now, user_id="U0ALICE", step_id=steps[0].id, text="Check the split tunnel")
        first = paths.complete_step(session, now, user_id="U0ALICE", step_id=steps[0].id)
        again = paths.complete_step(session, now, user_id="U0ALICE", step_id=steps[0].id)  # a double click
        assert (first.new, again.new, first.path.done, again.path.done) == (True, False, 1, 1)
        assert paths.reflect(session, now, user_id="U0ALICE", step_id=steps[0].id,
                             text="  I will check\nthe split tunnel first ") == [SUPERVISOR]
        with pytest.raises(Refusal, match="One line"):
            paths.reflect(session, now, user_id="U0ALICE", step_id=steps[0].id, text="  ")
        [done] = session.scalars(select(StepCompletion)).all()
        assert (done.user_id, done.reflection, done.reflected_at is not None) == \
            ("U0ALICE", "I will check the split tunnel first", True)
        session.rollback()
        assert dms(runtime, paths.PATH_FINISHED) == []
        for step in steps[1:]:
            paths.complete_step(session, now, user_id="U0ALICE", step_id=step.id)
        paths.complete_step(session, now, user_id="U0ALICE", step_id=steps[-1].id)
        assert paths.path_of(session, path_id, "U0ALICE").finished  # type: ignore[union-attr]
    assert dms(runtime, paths.PATH_FINISHED) == [{"user": "U0ALICE"}]  # once


def test_the_supervisor_sees_who_is_done_behind_and_overdue_with_the_latest_reflections(runtime: Runtime,
                                                                                       org: Org) -> None:
    path_id = publish(runtime, SUPERVISOR, draft(org.field))
    now = runtime.clock.now()
    with runtime.sessions() as session:
        for step in paths.path_of(session, path_id, "U0ALICE").steps:  # type: ignore[union-attr]
            paths.complete_step(session, now, user_id="U0ALICE", step_id=step.id)
            paths.reflect(session, now, user_id="U0ALICE", step_id=step.id, text=f"<b>step {step.position}</b>")
        [team] = paths.led_progress(session, runtime.settings, SUPERVISOR, now)
        [progress] = team.paths
        assert (team.name, progress.done, progress.behind, progress.overdue) == ("Field", ["U0ALICE"], ["U0BOB"], [])
        assert [r.text for r in team.reflections] == ["<b>step 1</b>", "<b>step 2</b>", "<b>step 3</b>"][:3]
        later = now + timedelta(days=30)  # past the due date
        [team] = paths.led_progress(session, runtime.settings, SUPERVISOR, later)
        assert (team.paths[0].done, team.paths[0].behind, team.paths[0].overdue) == (["U0ALICE"], [], ["U0BOB"])
        assert paths.led_progress(session, runtime.settings, "U0BOB", now) == []  # not a supervisor
        [row] = paths.completion(session, runtime.settings.timezone, later)
        assert (row.name, row.people, row.finished, row.overdue) == ("Field", 2, 1, 1)


def test_the_weekly_team_note_is_queued_once_per_week_per_supervisor(runtime: Runtime, org: Org) -> None:
    settings = runtime.settings
    with runtime.sessions() as session:
        assert paths.queue_team_notes(session, settings, runtime.clock.now()) == 0  # no paths yet
    publish(runtime, SUPERVISOR, draft(org.field))
    with runtime.sessions() as session:
        assert paths.queue_team_notes(session, settings, runtime.clock.now()) == 1
        assert paths.queue_team_notes(session, settings, runtime.clock.now() + timedelta(days=2)) == 0
        assert paths.queue_team_notes(session, settings, runtime.clock.now() + timedelta(days=7)) == 1
    assert dms(runtime, paths.PATH_TEAM_NOTE) == [{"user": SUPERVISOR}] * 2


def test_starting_a_path_outside_ones_teams_is_an_enrolment_once(runtime: Runtime, org: Org) -> None:
    path_id = publish(runtime, SUPERVISOR, draft(org.field))
    with runtime.sessions() as session:
        assert paths.start(session, runtime.clock.now(), user_id=OFFICE, path_id=path_id) is True
        assert paths.start(session, runtime.clock.now(), user_id=OFFICE, path_id=path_id) is False
        assert paths.start(session, runtime.clock.now(), user_id="U0ALICE", path_id=path_id) is False  # assigned
        assert [p.id for p in paths.my_paths(session, OFFICE)] == [path_id]
        with pytest.raises(Refusal, match="can't find that path"):
            paths.start(session, runtime.clock.now(), user_id=OFFICE, path_id=999)


def test_a_step_named_by_a_title_with_accented_capitals_is_found(runtime: Runtime, org: Org) -> None:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        upsert_item(session, Draft("Évaluer un risque", "", "Les cinq étapes"), now)
        session.commit()
        for typed in ("Évaluer un risque", "ÉVALUER UN RISQUE"):  # its exact title; in capitals
            errors, items = paths.draft_errors(session, runtime.settings, now, SUPERVISOR,
                                               draft(org.field, steps=f"VPN basics\n{typed}"))
            assert errors == {} and len(items) == 2, typed


def test_the_digests_completion_per_team_is_one_query_however_many_teams(runtime: Runtime, org: Org) -> None:
    department = publish(runtime, MANAGER, draft(org.operations, title="VPN for Operations"))  # Field and Office
    publish(runtime, SUPERVISOR, draft(org.field))
    now = runtime.clock.now()
    later = now + timedelta(days=30)  # past the due date
    with runtime.sessions() as session:
        for step in paths.path_of(session, department, "U0ALICE").steps:  # type: ignore[union-attr]
            paths.complete_step(session, now, user_id="U0ALICE", step_id=step.id)
        for n in range(6):
            team = Team(name=f"Shift {n}", created_at=now)
            session.add(team)
            session.flush()
            session.add(TeamMember(team_id=team.id, user_id=f"U0SHIFT{n}", created_at=now))
            session.add(PathAssignment(path_id=department, team_id=team.id, assigned_by=MANAGER, assigned_at=now,
                                       due_on=DUE))
        session.commit()
        with statements(runtime.engine) as ran:
            rows = paths.completion(session, runtime.settings.timezone, later)
    assert [(r.name, r.people, r.finished, r.overdue) for r in rows] == [
        ("Operations", 3, 1, 2), ("Field", 2, 0, 2), ("Shift 0", 1, 0, 1), ("Shift 1", 1, 0, 1), ("Shift 2", 1, 0, 1)]
    assert len([s for s in ran if not s.startswith("BEGIN")]) == 1, ran  # not one per team


def test_the_weekly_notes_find_the_supervisors_in_one_query_however_many_teams_have_paths(runtime: Runtime,
                                                                                          org: Org) -> None:
    office_path = publish(runtime, MANAGER, draft(org.office))  # Office has no supervisor
    now = runtime.clock.now()
    with runtime.sessions() as session:
        for n in range(6):  # more teams with paths, none with a supervisor
            team = Team(name=f"Shift {n}", parent_id=org.operations if n % 2 else None, created_at=now)
            session.add(team)
            session.flush()
            session.add(PathAssignment(path_id=office_path, team_id=team.id, assigned_by=MANAGER, assigned_at=now,
                                       due_on=DUE))
        session.commit()
        with statements(runtime.engine) as ran:
            assert paths.queue_team_notes(session, runtime.settings, now) == 0  # nobody to tell
        assert len(reads(ran)) == 2, ran  # not per team
        publish(runtime, MANAGER, draft(org.operations))  # the department: sam supervises Field, under it
        assert paths.queue_team_notes(session, runtime.settings, now) == 1
    assert dms(runtime, paths.PATH_TEAM_NOTE) == [{"user": SUPERVISOR}]


def test_a_long_paste_of_steps_is_told_its_limit_without_a_query_per_line(runtime: Runtime, org: Org) -> None:
    with runtime.sessions() as session:
        with statements(runtime.engine) as ran:
            errors, _ = paths.draft_errors(session, runtime.settings, runtime.clock.now(), SUPERVISOR,
                                           draft(org.field, steps="VPN basics\n" * 1000))
    assert errors == {"steps": "At most 10 steps, please."}
    assert len(ran) < 20, len(ran)


def test_publishing_for_a_large_department_queues_every_members_dm_in_a_few_statements(runtime: Runtime,
                                                                                       org: Org) -> None:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        session.add_all(TeamMember(team_id=org.office, user_id=f"U0CREW{n:03d}", created_at=now) for n in range(300))
        session.commit()
        with statements(runtime.engine) as ran:
            paths.publish(session, runtime.settings, now, user_id=MANAGER, draft=draft(org.operations))
    assert len(ran) < 40, len(ran)  # not a statement or two per member: the modal waits for this
    told = [a["user"] for a in dms(runtime, paths.PATH_ASSIGNED)]
    assert sorted(told) == sorted([*FIELD, OFFICE, *(f"U0CREW{n:03d}" for n in range(300))])


def test_a_supervisor_of_many_teams_without_paths_gets_home_progress_in_as_many_statements_as_with_two(
        runtime: Runtime, org: Org) -> None:
    publish(runtime, MANAGER, draft(org.operations))  # Field, which sam leads, is under Operations
    now = runtime.clock.now()
    with runtime.sessions() as session:
        depot = Team(name="Zeta depot", created_at=now)  # sam's second team, a path of its own
        session.add(depot)
        session.flush()
        session.add_all([TeamMember(team_id=depot.id, user_id=SUPERVISOR, role=TeamRole.SUPERVISOR, created_at=now),
                         TeamMember(team_id=depot.id, user_id="U0DAVE", created_at=now)])
        session.commit()
        depot_id = depot.id
    publish(runtime, SUPERVISOR, draft(depot_id, steps="VPN basics", title="Depot safety"))

    def measured() -> tuple[list[tuple[str, list[str]]], int]:
        with runtime.sessions() as session, statements(runtime.engine) as ran:
            led = paths.led_progress(session, runtime.settings, SUPERVISOR, now)
        return [(t.name, [p.title for p in t.paths]) for t in led], len(ran)

    two, with_two = measured()
    assert two == [("Field", ["VPN for field staff"]), ("Zeta depot", ["Depot safety"])]
    with runtime.sessions() as session:
        crews = Team(name="Crews", created_at=now)  # a department without paths
        session.add(crews)
        session.flush()
        for n in range(18):  # sorted before Zeta depot, none with a path
            team = Team(name=f"Crew {n:02d}", parent_id=crews.id if n % 2 else None, created_at=now)
            session.add(team)
            session.flush()
            session.add_all([TeamMember(team_id=team.id, user_id=SUPERVISOR, role=TeamRole.SUPERVISOR, created_at=now),
                             TeamMember(team_id=team.id, user_id=f"U0CREW{n}", created_at=now)])
        session.commit()
    twenty, with_twenty = measured()
    assert twenty == two
    assert with_twenty == with_two, (with_two, with_twenty)  # not ~15 statements per supervised team


def test_a_supervisor_of_more_than_twenty_teams_sees_the_progress_of_those_with_paths_after_them(
        runtime: Runtime, org: Org) -> None:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        for n in range(25):  # by name before Field, none with a path
            team = Team(name=f"Crew {n:02d}", created_at=now)
            session.add(team)
            session.flush()
            session.add(TeamMember(team_id=team.id, user_id=SUPERVISOR, role=TeamRole.SUPERVISOR, created_at=now))
        session.commit()
    publish(runtime, SUPERVISOR, draft(org.field))
    with runtime.sessions() as session:
        [team] = paths.led_progress(session, runtime.settings, SUPERVISOR, now)
    assert (team.name, [p.title for p in team.paths]) == ("Field", ["VPN for field staff"])


def test_a_teams_progress_on_five_paths_takes_as_many_statements_as_on_one(runtime: Runtime, org: Org) -> None:
    now = runtime.clock.now()

    def measured() -> int:
        with runtime.sessions() as session:
            team = session.get_one(Team, org.field)
            with statements(runtime.engine) as ran:
                paths.team_progress(session, runtime.settings, team, now)
        return len(ran)

    publish(runtime, SUPERVISOR, draft(org.field))
    one = measured()
    for n in range(4):
        publish(runtime, SUPERVISOR, draft(org.field, title=f"VPN, part {n}"))
    assert measured() == one  # not two statements per path

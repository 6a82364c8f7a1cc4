"""bot/slack_export.py: a Slack workspace export (folder or zip) learned into questions, answers and people."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.search.changes import EXPERT, QUESTION
from bot.search.live import LiveIndex
from bot.slack_export import BadExport, ExportReport, import_export, parse_ts, read_export
from store.db import make_engine, session_factory, upgrade
from store.models import Answer, IndexChange, Person, Question

FIXTURE = Path(__file__).parent.parent / "fixtures" / "slack_export"
NOW = datetime(2024, 4, 1, 12, 0, tzinfo=timezone.utc)
WAREHOUSE, IT_HELP = "C01WAREHOUSE", "C02ITHELP"
FRANK, INGRID, ALICE, BOB, GONE = "U01FRANK", "U02INGRID", "U03ALICE", "U04BOB", "U05GONE"
FORKLIFT_CHARGE_TS = "1709542800.000100"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def run_import(sessions: sessionmaker[Session], path: Path = FIXTURE, **kwargs: int) -> ExportReport:
    with sessions() as session:
        return import_export(session, read_export(path), NOW, **kwargs)


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def zipped(folder: Path, target: Path, top: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, top + file.relative_to(folder).as_posix())
    return target


def test_report_counts(sessions: sessionmaker[Session]) -> None:
    report = run_import(sessions)

    assert (report.channels, report.threads, report.questions, report.answers, report.people) == (2, 5, 4, 4, 4)
    assert (report.already, report.unanswered) == (0, 1)
    # channel_join, channel_leave, channel_topic, channel_purpose, 3 bot messages
    assert report.skipped == 7
    assert report.summary().startswith("slack export: 5 threads in 2 channels: 4 questions and 4 answers")


def test_questions_answers_and_people_are_stored_as_imported_history(sessions: sessionmaker[Session]) -> None:
    run_import(sessions)

    with sessions() as session:
        questions = {q.thread_ts: q for q in session.scalars(select(Question))}
        charge = questions[FORKLIFT_CHARGE_TS]
        assert (charge.asker_id, charge.help_channel, charge.asked_in) == (ALICE, WAREHOUSE, WAREHOUSE)
        assert (charge.source, charge.status, charge.anonymous) == ("export", "resolved", False)
        assert charge.text == "How do I charge the forklift battery safely at the end of a shift?"
        assert charge.asked_at == charge.routed_at == datetime(2024, 3, 4, 9, 0, 0, 100, tzinfo=timezone.utc)
        assert charge.first_answer_at == datetime(2024, 3, 4, 9, 5, tzinfo=timezone.utc)
        assert charge.resolved_at == datetime(2024, 3, 4, 9, 20, tzinfo=timezone.utc)  # the asker's thanks

        answers = list(session.scalars(select(Answer).where(Answer.question_id == charge.id)))
        assert [(a.user_id, a.message_ts) for a in answers] == [(FRANK, "1709543100.000000")]
        assert answers[0].created_at == datetime(2024, 3, 4, 9, 5, tzinfo=timezone.utc)
        assert answers[0].text == ("Park the forklift at the charging bay, switch it off, plug in the charger & wait "
                                   "for the green light. Gloves on <always>.")
        assert answers[0].accepted_at is None and answers[0].deleted_at is None

        by_channel = sorted((q.help_channel, q.asker_id) for q in questions.values())
        assert by_channel == sorted([(IT_HELP, ALICE), (IT_HELP, BOB), (WAREHOUSE, ALICE), (WAREHOUSE, BOB)])
        vpn = next(q for q in questions.values() if q.text.startswith("My VPN"))
        vpn_answer = session.scalar(select(Answer.text).where(Answer.question_id == vpn.id))
        assert vpn_answer == ("Update the VPN client to 5.2 from the portal (https://it.example.com/vpn); "
                              "ping @U02INGRID if it persists.")  # Slack's markup decoded once, on the way in

        names = {user_id: name for user_id, name in session.execute(select(Person.user_id, Person.name))}
        assert names == {FRANK: "Frank Miller", INGRID: "Ingrid (IT)", ALICE: "Alice Moreau", BOB: "Bob Okafor"}


def test_replies_across_days_count_and_bots_joins_askers_and_departed_people_do_not(
        sessions: sessionmaker[Session]) -> None:
    run_import(sessions)

    with sessions() as session:
        rows = session.execute(select(Question.text, Answer.user_id, Answer.text)
                               .join(Answer, Answer.question_id == Question.id).order_by(Answer.created_at)).all()
        texts = [q for q, _, _ in rows]
        assert "Where is the forklift pre-shift inspection checklist for the warehouse?" in texts  # reply next day
        assert {user for _, user, _ in rows} == {FRANK, INGRID}  # not the asker, the bot or the departed
        assert not any("pallet jack" in q for q in texts)  # only the asker and a bot replied
        assert not session.scalar(select(Question.id).where(Question.text.contains("pallet jack")))
        assert not session.scalar(select(Question.id).where(Question.text.contains("Good morning")))
        reset = session.scalar(select(Question).where(Question.text == "How do I reset my VPN password?"))
        assert reset is not None
        assert reset.first_answer_at == datetime(2024, 3, 5, 11, 10, tzinfo=timezone.utc)  # the departed replied first
        assert session.get(Person, GONE) is None


def test_a_malformed_day_file_is_reported_and_the_rest_imported(sessions: sessionmaker[Session]) -> None:
    report = run_import(sessions)

    assert len(report.errors) == 1
    assert report.errors[0].path == str(FIXTURE / "warehouse" / "2024-03-07.json")
    assert "not valid JSON" in report.errors[0].message
    assert count(sessions, Question) == 4


def test_index_changes_are_logged_for_each_question_and_answerer(sessions: sessionmaker[Session]) -> None:
    run_import(sessions)

    with sessions() as session:
        changes = session.execute(select(IndexChange.kind, IndexChange.ref)).all()
        question_ids = {str(i) for i in session.scalars(select(Question.id))}
    assert {ref for kind, ref in changes if kind == QUESTION} == question_ids
    assert sorted(ref for kind, ref in changes if kind == EXPERT) == [FRANK, INGRID]


@pytest.mark.parametrize("top", ["", "Acme Slack export Mar 1 2024 - Mar 7 2024/"])
def test_a_zip_imports_exactly_like_the_folder(sessions: sessionmaker[Session], tmp_path: Path, top: str) -> None:
    archive = zipped(FIXTURE, tmp_path / "export.zip", top)

    report = run_import(sessions, archive)

    with sessions() as session:
        stored = session.execute(select(Question.help_channel, Question.thread_ts, Question.text, Question.asker_id,
                                        Question.asked_at, Question.resolved_at).order_by(Question.thread_ts)).all()
        answers = session.execute(select(Answer.user_id, Answer.message_ts, Answer.text).order_by(Answer.message_ts)).all()
    assert (report.threads, report.questions, report.answers, report.people, report.skipped) == (5, 4, 4, 4, 7)
    assert [str(e) for e in report.errors] == [
        f"{archive}:{top}warehouse/2024-03-07.json: {report.errors[0].message}"]

    folder_db = tmp_path / "folder.db"
    engine = make_engine(f"sqlite:///{folder_db}")
    upgrade(engine)
    run_import(session_factory(engine))
    with session_factory(engine)() as session:
        assert session.execute(select(Question.help_channel, Question.thread_ts, Question.text, Question.asker_id,
                                      Question.asked_at, Question.resolved_at)
                               .order_by(Question.thread_ts)).all() == stored
        assert session.execute(select(Answer.user_id, Answer.message_ts, Answer.text)
                               .order_by(Answer.message_ts)).all() == answers
    engine.dispose()


def test_importing_again_creates_nothing(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    run_import(sessions)
    rows = [count(sessions, m) for m in (Question, Answer, Person, IndexChange)]

    again = run_import(sessions)
    from_zip = run_import(sessions, zipped(FIXTURE, tmp_path / "export.zip"))

    for report in (again, from_zip):
        assert (report.threads, report.questions, report.answers, report.people) == (5, 0, 0, 0)
        assert (report.already, report.unanswered) == (4, 1)
    assert [count(sessions, m) for m in (Question, Answer, Person, IndexChange)] == rows


def test_a_later_export_adds_only_the_new_replies(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    export = shutil.copytree(FIXTURE, tmp_path / "export")
    run_import(sessions, export)
    (export / "warehouse" / "2024-03-08.json").write_text(json.dumps([
        {"type": "message", "user": INGRID, "text": "Also check the charger cable.", "ts": "1709888400.000000",
         "thread_ts": FORKLIFT_CHARGE_TS}]))

    report = run_import(sessions, export)

    assert (report.questions, report.answers, report.people, report.already) == (0, 1, 0, 4)
    with sessions() as session:
        charge = session.scalar(select(Question).where(Question.thread_ts == FORKLIFT_CHARGE_TS))
        assert charge is not None
        assert sorted(session.scalars(select(Answer.user_id).where(Answer.question_id == charge.id))) == [FRANK, INGRID]


def test_small_batches_commit_along_the_way_and_give_the_same_result(sessions: sessionmaker[Session]) -> None:
    report = run_import(sessions, batch_size=2)

    assert (report.threads, report.questions, report.answers, report.people) == (5, 4, 4, 4)
    assert count(sessions, Answer) == 4


def test_private_channels_from_groups_json(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    export = shutil.copytree(FIXTURE, tmp_path / "export")
    (export / "groups.json").write_text(json.dumps([{"id": "G07LEADS", "name": "leads"}]))
    (export / "leads").mkdir()
    (export / "leads" / "2024-03-04.json").write_text(json.dumps([
        {"type": "message", "user": BOB, "text": "Who signs off overtime for the night shift?",
         "ts": "1709550000.000000", "thread_ts": "1709550000.000000", "reply_count": 1},
        {"type": "message", "user": FRANK, "text": "The shift lead, in the rota tool.", "ts": "1709550060.000000",
         "thread_ts": "1709550000.000000"},
    ]))

    report = run_import(sessions, export)

    assert (report.channels, report.questions) == (3, 5)
    with sessions() as session:
        assert session.scalar(select(Question.help_channel).where(Question.text.contains("overtime"))) == "G07LEADS"


def test_a_live_index_routes_a_new_forklift_question_to_who_answered_forklift_threads(
        sessions: sessionmaker[Session]) -> None:
    running = LiveIndex(sessions)
    running.load(NOW)
    run_import(sessions)
    fresh = LiveIndex(sessions)
    fresh.load(NOW)
    assert running.refresh(NOW) > 0  # a bot already running picks the import up from the change log

    for index in (fresh, running):
        forklift = index.search("what's the safe way to charge a forklift battery?", limit=5)
        vpn = index.search("the VPN disconnects all the time", limit=5)

        assert forklift.experts and forklift.experts[0].id == FRANK
        assert vpn.experts and vpn.experts[0].id == INGRID
        with sessions() as session:
            charge_id = session.scalar(select(Question.id).where(Question.thread_ts == FORKLIFT_CHARGE_TS))
        assert forklift.similar_questions and forklift.similar_questions[0].id == charge_id


def test_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(BadExport):
        read_export(tmp_path / "notes.txt")
    with pytest.raises(BadExport):
        read_export(tmp_path)  # a folder without channels.json
    with pytest.raises(BadExport):
        read_export(tmp_path / "missing.zip")


def test_timestamps() -> None:
    assert parse_ts("1709542800.000100") == datetime(2024, 3, 4, 9, 0, 0, 100, tzinfo=timezone.utc)
    assert parse_ts("1709542800") == datetime(2024, 3, 4, 9, 0, tzinfo=timezone.utc)
    assert parse_ts("abc") is None and parse_ts("") is None

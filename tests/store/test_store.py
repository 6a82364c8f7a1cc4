"""Store, library, outbox and live index on SQLite and PostgreSQL, schemas built by the real migrations."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import ManualClock
from bot.library import Draft, import_items, item_key, upsert_item
from bot.local.slack import LocalSlack
from bot.search.changes import ITEM, note_change
from bot.search.live import LiveIndex
from bot.outbox import Outbox, SlackCall, enqueue
from bot.runtime import web_client
from store.db import alembic_config, make_engine, session_factory, upgrade
from store.models import Base, IndexChange, ItemState, LibraryItem, OutboxMessage
from tests.conftest import make_settings

PURPOSE = "notice"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database, migrated to head."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def row(title: str, url: str | None = None, body: str = "", tags: tuple[str, ...] = ()) -> Draft:
    return Draft(title, url, body, tags)


# -- schema ------------------------------------------------------------------------------------

def test_migrations_agree_with_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_upgrade_is_idempotent(engine: Engine, sessions: sessionmaker[Session], clock: ManualClock) -> None:
    with sessions() as session:
        upsert_item(session, row("Kept across upgrades"), clock.now())
        session.commit()

    tables = set(inspect(engine).get_table_names())

    upgrade(engine)
    upgrade(engine)

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [head]
    assert set(inspect(engine).get_table_names()) == tables
    with sessions() as session:
        assert session.scalars(select(LibraryItem.title)).all() == ["Kept across upgrades"]


def test_upgrading_from_0001_keeps_items_and_rehashes_their_keys(database_url: str) -> None:
    """Data written by the first release survives the migrations: keys become the hashed form."""
    eng = make_engine(database_url)
    try:
        upgrade(eng, "0001")
        with eng.begin() as conn:
            conn.execute(text("INSERT INTO library_items (key, title, url, body, tags, source, created_at, updated_at) "
                              "VALUES ('url:https://x.example/vpn', 'VPN', 'https://x.example/vpn', '', '', "
                              "'import', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        upgrade(eng)
        with session_factory(eng)() as session:
            [item] = session.scalars(select(LibraryItem)).all()
            assert item.key == item_key("VPN", "https://x.example/vpn")
            # 0008: kept, owned by nobody (the learning managers verify it), unverified, active, due after 90 days
            assert (item.owner_id, item.verified_at, item.state, item.review_days) == (None, None, ItemState.ACTIVE, 90)
            assert item.review_due == item.review_due_at == datetime(2026, 4, 1, tzinfo=timezone.utc)
            _, outcome = upsert_item(session, row("VPN", "https://x.example/vpn"), ManualClock().now())
            assert outcome == "unchanged"  # re-importing finds it: no duplicate
    finally:
        eng.dispose()


def test_sqlite_connections_use_wal(sqlite_url: str) -> None:
    eng = make_engine(sqlite_url)
    try:
        upgrade(eng)
        for _ in range(2):  # every pooled connection, not just the first
            with eng.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        eng.dispose()


# -- library -----------------------------------------------------------------------------------

def items(sessions: sessionmaker[Session]) -> list[tuple[str, str | None, str, str]]:
    with sessions() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(LibraryItem.title, LibraryItem.url, LibraryItem.body, LibraryItem.tags).order_by(LibraryItem.id))]


def test_upsert_item_adds_then_updates_by_url(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    with sessions() as session:
        first, outcome = upsert_item(session, row("VPN", "https://x.example.com/vpn", "old", ("vpn",)), clock.now())
        session.commit()
    assert outcome == "added"

    clock.advance(timedelta(hours=1))
    with sessions() as session:
        same, outcome = upsert_item(session, row("VPN reset", "https://x.example.com/vpn", "new", ("vpn", "sso")),
                                    clock.now())
        session.commit()
    assert outcome == "updated"
    assert same.id == first.id

    with sessions() as session:
        _, outcome = upsert_item(session, row("VPN reset", "https://x.example.com/vpn", "new", ("vpn", "sso")),
                                 clock.now())
        session.commit()
    assert outcome == "unchanged"

    assert items(sessions) == [("VPN reset", "https://x.example.com/vpn", "new", "vpn, sso")]
    with sessions() as session:
        stored = session.get_one(LibraryItem, first.id)
        assert stored.updated_at == clock.now()
        assert stored.created_at == clock.now() - timedelta(hours=1)


def test_import_items_keys_by_title_ignoring_case_and_spacing(sessions: sessionmaker[Session],
                                                              clock: ManualClock) -> None:
    batch = [row("Office  Wi-Fi", body="v1"), row("Expenses", "https://x.example.com/e", "claims"),
             row("Expenses", "https://x.example.com/other", "another item, same title")]
    with sessions() as session:
        counts = import_items(session, batch, clock.now())
        session.commit()
    assert (counts.added, counts.updated, counts.unchanged) == (3, 0, 0)

    again = [row("office wi-fi ", body="v2"), row("Expenses", "https://x.example.com/e", "claims"),
             row("OFFICE WI-FI", body="v2"), row("Parking", body="level -2")]
    with sessions() as session:
        counts = import_items(session, again, clock.now())
        session.commit()

    assert (counts.added, counts.updated, counts.unchanged) == (1, 2, 1)
    assert items(sessions) == [
        ("OFFICE WI-FI", None, "v2", ""),
        ("Expenses", "https://x.example.com/e", "claims", ""),
        ("Expenses", "https://x.example.com/other", "another item, same title", ""),
        ("Parking", None, "level -2", ""),
    ]


def test_import_logs_index_changes_only_for_real_changes(sessions: sessionmaker[Session],
                                                         clock: ManualClock) -> None:
    with sessions() as session:
        import_items(session, [row("A"), row("B")], clock.now())
        import_items(session, [row("A"), row("B", body="changed")], clock.now())
        session.commit()
        assert session.scalar(select(func.count()).select_from(IndexChange)) == 3


def test_long_urls_accepted_by_the_importer_can_be_stored(sessions: sessionmaker[Session],
                                                         clock: ManualClock) -> None:
    """The importer accepts urls up to 2,000 characters (MAX_URL): the item must be storable."""
    url = "https://intranet.example.com/wiki/" + "a" * 900
    with sessions() as session:
        _, outcome = upsert_item(session, row("A long link", url), clock.now())
        session.commit()

    assert outcome == "added"
    assert items(sessions) == [("A long link", url, "", "")]


# -- outbox ------------------------------------------------------------------------------------

def post_renderer(session: Session, ref_id: int, args: dict[str, Any]) -> SlackCall:
    return SlackCall("chat.postMessage", {"channel": args.get("channel", "C0HELP"), "text": f"message {ref_id}"})


def make_outbox(sessions: sessionmaker[Session], database_url: str, slack: LocalSlack,
                clock: ManualClock) -> Outbox:
    client = web_client(make_settings(database_url, slack))
    return Outbox(sessions, client, clock, {PURPOSE: post_renderer})


def outbox_rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_enqueue_dedupes_the_same_purpose_and_ref(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    with sessions() as session:
        assert enqueue(session, PURPOSE, 1, clock.now(), args={"channel": "C1"}) is True
        assert enqueue(session, PURPOSE, 1, clock.now(), args={"channel": "C2"}) is False
        assert enqueue(session, PURPOSE, 2, clock.now()) is True
        assert enqueue(session, "other", 1, clock.now()) is True
        assert enqueue(session, PURPOSE, 1, clock.now(), key="reminder") is True
        session.commit()
    with sessions() as session:
        assert enqueue(session, PURPOSE, 1, clock.now()) is False
        session.commit()

    rows = outbox_rows(sessions)
    assert [r.dedupe_key for r in rows] == ["notice:1", "notice:2", "other:1", "notice:1:reminder"]
    assert rows[0].args == {"channel": "C1"}


def test_concurrent_deliveries_send_each_message_exactly_once(
        database_url: str, sessions: sessionmaker[Session], slack: LocalSlack, clock: ManualClock) -> None:
    count = 30
    with sessions() as session:
        for ref in range(count):
            enqueue(session, PURPOSE, ref, clock.now(), args={"channel": "C0HELP"})
        session.commit()
    outboxes = [make_outbox(sessions, database_url, slack, clock) for _ in range(2)]
    barrier = threading.Barrier(len(outboxes))
    sent: list[int] = []
    errors: list[BaseException] = []

    def deliver(outbox: Outbox) -> None:
        try:
            barrier.wait()
            sent.append(outbox.deliver_due())
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(o,)) for o in outboxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    posts = slack.calls_to("chat.postMessage")
    assert sorted(c.text for c in posts) == sorted(f"message {ref}" for ref in range(count))
    assert sum(sent) == count
    rows = outbox_rows(sessions)
    assert all(r.sent_at == clock.now() and r.attempts == 1 and r.result_ts for r in rows)
    assert len({r.result_ts for r in rows}) == count

    clock.advance(timedelta(hours=1))
    assert outboxes[0].deliver_due() == 0
    assert len(slack.calls_to("chat.postMessage")) == count


def test_permanent_slack_error_fails_the_row_without_retrying(
        database_url: str, sessions: sessionmaker[Session], slack: LocalSlack, clock: ManualClock) -> None:
    with sessions() as session:
        enqueue(session, PURPOSE, 1, clock.now(), args={"channel": "C0GONE"})
        enqueue(session, PURPOSE, 2, clock.now(), args={"channel": "C0HELP"})
        session.commit()
    slack.fail_next("chat.postMessage", "channel_not_found")
    outbox = make_outbox(sessions, database_url, slack, clock)

    assert outbox.deliver_due() == 1
    failed_at = clock.now()
    clock.advance(timedelta(hours=2))
    assert outbox.deliver_due() == 0

    posts = slack.calls_to("chat.postMessage")
    assert [c.channel for c in posts] == ["C0GONE", "C0HELP"]
    gone, ok = outbox_rows(sessions)
    assert (gone.failed_at, gone.sent_at, gone.last_error, gone.attempts) == (failed_at, None, "channel_not_found", 1)
    assert ok.sent_at == failed_at and ok.failed_at is None and ok.result_channel == "C0HELP"


def test_ratelimited_is_retried_after_retry_after(
        database_url: str, sessions: sessionmaker[Session], slack: LocalSlack, clock: ManualClock) -> None:
    with sessions() as session:
        enqueue(session, PURPOSE, 1, clock.now(), args={"channel": "C0HELP"})
        session.commit()
    slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=30)
    outbox = make_outbox(sessions, database_url, slack, clock)
    start = clock.now()

    assert outbox.deliver_due() == 0
    (message,) = outbox_rows(sessions)
    assert message.next_attempt_at == start + timedelta(seconds=30)
    assert (message.attempts, message.last_error, message.sent_at, message.failed_at) == (1, "ratelimited", None, None)

    clock.advance(timedelta(seconds=29))
    assert outbox.deliver_due() == 0
    assert len(slack.calls_to("chat.postMessage")) == 1

    clock.advance(timedelta(seconds=1))
    assert outbox.deliver_due() == 1
    (message,) = outbox_rows(sessions)
    assert message.sent_at == start + timedelta(seconds=30)
    assert message.attempts == 2 and message.last_error is None
    assert [c.text for c in slack.calls_to("chat.postMessage")] == ["message 1", "message 1"]


# -- live index --------------------------------------------------------------------------------

@contextmanager
def two_processes(database_url: str) -> Iterator[tuple[sessionmaker[Session], sessionmaker[Session]]]:
    """Two independent engines on one database, as two processes would have."""
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        yield session_factory(engines[0]), session_factory(engines[1])
    finally:
        for eng in engines:
            eng.dispose()


def found(index: LiveIndex, query: str) -> list[int | str]:
    return [hit.id for hit in index.search(query).content]


def test_live_index_picks_up_a_change_committed_after_a_later_one(engine: Engine, database_url: str,
                                                                   clock: ManualClock) -> None:
    """PostgreSQL numbers a change when it is written, not when it commits: a long write that
    commits after a quicker one must not be skipped by a refresh that saw the quicker one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: changes commit in their order")
    with two_processes(database_url) as (writer_sessions, reader_sessions):
        reader = LiveIndex(reader_sessions)
        reader.load(clock.now())
        with writer_sessions() as slow:
            vpn, _ = upsert_item(slow, row("Resetting your VPN password", "https://x.example.com/vpn"), clock.now())
            slow.flush()  # its change is numbered, not committed yet
            with writer_sessions() as quick:
                room, _ = upsert_item(quick, row("Booking a meeting room", "https://x.example.com/room"), clock.now())
                quick.commit()
            reader.refresh(clock.now())
            assert found(reader, "book meeting room") == [room.id]
            slow.commit()
        reader.refresh(clock.now())
        assert found(reader, "reset vpn password") == [vpn.id]


def test_live_index_follows_changes_made_by_another_process(engine: Engine, database_url: str,
                                                            clock: ManualClock) -> None:
    with two_processes(database_url) as (writer_sessions, reader_sessions):
        writer, reader = LiveIndex(writer_sessions), LiveIndex(reader_sessions)
        writer.load(clock.now())
        reader.load(clock.now())

        with writer_sessions() as session:
            item, _ = upsert_item(session, row("Resetting your VPN password", "https://x.example.com/vpn",
                                               "Open the self-service portal and reset the VPN password."),
                                  clock.now())
            session.commit()
        item_id = item.id
        writer.refresh(clock.now())

        assert found(writer, "reset vpn password") == [item_id]
        assert found(reader, "reset vpn password") == []
        assert reader.refresh(clock.now()) == 1
        assert found(reader, "reset vpn password") == [item_id]
        assert reader.refresh(clock.now()) == 0

        clock.advance(timedelta(minutes=5))
        with writer_sessions() as session:
            upsert_item(session, row("Booking a meeting room", "https://x.example.com/vpn",
                                     "Use the calendar to book a meeting room."), clock.now())
            session.commit()
        reader.refresh(clock.now())
        assert found(reader, "book meeting room") == [item_id]
        assert found(reader, "reset vpn password") == []

        with writer_sessions() as session:
            session.delete(session.get_one(LibraryItem, item_id))
            note_change(session, ITEM, item_id, clock.now())
            session.commit()
        assert reader.refresh(clock.now()) == 1
        assert found(reader, "book meeting room") == []

        fresh = LiveIndex(reader_sessions)
        fresh.load(clock.now())
        assert found(fresh, "book meeting room") == []

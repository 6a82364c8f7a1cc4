"""SQLite: long reads (building the live index, planning embeddings) run in read-only sessions whose
transactions begin deferred, so in WAL a /learn question stored meanwhile does not wait for them; every
session that may write still begins IMMEDIATE (no lock upgrade that could fail with SQLITE_BUSY)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.search.changes import ITEM, note_change
from bot.search.embedder import Embedder
from bot.run.http import health
from bot.search.live import LiveIndex
from store.db import make_engine, read_only_sessions, session_factory, upgrade
from store.models import LibraryItem
from tests.semantic import real_encoder

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "learnbot.db"


@pytest.fixture
def engine(path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    sessions = session_factory(engine)
    with sessions() as session:
        session.execute(insert(LibraryItem), [dict(id=i, key=f"k{i}", title=f"Site {i} handbook", body="Badges.",
                                                   tags="", created_at=NOW, updated_at=NOW) for i in range(1, 6)])
        session.commit()
    return sessions


def can_write(path: Path) -> bool:
    """Whether another connection gets the write lock at once (timeout 0), as storing a question would."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "database is locked" in str(error)
        return False
    finally:
        other.close()


def writable_during_reads(engine: Engine, path: Path) -> list[bool]:
    """For each SELECT the engine runs from now on, whether another connection could write meanwhile."""
    seen: list[bool] = []

    def check(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(can_write(path))

    event.listen(engine, "after_cursor_execute", check)
    return seen


def test_the_database_is_in_wal_mode(sessions: sessionmaker[Session]) -> None:
    with read_only_sessions(sessions)() as session:
        assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_writer_does_not_wait_for_an_open_read_only_transaction(sessions: sessionmaker[Session],
                                                                  path: Path) -> None:
    with read_only_sessions(sessions)() as session:
        assert session.scalar(select(func.count()).select_from(LibraryItem)) == 5  # its transaction is open
        assert can_write(path)
        writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM library_items WHERE id = 5")
        writer.execute("COMMIT")
        writer.close()
        assert session.scalar(select(func.count()).select_from(LibraryItem)) == 5  # its snapshot
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(LibraryItem)) == 4
        assert not can_write(path)  # a session that may write holds the write lock from its first statement


def test_a_read_only_session_cannot_write_and_leaves_its_connection_writable(sessions: sessionmaker[Session],
                                                                            engine: Engine) -> None:
    with read_only_sessions(sessions)() as session, pytest.raises(OperationalError, match="readonly"):
        session.get(LibraryItem, 1).title = "Changed"  # type: ignore[union-attr]
        session.commit()
    assert engine.pool.checkedin() == 1  # the same pooled connection serves the writer below
    with sessions() as session:
        session.get(LibraryItem, 1).title = "Changed"  # type: ignore[union-attr]
        session.commit()
    with sessions() as session:
        assert session.get(LibraryItem, 1).title == "Changed"  # type: ignore[union-attr]


def test_building_and_refreshing_the_live_index_never_holds_the_write_lock(sessions: sessionmaker[Session],
                                                                            engine: Engine, path: Path) -> None:
    live = LiveIndex(sessions)
    seen = writable_during_reads(engine, path)
    live.load(NOW)
    assert seen and all(seen), seen
    with sessions() as session:
        session.get(LibraryItem, 2).title = "Visitor badges"  # type: ignore[union-attr]
        note_change(session, ITEM, "2", NOW)
        session.commit()
    seen.clear()
    assert live.refresh(NOW) == 1
    assert seen and all(seen), seen
    assert live.search("visitor badges").content[0].id == 2


def test_planning_embeddings_never_holds_the_write_lock(sessions: sessionmaker[Session], engine: Engine,
                                                        path: Path) -> None:
    embedder = Embedder(sessions, real_encoder("onnx"), lambda: NOW)
    seen = writable_during_reads(engine, path)
    chunks = embedder.plan()
    assert sum(len(chunk.texts) for chunk in chunks) == 5 + 5  # every item's title, then its whole text
    assert seen and all(seen), seen


def test_the_health_check_never_holds_the_write_lock(sessions: sessionmaker[Session], engine: Engine,
                                                     path: Path) -> None:
    seen = writable_during_reads(engine, path)
    report = health(engine, {}, embedding_model="some-model")
    assert report["embeddings"] == {"items": 5, "embedded": 0, "first_pass": 0, "pending": 5}
    assert seen and all(seen), seen

"""Engine and session factories, and schema upgrades through the real Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
READ_ONLY = "learnbot_read_only"  # an execution option: the transactions of `read_only_sessions`


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`.

    SQLite gets WAL, foreign keys, a busy timeout, and transactions that begin IMMEDIATE: two
    threads writing at once then wait for each other instead of one failing on a stale snapshot.
    Read-only sessions (`read_only_sessions`) begin DEFERRED instead, see `_sqlite_begin`.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30,
                                                  "isolation_level": None}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE (the write lock at once), or for a read-only connection a deferred BEGIN: in WAL
    its reads see one snapshot and hold no lock, so writers never wait for them. A read-only connection
    is also `query_only`, so a write in it fails at once rather than risk a lock upgrade (SQLITE_BUSY)."""
    read_only = bool(conn.get_execution_options().get(READ_ONLY))
    if conn.info.get(READ_ONLY, False) != read_only:  # the pragma stays with the pooled connection
        conn.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
        conn.info[READ_ONLY] = read_only
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit, so use cases can return them; ``read_only``: see
    `read_only_sessions`."""
    return sessionmaker(_read_only(engine) if read_only else engine, expire_on_commit=False)


def _read_only(engine: Engine) -> Engine:
    return engine.execution_options(**{READ_ONLY: True})


def read_only_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions like ``sessions``, on the same engine and pool, for long work that only reads (building
    the live index, planning embeddings). On SQLite their transactions begin deferred, so writers do
    not wait for them, and they cannot write; on PostgreSQL they are ordinary sessions."""
    return sessionmaker(_read_only(sessions.kw["bind"]), **{key: value for key, value in sessions.kw.items()
                                                            if key != "bind"})


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def is_reachable(engine: Engine) -> bool:
    """True when a trivial query succeeds (for /healthz)."""
    try:
        with _read_only(engine).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False

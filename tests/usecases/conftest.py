"""Use cases called directly on a SQLite session: the state machines without Slack in between."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import Engine, event, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.runtime import Runtime, open_runtime
from store.models import OutboxMessage

MANAGER = "U0MANAGER"


@pytest.fixture
def runtime(tmp_path: Path, clock: ManualClock) -> Iterator[Runtime]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'learnbot.db'}", help_channel="C0HELP",
                        andon_channel="C0ANDON", digest_channel="C0DIGEST", managers=(MANAGER,))
    rt = open_runtime(settings, clock)
    yield rt
    rt.engine.dispose()


def queued(runtime: Runtime) -> list[tuple[str, int]]:
    """What the use cases queued for Slack, oldest first: (purpose, ref id)."""
    with runtime.sessions() as session:
        return [(m.purpose, m.ref_id) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def dms(runtime: Runtime, purpose: str) -> list[dict[str, object]]:
    """The arguments (who it is for, and why) of every message queued for `purpose`, oldest first."""
    with runtime.sessions() as session:
        return [m.args for m in session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == purpose)
                                                 .order_by(OutboxMessage.id))]


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` inside the block (the list stays readable after it)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads(found: list[str]) -> list[str]:
    """The SELECT (and WITH … SELECT) statements of `found`."""
    return [s for s in found if s.lstrip().upper().startswith(("SELECT", "WITH"))]

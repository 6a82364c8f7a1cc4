"""A full build of the live index reads the database, then indexes without holding a transaction:
on SQLite a transaction holds the write lock, so every write would wait for the whole build."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert

from bot.search.live import LiveIndex
from store.db import make_engine, session_factory, upgrade
from store.models import LibraryItem

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
WORDS = "badge parking canteen forklift visitor drill licence shift locker uniform".split()


def test_writes_wait_only_for_the_reads_of_a_build_not_its_indexing(tmp_path: Path) -> None:
    path = tmp_path / "learnbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = session_factory(engine)
    body = " ".join(f"Rule {n} is about the {WORDS[n % 10]} and the {WORDS[n * 7 % 10]} {n}." for n in range(60))
    with sessions() as session:
        session.execute(insert(LibraryItem), [dict(id=i, key=f"k{i}", title=f"Site {i} handbook", body=f"{body} {i}",
                                                   tags="", created_at=NOW, updated_at=NOW) for i in range(1, 3001)])
        session.commit()
    build = threading.Thread(target=LiveIndex(sessions).load, args=(NOW,))
    started = time.perf_counter()
    build.start()
    writer = sqlite3.connect(path, timeout=60, isolation_level=None)
    longest = 0.0
    while build.is_alive():
        asked = time.perf_counter()
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("ROLLBACK")
        longest = max(longest, time.perf_counter() - asked)
        time.sleep(0.01)
    took = time.perf_counter() - started
    writer.close()
    engine.dispose()
    assert longest < took / 2, f"a write waited {longest:.2f} s of a {took:.2f} s build"

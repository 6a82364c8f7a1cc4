"""Background jobs of a running bot, with stable ids so a restart never duplicates one.

Every process delivers its outbox and follows the index change log. Only the leader sweeps and, with
semantic matching, embeds in the background what has no stored vector yet (bot.search.embedder): on
PostgreSQL the process holding an advisory lock (taken on a dedicated connection, so it lasts as
long as the process does), on SQLite the single process there is.
"""

from __future__ import annotations

import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from sqlalchemy import Connection, Engine, func, select, text

from bot.jobs import sweep
from bot.outbox import Outbox
from bot.runtime import Runtime
from bot.search.embedder import Embedder
from bot.search.live import GAP_LOOKBACK
from bot.team_sync import sync_usergroups
from store.models import IndexChange

log = logging.getLogger(__name__)

OUTBOX_EVERY_SECONDS = 5
INDEX_REFRESH_SECONDS = 2
EMBED_EVERY_SECONDS = 30  # the leader's embedding worker looks for new work this often
USERGROUP_SYNC_HOURS = 6  # teams that follow a Slack user group take its members this often
LEADER_LOCK_KEY = 0x1EA2B07  # any constant shared by every Learnbot process on the database


class Leadership:
    """Whether this process runs the once-per-deployment jobs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: Connection | None = None
        self._checking = threading.Lock()  # jobs ask from several threads; the connection is not shared

    def is_leader(self) -> bool:
        """True if this process holds (or just took) the lock; cheap to call before every job."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._checking:
            return self._check()

    def _check(self) -> bool:
        if self._held is not None:
            try:
                self._held.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - the connection died, and the lock with it
                log.warning("lost the scheduler lock's connection; will try to take it again")
                self._held = None
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.execute(select(func.pg_try_advisory_lock(LEADER_LOCK_KEY))).scalar():
            self._held = connection
            log.info("this process now runs the scheduled jobs")
            return True
        connection.close()
        return False

    def release(self) -> None:
        with self._checking:
            self._release()

    def _release(self) -> None:
        if self._held is not None:
            self._held.execute(select(func.pg_advisory_unlock(LEADER_LOCK_KEY)))
            self._held.close()
            self._held = None


def run_if_leader(runtime: Runtime, outbox: Outbox, leadership: Leadership) -> None:
    """The sweep job: a no-op in every process but the leader."""
    if leadership.is_leader():
        report = sweep(runtime, outbox.deliver_due)
        log.debug(report.summary())


def sync_if_leader(runtime: Runtime, client: WebClient, leadership: Leadership) -> None:
    """The daily user-group job: teams that follow a Slack user group take its members (leader only)."""
    if leadership.is_leader():
        log.info(sync_usergroups(runtime.sessions, client, runtime.clock.now()).summary())


def start_embedding(runtime: Runtime, leadership: Leadership, stop: threading.Event) -> threading.Thread | None:
    """With an encoder, a worker thread that, while this process leads, embeds everything missing
    (bot.search.embedder), then looks again every EMBED_EVERY_SECONDS until ``stop`` is set; it
    plans again only when the change log moved (or another embedder held some of the work)."""
    encoder = runtime.index.encoder
    if encoder is None:
        return None
    embedder = Embedder(runtime.sessions, encoder, runtime.clock.now)

    def latest_change() -> tuple[int, int]:
        """The change log's last number, and how many changes are logged up to GAP_LOOKBACK before
        it: a write that commits after a later-numbered one (PostgreSQL) moves the count."""
        with runtime.sessions() as session:
            last = session.scalar(select(func.max(IndexChange.id))) or 0
            return last, session.scalar(select(func.count()).select_from(IndexChange)
                                        .where(IndexChange.id > last - GAP_LOOKBACK)) or 0

    def work() -> None:
        done_at: tuple[int, int] | None = None  # the change log's position when nothing was left to embed
        while not stop.is_set():
            try:
                if leadership.is_leader() and (latest := latest_change()) != done_at:
                    report = embedder.run(stop=stop)
                    done_at = latest if not report.embedded and not report.busy and not report.stopped else None
                    if report.embedded:
                        log.info("embedded %s texts in the background", report.embedded)
            except Exception:  # noqa: BLE001 - a database hiccup: the next round resumes
                log.exception("background embedding failed; trying again in %s s", EMBED_EVERY_SECONDS)
            stop.wait(EMBED_EVERY_SECONDS)

    worker = threading.Thread(target=work, name="learnbot-embed", daemon=True)
    worker.start()
    return worker


def start_scheduler(runtime: Runtime, outbox: Outbox, leadership: Leadership, client: WebClient) -> BackgroundScheduler:
    """Start the jobs of this process."""
    scheduler = BackgroundScheduler(timezone=runtime.settings.timezone)
    every = dict(replace_existing=True, max_instances=1, coalesce=True)
    scheduler.add_job(outbox.deliver_due, "interval", seconds=OUTBOX_EVERY_SECONDS, id="outbox", **every)
    scheduler.add_job(lambda: runtime.index.refresh(runtime.clock.now()), "interval",
                      seconds=INDEX_REFRESH_SECONDS, id="index-refresh", **every)
    scheduler.add_job(run_if_leader, "interval", args=(runtime, outbox, leadership),
                      seconds=runtime.settings.sweep_interval.total_seconds(), id="sweep", **every)
    scheduler.add_job(sync_if_leader, "interval", args=(runtime, client, leadership), hours=USERGROUP_SYNC_HOURS,
                      id="usergroups", **every)
    scheduler.start()
    return scheduler

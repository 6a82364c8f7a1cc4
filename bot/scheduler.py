"""Background jobs of a running bot, with stable ids so a restart never duplicates one."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.outbox import Outbox
from bot.runtime import Runtime

log = logging.getLogger(__name__)

OUTBOX_EVERY_SECONDS = 5
INDEX_REFRESH_SECONDS = 2


def start_scheduler(runtime: Runtime, outbox: Outbox) -> BackgroundScheduler:
    """Every process: retry due outbox messages, and follow other processes' index changes."""
    scheduler = BackgroundScheduler(timezone=runtime.settings.timezone)
    scheduler.add_job(outbox.deliver_due, "interval", seconds=OUTBOX_EVERY_SECONDS, id="outbox",
                      replace_existing=True, max_instances=1, coalesce=True)
    scheduler.add_job(lambda: runtime.index.refresh(runtime.clock.now()), "interval",
                      seconds=INDEX_REFRESH_SECONDS, id="index-refresh", replace_existing=True,
                      max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler

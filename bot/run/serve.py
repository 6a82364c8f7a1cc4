"""`learnbot run`: the bot connected to Slack, by Socket Mode or over HTTP, with its background jobs."""

from __future__ import annotations

import logging

from bot.run.build import build_app, build_outbox
from bot.config import Settings
from bot.run.http import serve
from bot.runtime import open_runtime, web_client
from bot.run.scheduler import Leadership, start_scheduler

log = logging.getLogger(__name__)


def serve_slack(settings: Settings, host: str, port: int) -> int:
    """Run until interrupted; returns the exit status."""
    if not settings.slack_app_token and not settings.slack_signing_secret:
        log.error("SLACK_SIGNING_SECRET is required for HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)")
        return 2
    runtime = open_runtime(settings)
    client = web_client(settings)
    app = build_app(runtime, client=client, signing_secret=settings.slack_signing_secret or "socket-mode")
    leadership = Leadership(runtime.engine)
    scheduler = start_scheduler(runtime, build_outbox(runtime, client), leadership)
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack by Socket Mode")
            SocketModeHandler(app, settings.slack_app_token,
                              web_client=client).start()
        else:
            serve(app, runtime.engine, host, port,
                  on_ready=lambda bound: log.info("listening on http://%s:%s/slack/events", host, bound))
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        scheduler.shutdown(wait=False)
        leadership.release()
    return 0

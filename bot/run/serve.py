"""`learnbot run`: the bot connected to Slack, by Socket Mode or over HTTP, with its background jobs
(and, with semantic matching, the leader's embedding worker)."""

from __future__ import annotations

import logging
import threading

from bot.config import Settings
from bot.run.build import build
from bot.run.channels import MEMBER, channel_states, configured
from bot.run.http import serve
from bot.run.scheduler import Leadership, start_embedding, start_scheduler

log = logging.getLogger(__name__)


def serve_slack(settings: Settings, host: str, port: int) -> int:
    """Run until interrupted; returns the exit status."""
    if not settings.slack_app_token and not settings.slack_signing_secret:
        log.error("SLACK_SIGNING_SECRET is required for HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)")
        return 2
    bot = build(settings, signing_secret=settings.slack_signing_secret or "socket-mode")
    app = bot.app
    channels = channel_states(bot.client, settings, join=True)
    for role, channel in configured(settings).items():
        (log.info if channels[role] == MEMBER else log.warning)("%s channel %s: %s", role, channel, channels[role])
    leadership = Leadership(bot.runtime.engine)
    encoder = bot.runtime.index.encoder
    scheduler = start_scheduler(bot.runtime, bot.outbox, leadership, bot.client)
    stop = threading.Event()
    start_embedding(bot.runtime, leadership, stop)
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack by Socket Mode")
            SocketModeHandler(app, settings.slack_app_token,
                              web_client=bot.client).start()
        else:
            serve(app, bot.runtime.engine, host, port,
                  on_ready=lambda bound: log.info("listening on http://%s:%s/slack/events", host, bound),
                  channels=channels, embedding_model=encoder.model_id if encoder else None)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        stop.set()
        scheduler.shutdown(wait=False)
        leadership.release()
    return 0

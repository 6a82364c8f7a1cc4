"""The composition root: `build_app` wires settings, store, index, outbox and listeners into Bolt."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.outbox import Outbox
from bot.runtime import Runtime, web_client
from handlers import register_all
from handlers.deps import Deps
from handlers.errors import SORRY
from handlers.links import Permalinks
from handlers.outbox_messages import ON_SENT, renderers

log = logging.getLogger(__name__)


def build_outbox(runtime: Runtime, client: WebClient) -> Outbox:
    """The outbox, with the renderer of every durable message."""
    return Outbox(runtime.sessions, client, runtime.clock, renderers(runtime, Permalinks(client)), ON_SENT)


def build_app(runtime: Runtime, *, client: WebClient | None = None, signing_secret: str | None = None,
              listener_executor: Executor | None = None) -> App:
    """The Bolt app with every listener registered; requests must be signed with the signing secret."""
    settings = runtime.settings
    client = client or web_client(settings)
    secret = signing_secret or settings.slack_signing_secret
    if not secret:
        raise ValueError("SLACK_SIGNING_SECRET is required to verify requests from Slack")
    app = App(client=client, signing_secret=secret, process_before_response=False,
              listener_executor=listener_executor, logger=logging.getLogger("learnbot.bolt"))
    register_all(app, Deps(runtime, build_outbox(runtime, client), Permalinks(client), client))

    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Any) -> BoltResponse | None:
        log.exception("listener failed: %s", error, exc_info=error)
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, text=SORRY)
        return None

    return app

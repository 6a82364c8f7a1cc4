"""The composition root: `build` wires settings, store, index, Slack client, outbox and listeners."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.clock import Clock
from bot.config import Settings
from bot.outbox import Outbox
from bot.run.verification import StrictRequestVerification
from bot.runtime import Runtime, open_runtime, web_client
from handlers import register_all
from handlers.deps import Deps
from handlers.errors import SORRY
from handlers.links import Permalinks
from handlers.outbox_messages import ON_SENT, on_failed, renderers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bot:
    """One process's bot. The Bolt app is made on first use (it checks the token with Slack), so the
    commands that only deliver messages need neither it nor a signing secret."""

    runtime: Runtime
    client: WebClient
    permalinks: Permalinks
    outbox: Outbox
    signing_secret: str | None
    listener_executor: Executor | None

    @cached_property
    def app(self) -> App:
        """The Bolt app with every listener registered; requests must be signed with the signing secret."""
        if not self.signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET is required to verify requests from Slack")
        logger = logging.getLogger("learnbot.bolt")
        app = App(client=self.client, signing_secret=self.signing_secret, process_before_response=False,
                  listener_executor=self.listener_executor, logger=logger, request_verification_enabled=False,
                  before_authorize=StrictRequestVerification(self.signing_secret, base_logger=logger))
        register_all(app, Deps(self.runtime, self.outbox, self.permalinks, self.client))

        @app.error
        def on_error(error: Exception, body: dict[str, Any], respond: Any) -> BoltResponse | None:
            log.exception("listener failed: %s", error, exc_info=error)
            if body.get("response_url"):
                respond(response_type="ephemeral", replace_original=False, text=SORRY)
            return None

        return app


def build(settings: Settings, *, clock: Clock | None = None, client: WebClient | None = None,
          signing_secret: str | None = None, listener_executor: Executor | None = None, migrate: bool = True,
          load_index: bool = True) -> Bot:
    """Open the runtime and wire the bot; the client defaults to SLACK_API_URL's, the secret to the setting's."""
    runtime = open_runtime(settings, clock, migrate=migrate, load_index=load_index)
    client = client or web_client(settings)
    permalinks = Permalinks(client)
    outbox = Outbox(runtime.sessions, client, runtime.clock, renderers(runtime, permalinks), ON_SENT,
                    on_failed(runtime))
    return Bot(runtime, client, permalinks, outbox, signing_secret or settings.slack_signing_secret,
               listener_executor)

"""What listeners share: the runtime, the outbox, permalinks, and the step after every change."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import access, home
from bot.outbox import Outbox
from bot.runtime import Runtime
from handlers import home_blocks
from handlers.links import Permalinks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """The services every listener reaches through `context["deps"]`."""

    runtime: Runtime
    outbox: Outbox
    links: Permalinks
    client: WebClient

    def __deepcopy__(self, memo: dict[int, Any]) -> Deps:
        """Shared, never copied: Bolt deep-copies the context for lazy listeners."""
        return self

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def settle(self, *people: str) -> None:
        """After a committed change: follow it in the index, send what it queued, refresh `people`'s Home tabs."""
        self.runtime.index.refresh(self.now(), rebuild=False)  # a bulk rebuild is the scheduler's
        self.outbox.deliver_due()
        if people:
            with self.runtime.sessions() as session:
                watchers = home.watching(session, set(people) | set(access.learning_managers(session, self.runtime.settings)))
            for user_id in watchers:
                self.publish_home(user_id)

    def publish_home(self, user_id: str) -> None:
        """Render and publish one person's Home tab (a view: if it fails, the next open redraws it)."""
        with self.runtime.sessions() as session:
            view = home.home_view(session, self.runtime.settings, user_id, self.now())
        try:
            self.client.views_publish(user_id=user_id, view=home_blocks.home(view, self.now(), self.links.message))
        except SlackApiError as exc:
            log.warning("could not publish the Home tab of %s: %s", user_id, exc.response.get("error"))

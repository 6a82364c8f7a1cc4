"""What listeners share: the runtime, the outbox and permalinks, and the step after every change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.outbox import Outbox
from bot.runtime import Runtime
from handlers.links import Permalinks


@dataclass(frozen=True)
class Deps:
    runtime: Runtime
    outbox: Outbox
    links: Permalinks

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def settle(self) -> None:
        """After a committed change: follow it in the index and send what it queued."""
        self.runtime.index.refresh(self.now())
        self.outbox.deliver_due()

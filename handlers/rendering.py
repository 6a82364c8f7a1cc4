"""What outbox renderers share: each feature's `RENDERERS` map a purpose to a `Render`, bound to one `Rendering`.

A renderer reads the state at sending time through `bot` read functions, so a retried message says
what is true now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.config import Settings
from bot.outbox import SlackCall
from handlers.links import Permalinks


@dataclass(frozen=True)
class Rendering:
    settings: Settings
    clock: Clock
    links: Permalinks


Render = Callable[[Rendering, Session, int, dict[str, Any]], "SlackCall | None"]


class NotYet(Exception):
    """The message depends on one not delivered yet (a thread reply before its post): the outbox retries."""

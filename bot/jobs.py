"""The periodic sweep: timers derived from stored state, so a restart loses nothing and a rerun does nothing twice."""

from __future__ import annotations

from dataclasses import dataclass

from bot import answers
from bot.outbox import Outbox
from bot.runtime import Runtime


@dataclass(frozen=True)
class SweepReport:
    nudged: int
    delivered: int


def sweep(runtime: Runtime, outbox: Outbox) -> SweepReport:
    """Everything that became due: nudge experts at half the SLA; then deliver what that queued."""
    now = runtime.clock.now()
    with runtime.sessions() as session:
        nudged = answers.nudge_due(session, runtime.index, runtime.settings, now)
    return SweepReport(nudged=nudged, delivered=outbox.deliver_due())

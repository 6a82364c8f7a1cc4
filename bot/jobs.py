"""The periodic sweep: timers derived from stored state, so a restart loses nothing and a rerun does nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot import andon, answers, digest, paths, sharing, trust
from bot.runtime import Runtime
from bot.wording import plural


@dataclass(frozen=True)
class SweepReport:
    nudged: int
    andon: andon.AndonReport
    digest_week: str | None
    reviews: int
    archiving: tuple[int, int]  # items queued for archiving, items archived
    delivered: int
    team_notes: int = 0  # supervisors' weekly notes on their teams' learning paths
    shares: sharing.ShareReport = sharing.ShareReport()

    def summary(self) -> str:
        a = self.andon
        return (f"sweep: {self.nudged} nudged, {a.escalated} escalated ({plural(a.cards_opened, 'new card')}), "
                f"{plural(a.signals, 'kanban signal')}, {plural(a.reminders, 'reminder')}, "
                + (f"digest of {self.digest_week} started, " if self.digest_week else "")
                + (f"{plural(self.reviews, 'verifier')} asked to review, " if self.reviews else "")
                + ("{} queued for archiving, {} archived, ".format(*self.archiving) if any(self.archiving) else "")
                + (f"{plural(self.team_notes, 'team note')} on learning paths, " if self.team_notes else "")
                + (self.shares.summary() if self.shares != sharing.ShareReport() else "")
                + f"{plural(self.delivered, 'message')} sent")


def sweep(runtime: Runtime, deliver: Callable[[], int]) -> SweepReport:
    """Everything that became due: nudges at half the SLA, andon escalations and reminders, the weekly
    digest (at its time, or within a day after if the bot was down), the verifiers' weekly reviews, the
    daily archiving of unused unverified items, the supervisors' weekly notes on learning paths, share
    requests' reminders, expiry and drafts; then `deliver`."""
    now = runtime.clock.now()
    with runtime.sessions() as session:
        nudged = answers.nudge_due(session, runtime.index, runtime.settings, now)
    with runtime.sessions() as session:
        report = andon.sweep_andon(session, runtime.settings, now)
    with runtime.sessions() as session:
        run = digest.run_if_due(session, runtime.settings, now)
    with runtime.sessions() as session:
        reviews = trust.queue_reviews(session, runtime.settings, now)
    with runtime.sessions() as session:
        archiving = trust.sweep_archive(session, runtime.settings, now)
    with runtime.sessions() as session:
        team_notes = paths.queue_team_notes(session, runtime.settings, now)
    with runtime.sessions() as session:
        shares = sharing.sweep_shares(session, runtime.settings, now)
    return SweepReport(nudged=nudged, andon=report, digest_week=run.week if run else None, reviews=reviews,
                       archiving=archiving, delivered=deliver(), team_notes=team_notes, shares=shares)

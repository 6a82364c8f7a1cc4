"""Teams that follow a Slack user group: their user-group memberships are made to match the group.

Only memberships with source "usergroup" change; those a team file imported stay as they are. A team
whose group Slack won't list keeps its memberships, and the other teams still sync.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.wording import plural
from store.models import Team, TeamMember, TeamRole

log = logging.getLogger(__name__)
USERGROUP = "usergroup"


@dataclass
class SyncReport:
    """What a sync did: teams synced, memberships added and removed, and (team, Slack's error) per failure."""

    teams: int = 0
    added: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        failed = "".join(f"; {name}: {error}" for name, error in self.failed)
        return (f"user groups: {plural(self.teams, 'team')} synced, {self.added} added, {self.removed} removed"
                + failed)


def sync_usergroups(sessions: sessionmaker[Session], client: WebClient, now: datetime) -> SyncReport:
    """Make every team that follows a user group hold its members (`usergroups.users.list`)."""
    report = SyncReport()
    with sessions() as session:
        following = session.execute(select(Team.id, Team.name, Team.usergroup_id)
                                    .where(Team.usergroup_id.is_not(None)).order_by(Team.name)).all()
    for team_id, name, group in following:
        try:
            users = client.usergroups_users_list(usergroup=group)["users"]
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc)
            log.warning("could not list user group %s of team %s: %s", group, name, error)
            report.failed.append((name, error))
            continue
        with sessions() as session:
            added, removed = _follow(session, team_id, set(users), now)
            session.commit()
        report.teams, report.added, report.removed = report.teams + 1, report.added + added, report.removed + removed
    return report


def _follow(session: Session, team_id: int, users: set[str], now: datetime) -> tuple[int, int]:
    """The team's user-group memberships made `users`; (added, removed). Someone the team file imported
    already is left as imported."""
    members = {m.user_id: m for m in session.scalars(select(TeamMember).where(TeamMember.team_id == team_id))}
    gone = [m for user, m in members.items() if m.source == USERGROUP and user not in users]
    for member in gone:
        session.delete(member)
    new = sorted(users - members.keys())
    session.add_all(TeamMember(team_id=team_id, user_id=user, role=TeamRole.MEMBER, source=USERGROUP, created_at=now)
                    for user in new)
    return len(new), len(gone)

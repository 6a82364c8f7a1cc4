"""Importing who is in which team (and under which department), and L&D's competency framework.

A team file is the truth for the teams it lists: their parents and roles are set as it says, and their
imported memberships it no longer lists are removed. Memberships that follow a Slack user group are
left alone. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.importing import CompetencyRow, TeamRow, closes_cycle
from bot.wording import plural
from store.models import Competency, Team, TeamMember

IMPORTED = "import"


@dataclass
class TeamImport:
    """What an import of teams did."""

    teams: int = 0
    created: int = 0
    memberships: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # lines refused for what the database holds

    def summary(self, bad_lines: int) -> str:
        """`bad_lines`: the file's, counted with the report's own errors."""
        return (f"{plural(self.teams, 'team')} ({self.created} created), {plural(self.memberships, 'membership')}: "
                f"{self.added} added, {self.changed} changed, {self.removed} removed; "
                f"{plural(bad_lines + len(self.errors), 'bad line')}")


@dataclass
class CompetencyImport:
    """What an import of competencies did, and its lines refused for what the database holds."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def summary(self, bad_lines: int) -> str:
        """`bad_lines`: the file's, counted with the report's own errors."""
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{plural(bad_lines + len(self.errors), 'bad line')} skipped")


def import_teams(session: Session, rows: Sequence[TeamRow], now: datetime) -> TeamImport:
    """Apply the good lines of a team file (parsed by `parse_teams`) and commit. The lines of a team whose new
    parent would loop through the departments already imported are refused."""
    report = TeamImport()
    rows = _without_loops(session, rows, report)
    teams = _teams(session, [name for row in rows for name in (row.team, row.parent) if name], now, report)
    _set_parents(rows, teams)
    for row in rows:
        if row.usergroup:
            teams[row.team].usergroup_id = row.usergroup
    by_team: dict[str, dict[str, TeamRow]] = {}
    for row in rows:
        by_team.setdefault(row.team, {})[row.user_id] = row  # a person listed twice in a team: the last line
    for name, people in by_team.items():
        _sync_members(session, teams[name], people, now, report)
    report.memberships = sum(len(people) for people in by_team.values())
    session.commit()
    return report


def _teams(session: Session, names: Sequence[str], now: datetime, report: TeamImport) -> dict[str, Team]:
    """Each named team, created when it does not exist yet."""
    teams: dict[str, Team] = {}
    stored = {team.name.lower(): team for team in session.scalars(select(Team))}  # one read, not one per name
    for name in dict.fromkeys(names):
        team = stored.get(name.lower())
        if team is None:
            team = stored[name.lower()] = Team(name=name[:200], created_at=now)
            session.add(team)
            report.created += 1
        teams[name] = team
    session.flush()
    report.teams = len(teams)
    return teams


def _file_parents(rows: Sequence[TeamRow]) -> dict[str, str | None]:
    """The parent each listed team's lines give it; None for a team whose lines all leave it blank."""
    parents: dict[str, str | None] = {}
    for row in rows:
        parents[row.team] = row.parent or parents.get(row.team)
    return parents


def _set_parents(rows: Sequence[TeamRow], teams: dict[str, Team]) -> None:
    """Each listed team under the parent its lines give it (a top team when none); teams named only as a
    parent keep theirs."""
    for name, parent in _file_parents(rows).items():
        teams[name].parent_id = teams[parent].id if parent else None


def _without_loops(session: Session, rows: Sequence[TeamRow], report: TeamImport) -> list[TeamRow]:
    """The rows, less every line of a team whose parent would loop through the database's departments (those
    lines become the report's errors). Refusing a team keeps its old parent: repeat until nothing changes."""
    names = dict(session.execute(select(Team.id, Team.name)).all())
    stored = {name: names.get(parent) for name, parent in session.execute(select(Team.name, Team.parent_id))}
    kept = list(rows)
    while True:
        parents = stored | _file_parents(kept)
        looping = {team: parent for team, parent in _file_parents(kept).items()
                   if parent and closes_cycle({**parents, team: None}, team, parent)}
        if not looping:
            return kept
        report.errors.extend((row.line, f"parent {looping[row.team]!r} would put team {row.team!r} under itself")
                             for row in kept if row.team in looping)
        kept = [row for row in kept if row.team not in looping]


def _sync_members(session: Session, team: Team, people: dict[str, TeamRow], now: datetime,
                  report: TeamImport) -> None:
    """Make the team's imported memberships those of `people`: add, change roles, remove the rest. Someone the
    user-group sync added becomes imported once the file lists them."""
    current = {m.user_id: m for m in session.scalars(select(TeamMember).where(TeamMember.team_id == team.id))}
    for user_id, row in people.items():
        member = current.get(user_id)
        if member is None:
            session.add(TeamMember(team_id=team.id, user_id=user_id, role=row.role, source=IMPORTED, created_at=now))
            report.added += 1
        elif (member.role, member.source) != (row.role, IMPORTED):
            member.role, member.source = row.role, IMPORTED  # the file lists them: the user-group sync leaves them be
            report.changed += 1
    for user_id, member in current.items():
        if user_id not in people and member.source == IMPORTED:
            session.delete(member)
            report.removed += 1


def import_competencies(session: Session, rows: Sequence[CompetencyRow]) -> CompetencyImport:
    """Apply the good lines of a competency file (parsed by `parse_competencies`) and commit. A line whose parent
    is neither in the file nor in the database, or that would loop with the database's tree, is refused."""
    report = CompetencyImport()
    existing = {c.id: c for c in session.scalars(select(Competency))}
    accepted = _acceptable(rows, existing, report)
    for row in accepted:  # names first, parents once every competency exists (the parent is a foreign key)
        found = existing.get(row.id)
        if found is None:
            existing[row.id] = Competency(id=row.id, name=row.name[:200])
            session.add(existing[row.id])
            report.added += 1
        elif (found.name, found.parent_id) != (row.name[:200], row.parent):
            found.name = row.name[:200]
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    for row in accepted:
        existing[row.id].parent_id = row.parent
    session.commit()
    return report


def _acceptable(rows: Sequence[CompetencyRow], existing: dict[str, Competency],
                report: CompetencyImport) -> list[CompetencyRow]:
    """The rows whose parent exists (in the file or the database) and that form no loop with the database's tree;
    the others become the report's errors. Refusing a row can orphan its children: repeat until nothing changes."""
    accepted = list(rows)
    while True:
        parents = {key: c.parent_id for key, c in existing.items()} | {r.id: r.parent for r in accepted}
        known = set(existing) | {r.id for r in accepted}
        refused = [(r.line, why) for r in accepted if (why := _refusal(r, known, parents))]
        if not refused:
            return accepted
        lines = {line for line, _ in refused}
        report.errors.extend(refused)
        accepted = [r for r in accepted if r.line not in lines]


def _refusal(row: CompetencyRow, known: set[str], parents: dict[str, str | None]) -> str | None:
    if row.parent is None:
        return None
    if row.parent not in known:
        return f"unknown parent {row.parent!r}: not in the file nor in the framework"
    if closes_cycle({**parents, row.id: None}, row.id, row.parent):
        return f"parent {row.parent!r} would put competency {row.id!r} under itself"
    return None

"""Teams and departments: who is in which, who supervises them, and which audiences a person sees.

A department is a team with child teams (`Team.parent_id`). An item's audience is a team, a
department, or the organisation (None). A person sees the items of their own teams, of the
departments above them, and of the organisation.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Team, TeamMember, TeamRole
from store.queries import contains_ignoring_case


def team_ids_of(session: Session, user_id: str) -> list[int]:
    """The teams `user_id` belongs to (as a member or a supervisor), in the order they joined them."""
    return list(session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id)
                                .order_by(TeamMember.id)))


def home_team(session: Session, user_id: str) -> int | None:
    """The team a person's questions come from: the first team they joined; None outside every team."""
    return session.scalar(select(TeamMember.team_id).where(TeamMember.user_id == user_id)
                          .order_by(TeamMember.id).limit(1))


def with_departments(session: Session, team_ids: Iterable[int]) -> set[int]:
    """`team_ids` and every department above them, up to the top."""
    seen: set[int] = set()
    frontier = set(team_ids)
    while frontier:
        seen |= frontier
        parents = session.scalars(select(Team.parent_id).where(Team.id.in_(frontier), Team.parent_id.is_not(None)))
        frontier = set(parents) - seen
    return seen


def below(session: Session, team_id: int) -> set[int]:
    """`team_id` and every team under it (a department's whole tree)."""
    seen: set[int] = set()
    frontier = {team_id}
    while frontier:
        seen |= frontier
        children = session.scalars(select(Team.id).where(Team.parent_id.in_(frontier)))
        frontier = set(children) - seen
    return seen


def audiences_of(session: Session, user_id: str) -> frozenset[int]:
    """The team audiences whose items `user_id` sees (organisation-wide items are seen by everyone)."""
    return frozenset(with_departments(session, team_ids_of(session, user_id)))


def members(session: Session, team_id: int, *, whole_tree: bool = False) -> list[str]:
    """Everyone in the team (with `whole_tree`, in every team under it too), each once, in join order."""
    teams = below(session, team_id) if whole_tree else {team_id}
    people = session.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(teams)).order_by(TeamMember.id))
    return list(dict.fromkeys(people))


def supervisors(session: Session, team_id: int) -> list[str]:
    """The supervisors of the team itself, in join order."""
    return list(session.scalars(select(TeamMember.user_id).where(
        TeamMember.team_id == team_id, TeamMember.role == TeamRole.SUPERVISOR).order_by(TeamMember.id)))


def supervised_teams(session: Session, user_id: str) -> list[Team]:
    """The teams `user_id` supervises directly, by name."""
    return list(session.scalars(select(Team).join(TeamMember, TeamMember.team_id == Team.id).where(
        TeamMember.user_id == user_id, TeamMember.role == TeamRole.SUPERVISOR).order_by(Team.name)))


def supervises(session: Session, user_id: str, team_id: int) -> bool:
    """Whether `user_id` supervises the team, or a department above it."""
    ids = with_departments(session, [team_id])
    return session.scalar(select(TeamMember.id).where(
        TeamMember.user_id == user_id, TeamMember.role == TeamRole.SUPERVISOR,
        TeamMember.team_id.in_(ids)).limit(1)) is not None


def team_names(session: Session, team_ids: Iterable[int | None]) -> dict[int, str]:
    """Names by id, for the ids given (None ignored)."""
    ids = {i for i in team_ids if i is not None}
    if not ids:
        return {}
    return {team_id: name for team_id, name in session.execute(select(Team.id, Team.name).where(Team.id.in_(ids)))}


def askers_by_team(session: Session, askers: Iterable[tuple[str, int | None]]) -> list[tuple[str, int]]:
    """(team name, distinct askers) for `askers` given as (asker, their team), most first; askers outside
    every team are left out. Callers leave anonymous questions out, so no one is placed by them."""
    by_team: dict[int, set[str]] = defaultdict(set)
    for asker, team_id in askers:
        if team_id is not None:
            by_team[team_id].add(asker)
    names = team_names(session, by_team)
    return sorted(((names[t], len(people)) for t, people in by_team.items() if t in names),
                  key=lambda pair: (-pair[1], pair[0]))


def search(session: Session, query: str, among: set[int] | None, limit: int | None) -> list[Team]:
    """The teams whose name contains `query` (case ignored: `contains_ignoring_case`), of `among` (None:
    every team), by name, at most `limit`."""
    found = select(Team).where(contains_ignoring_case(Team.name, query.strip()))
    if among is not None:
        found = found.where(Team.id.in_(among))
    return list(session.scalars(found.order_by(Team.name, Team.id).limit(limit)))

"""A small organisation for the mini-learning-factory tests, written as rows (not through the importer):

    Operations (department; Olga supervises it)
      ├─ Line A (Sam supervises; Alice is a member)
      └─ Line B (Bob is a member)
    Quality (Quinn supervises; Carol is a member)

and a competency framework of two competencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from store.models import Competency, Team, TeamMember, TeamRole

SAM, OLGA, QUINN, ALICE, BOB, CAROL = "U0SAM", "U0OLGA", "U0QUINN", "U0ALICE", "U0BOB", "U0CAROL"


@dataclass(frozen=True)
class Org:
    operations: int
    line_a: int
    line_b: int
    quality: int


def make_org(session: Session, now: datetime, *, competencies: bool = True) -> Org:
    """The teams, members and (unless not `competencies`) the framework above; commits."""
    operations = Team(name="Operations", created_at=now)
    session.add(operations)
    session.flush()
    line_a, line_b = (Team(name=name, parent_id=operations.id, created_at=now) for name in ("Line A", "Line B"))
    quality = Team(name="Quality", created_at=now)
    session.add_all([line_a, line_b, quality])
    session.flush()
    members = [(operations, OLGA, TeamRole.SUPERVISOR), (line_a, SAM, TeamRole.SUPERVISOR),
               (line_a, ALICE, TeamRole.MEMBER), (line_b, BOB, TeamRole.MEMBER),
               (quality, QUINN, TeamRole.SUPERVISOR), (quality, CAROL, TeamRole.MEMBER)]
    session.add_all(TeamMember(team_id=team.id, user_id=user, role=role, created_at=now)
                    for team, user, role in members)
    if competencies:
        session.add_all([Competency(id="SAFE-1", name="Machine safety"),
                         Competency(id="QA-2", name="Quality inspection")])
    session.commit()
    return Org(operations.id, line_a.id, line_b.id, quality.id)

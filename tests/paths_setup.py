"""Teams, competencies and library items for the learning-path tests, written straight into the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.library import Draft, upsert_item
from store.models import Competency, Team, TeamMember, TeamRole

SUPERVISOR = "U0SAM"
FIELD = ("U0ALICE", "U0BOB")  # the Field team's members
OFFICE = "U0CAROL"  # the Office team's one member
STEPS = "VPN basics\nhttps://wiki.example/vpn-setup\nvpn TROUBLESHOOTING"  # a title, a link, a title in other case


@dataclass(frozen=True)
class Org:
    operations: int  # the department
    field: int  # a team in it, supervised by sam
    office: int  # another team in it


def arrange(session: Session, now: datetime) -> Org:
    """Operations (a department) with Field (sam supervises alice and bob) and Office (carol); the VPN items
    (one for the organisation, two for Operations), an item only Office sees; a competency."""
    operations = Team(name="Operations", created_at=now)
    session.add(operations)
    session.flush()
    field, office = Team(name="Field", parent_id=operations.id, created_at=now), \
        Team(name="Office", parent_id=operations.id, created_at=now)
    session.add_all([field, office, Competency(id="net", name="Networking")])
    session.flush()
    session.add(TeamMember(team_id=field.id, user_id=SUPERVISOR, role=TeamRole.SUPERVISOR, created_at=now))
    session.add_all(TeamMember(team_id=field.id, user_id=u, created_at=now) for u in FIELD)
    session.add(TeamMember(team_id=office.id, user_id=OFFICE, created_at=now))
    upsert_item(session, Draft("VPN basics", "https://wiki.example/vpn-basics", "What a VPN is"), now)
    for title, url, audience in (("VPN setup", "https://wiki.example/vpn-setup", operations.id),
                                 ("VPN troubleshooting", None, operations.id),
                                 ("Office printers", "https://wiki.example/printers", office.id)):
        item, _ = upsert_item(session, Draft(title, url, title), now)
        item.audience_id = audience
    session.commit()
    return Org(operations.id, field.id, office.id)

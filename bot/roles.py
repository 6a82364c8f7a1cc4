"""Roles granted in the database: learning managers beyond the env root, and content owners.

LEARNBOT_MANAGERS stays the root: those managers are granted by no one and can't be revoked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import Settings
from store.models import GrantedRole, RoleGrant


@dataclass(frozen=True)
class Holder:
    """One person holding a role: `root` when named in LEARNBOT_MANAGERS."""

    role: GrantedRole
    user_id: str
    root: bool = False
    granted_by: str | None = None
    granted_at: datetime | None = None


def grant(session: Session, role: GrantedRole, user_id: str, now: datetime, by: str | None = None) -> str:
    """Grant `role` to `user_id` and commit; says what happened."""
    if session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user_id, RoleGrant.role == role)):
        return f"{user_id} already holds {role}"
    session.add(RoleGrant(user_id=user_id, role=role, granted_by=by, granted_at=now))
    session.commit()
    return f"{user_id} granted {role}"


def revoke(session: Session, settings: Settings, role: GrantedRole, user_id: str) -> str:
    """Revoke a database grant and commit; an env manager stays one (says so, changes nothing)."""
    if role == GrantedRole.LEARNING_MANAGER and user_id in settings.managers:
        return f"{user_id} is a learning manager through LEARNBOT_MANAGERS: change that setting to revoke it"
    removed = session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role))
    session.commit()
    return f"{user_id} revoked {role}" if removed.rowcount else f"{user_id} does not hold {role}"


def holders(session: Session, settings: Settings) -> list[Holder]:
    """Everyone holding a role: the env managers first, then the grants in the order made."""
    found = [Holder(GrantedRole.LEARNING_MANAGER, user_id, root=True) for user_id in settings.managers]
    for row in session.scalars(select(RoleGrant).order_by(RoleGrant.id)):
        if not (row.role == GrantedRole.LEARNING_MANAGER and row.user_id in settings.managers):
            found.append(Holder(row.role, row.user_id, granted_by=row.granted_by, granted_at=row.granted_at))
    return found

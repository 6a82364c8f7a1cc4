"""Who may do what: the one place that decides, asked by every use case and privileged button.

Roles: the learning managers named in LEARNBOT_MANAGERS are the root, granted by no one; more
learning managers and content owners are granted in the database (`role_grants`); supervisors
are the supervisors of a team (`team_members`), and a department's supervisors supervise every
team under it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import teams
from bot.config import Settings
from bot.refusal import Refusal
from store.models import AndonCard, GrantedRole, LibraryItem, RoleGrant


def granted(session: Session, role: GrantedRole) -> list[str]:
    """Everyone granted `role` in the database, in the order it was granted."""
    return list(session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == role).order_by(RoleGrant.id)))


def learning_managers(session: Session, settings: Settings) -> tuple[str, ...]:
    """Every learning manager: the root list first, then those granted the role."""
    return tuple(dict.fromkeys((*settings.managers, *granted(session, GrantedRole.LEARNING_MANAGER))))


def is_learning_manager(session: Session, settings: Settings, user_id: str) -> bool:
    if user_id in settings.managers:
        return True
    return session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == GrantedRole.LEARNING_MANAGER)) is not None


def require_learning_manager(session: Session, settings: Settings, user_id: str, doing: str) -> None:
    """Refuse anyone but a learning manager: "Only learning managers can <doing>."."""
    if not is_learning_manager(session, settings, user_id):
        raise Refusal(f"Only learning managers can {doing}.")


def is_content_owner(session: Session, user_id: str) -> bool:
    """Granted the content-owner role: may publish for the teams they belong to."""
    return session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == GrantedRole.CONTENT_OWNER)) is not None


def may_lead_team(session: Session, settings: Settings, user_id: str, team_id: int) -> bool:
    """A learning manager, or a supervisor of the team (or of a department above it): assigns its
    paths, sees its completion, approves sharing with it."""
    return is_learning_manager(session, settings, user_id) or teams.supervises(session, user_id, team_id)


def require_may_lead_team(session: Session, settings: Settings, user_id: str, team_id: int, doing: str) -> None:
    if not may_lead_team(session, settings, user_id, team_id):
        raise Refusal(f"Only the team's supervisor or a learning manager can {doing}.")


def may_publish(session: Session, settings: Settings, user_id: str, team_id: int) -> bool:
    """Those who lead the team, and content owners in it, publish for it."""
    return may_lead_team(session, settings, user_id, team_id) or (
        is_content_owner(session, user_id) and team_id in teams.team_ids_of(session, user_id))


def may_request_share(session: Session, settings: Settings, user_id: str, item: LibraryItem) -> bool:
    """Who asks to share a team's item more widely: its owner, the supervisors of its audience (or of a
    department above it), and the learning managers."""
    return item.audience_id is not None and (
        user_id == item.owner_id or may_lead_team(session, settings, user_id, item.audience_id))


def require_may_request_share(session: Session, settings: Settings, user_id: str, item: LibraryItem) -> None:
    if not may_request_share(session, settings, user_id, item):
        raise Refusal("Only the item's owner, its team's supervisor or a learning manager can ask to share it.")


def share_approvers(session: Session, settings: Settings, target_id: int | None) -> tuple[str, ...]:
    """Who decides a request to share with `target_id`: its supervisors, else the learning managers
    (always the learning managers for the whole organisation)."""
    if target_id is not None:
        found = teams.supervisors(session, target_id)
        if found:
            return tuple(found)
    return learning_managers(session, settings)


def may_decide_share(session: Session, settings: Settings, user_id: str, target_id: int | None) -> bool:
    """A learning manager decides any share request; a target's supervisor decides those for it."""
    return is_learning_manager(session, settings, user_id) or (
        target_id is not None and teams.supervises(session, user_id, target_id))


def may_resolve_card(session: Session, settings: Settings, user_id: str, card: AndonCard,
                     course_owner: str | None = None) -> bool:
    """Learning managers resolve any card; the person a card is assigned to, or who owns the course
    planned for it, resolves that card."""
    return is_learning_manager(session, settings, user_id) or user_id in (card.assigned_to, course_owner)


def require_may_resolve_card(session: Session, settings: Settings, user_id: str, card: AndonCard,
                             course_owner: str | None = None) -> None:
    """Refuse anyone who may not resolve `card` (the button that opens the modal, and its submission)."""
    if not may_resolve_card(session, settings, user_id, card, course_owner):
        raise Refusal("Only learning managers can change andon cards; the person a card is assigned to "
                      "can resolve it.")


def item_verifiers(session: Session, settings: Settings, owner_id: str | None,
                   audience_id: int | None = None) -> tuple[str, ...]:
    """Who verifies an item: its owner; without one (or when they left), the supervisors of the team
    it is published for; else the learning managers."""
    if owner_id:
        return (owner_id,)
    if audience_id is not None and (found := teams.supervisors(session, audience_id)):
        return tuple(found)
    return learning_managers(session, settings)


def may_verify(session: Session, settings: Settings, user_id: str, item: LibraryItem) -> bool:
    """An item's verifiers and the learning managers verify, edit, retire and reassign it."""
    return (user_id in item_verifiers(session, settings, item.owner_id, item.audience_id)
            or is_learning_manager(session, settings, user_id))


def require_may_verify(session: Session, settings: Settings, user_id: str, item: LibraryItem, doing: str) -> None:
    """Refuse anyone but the item's verifier or a learning manager: "Only ... can <doing>."."""
    if not may_verify(session, settings, user_id, item):
        raise Refusal(f"Only the item's verifier or a learning manager can {doing}.")

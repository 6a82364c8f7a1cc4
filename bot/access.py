"""Who may do what: the one place that decides, asked by every use case and privileged button.

The learning managers named in LEARNBOT_MANAGERS are the root role; per-team grants (supervisors,
content owners) join here, so callers keep asking the same questions.
"""

from __future__ import annotations

from bot.config import Settings
from bot.refusal import Refusal
from store.models import AndonCard, LibraryItem


def learning_managers(settings: Settings) -> tuple[str, ...]:
    """Everyone holding the root role."""
    return settings.managers


def is_learning_manager(settings: Settings, user_id: str) -> bool:
    return user_id in settings.managers


def require_learning_manager(settings: Settings, user_id: str, doing: str) -> None:
    """Refuse anyone but a learning manager: "Only learning managers can <doing>."."""
    if not is_learning_manager(settings, user_id):
        raise Refusal(f"Only learning managers can {doing}.")


def may_resolve_card(settings: Settings, user_id: str, card: AndonCard, course_owner: str | None = None) -> bool:
    """Learning managers resolve any card; the person a card is assigned to, or who owns the course
    planned for it, resolves that card."""
    return is_learning_manager(settings, user_id) or user_id in (card.assigned_to, course_owner)


def require_may_resolve_card(settings: Settings, user_id: str, card: AndonCard,
                             course_owner: str | None = None) -> None:
    """Refuse anyone who may not resolve `card` (the button that opens the modal, and its submission)."""
    if not may_resolve_card(settings, user_id, card, course_owner):
        raise Refusal("Only learning managers can change andon cards; the person a card is assigned to "
                      "can resolve it.")


def item_verifiers(settings: Settings, owner_id: str | None) -> tuple[str, ...]:
    """Who verifies an item owned by `owner_id`: the owner, or the learning managers when it has none
    (or its owner left)."""
    return (owner_id,) if owner_id else learning_managers(settings)


def may_verify(settings: Settings, user_id: str, item: LibraryItem) -> bool:
    """An item's verifiers and the learning managers verify, edit, retire and reassign it."""
    return user_id in item_verifiers(settings, item.owner_id) or is_learning_manager(settings, user_id)


def require_may_verify(settings: Settings, user_id: str, item: LibraryItem, doing: str) -> None:
    """Refuse anyone but the item's verifier or a learning manager: "Only ... can <doing>."."""
    if not may_verify(settings, user_id, item):
        raise Refusal(f"Only the item's verifier or a learning manager can {doing}.")

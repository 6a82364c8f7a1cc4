"""Role grants in the database: grant, revoke, list; the env managers stay the root."""

from __future__ import annotations

from bot import access, roles
from bot.runtime import Runtime
from store.models import GrantedRole
from tests.usecases.conftest import MANAGER

LM, OWNER = GrantedRole.LEARNING_MANAGER, GrantedRole.CONTENT_OWNER


def test_grant_makes_a_manager_twice_changes_nothing_and_revoke_undoes_it(runtime: Runtime) -> None:
    now, settings = runtime.clock.now(), runtime.settings
    with runtime.sessions() as session:
        assert roles.grant(session, LM, "U0DAVE", now) == "U0DAVE granted learning_manager"
        assert roles.grant(session, LM, "U0DAVE", now) == "U0DAVE already holds learning_manager"
        assert roles.grant(session, OWNER, "U0DAVE", now) == "U0DAVE granted content_owner"
    with runtime.sessions() as session:
        assert access.is_learning_manager(session, settings, "U0DAVE") and access.is_content_owner(session, "U0DAVE")
        assert [(h.role, h.user_id, h.root) for h in roles.holders(session, settings)] == [
            (LM, MANAGER, True), (LM, "U0DAVE", False), (OWNER, "U0DAVE", False)]
        assert roles.revoke(session, settings, LM, "U0DAVE") == "U0DAVE revoked learning_manager"
        assert roles.revoke(session, settings, LM, "U0DAVE") == "U0DAVE does not hold learning_manager"
    with runtime.sessions() as session:
        assert not access.is_learning_manager(session, settings, "U0DAVE")
        assert access.is_content_owner(session, "U0DAVE")


def test_an_env_manager_cannot_be_revoked_here(runtime: Runtime) -> None:
    settings = runtime.settings
    with runtime.sessions() as session:
        roles.grant(session, LM, MANAGER, runtime.clock.now())
        assert "LEARNBOT_MANAGERS" in roles.revoke(session, settings, LM, MANAGER)
    with runtime.sessions() as session:
        assert access.is_learning_manager(session, settings, MANAGER)
        assert [h.user_id for h in roles.holders(session, settings)] == [MANAGER]  # listed once, as root
        assert access.granted(session, LM) == [MANAGER]  # the grant row is kept

"""A learning manager granted in the database acts on an andon card like an env manager."""

from __future__ import annotations

from bot import roles
from store.models import GrantedRole
from tests.harness import Harness, all_text, button
from tests.scenario.test_andon import SLA, TORQUE, andon_posts, ask, card_updates, cards, run_sweep


def raise_card(bot: Harness) -> None:
    ask(bot, TORQUE[0])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)


def test_a_granted_manager_acknowledges_a_card(bot: Harness) -> None:
    with bot.runtime.sessions() as session:
        roles.grant(session, GrantedRole.LEARNING_MANAGER, "U0DAVE", bot.runtime.clock.now())
    raise_card(bot)
    [card] = cards(bot)
    bot.click("U0DAVE", button(andon_posts(bot)[0], "Acknowledge"), channel="C0ANDON", message_ts=card.message_ts)
    [card] = cards(bot)
    assert (card.status, card.acknowledged_by) == ("acknowledged", "U0DAVE")
    assert "acknowledged by <@U0DAVE>" in all_text(card_updates(bot)[-1])


def test_a_content_owner_or_revoked_manager_is_refused(bot: Harness) -> None:
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as session:
        roles.grant(session, GrantedRole.CONTENT_OWNER, "U0DAVE", now)
        roles.grant(session, GrantedRole.LEARNING_MANAGER, "U0ERIN", now)
        roles.revoke(session, bot.runtime.settings, GrantedRole.LEARNING_MANAGER, "U0ERIN")
    raise_card(bot)
    [card] = cards(bot)
    for user in ("U0DAVE", "U0ERIN"):
        bot.click(user, button(andon_posts(bot)[0], "Acknowledge"), channel="C0ANDON", message_ts=card.message_ts)
        assert "Only learning managers" in bot.last_reply().text
    assert cards(bot)[0].status == "open" and card_updates(bot) == []

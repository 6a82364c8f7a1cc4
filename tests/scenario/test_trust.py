"""Trusted content through Slack: offers show their verification, "Flag as outdated", the verifier's Verify."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.jobs import sweep
from store.models import ItemState, LibraryItem
from tests.harness import Harness, all_text, button, buttons
from tests.scenario.test_learn import EXPENSES, VPN, WIFI

QUESTION = "how do I reset my vpn password"


def test_an_offer_shows_its_verification_and_a_flag_tells_the_verifier_who_verifies_it_again(bot: Harness) -> None:
    bot.add_items(VPN, WIFI)
    bot.command("U0ALICE", QUESTION)
    offer = bot.last_reply()
    assert "Not verified since" in all_text(offer)

    bot.click("U0ALICE", button(offer, "Flag as outdated"), ephemeral=True)
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    empty = bot.submit("U0ALICE", modal, {"reason": " "})
    assert "out of date" in json.loads(empty.body)["errors"]["reason"]
    bot.submit("U0ALICE", modal, {"reason": "The portal moved <!channel>"})

    [notice] = [c for c in bot.posts("U0MANAGER") if "needs your review" in c.text]  # unowned: the managers
    text = all_text(notice)
    assert "<@U0ALICE> flagged it as outdated" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert any("is marked not verified" in c.text for c in bot.posts("U0ALICE"))

    bot.click("U0ALICE", button(notice, "Verify"), channel="U0MANAGER")
    assert "verifier or a learning manager" in bot.last_reply().text
    bot.click("U0MANAGER", button(notice, "Verify"), channel="U0MANAGER")
    bot.command("U0BOB", QUESTION)
    assert "Verified by <@U0MANAGER> on" in all_text(bot.last_reply())


def test_verifiers_get_one_review_dm_a_week_with_verify_edit_obsolete_and_reassign(bot: Harness) -> None:
    bot.add_items(VPN, WIFI, EXPENSES)
    bot.command("U0ALICE", QUESTION)
    bot.click("U0ALICE", button(bot.last_reply(), "This answered it"), ephemeral=True)  # the VPN item is used
    bot.runtime.clock.advance(timedelta(days=91))

    sweep(bot.runtime, bot.outbox.deliver_due)
    sweep(bot.runtime, bot.outbox.deliver_due)  # the same week: nothing twice

    [review] = [c for c in bot.posts("U0MANAGER") if "due for review" in c.text]  # unowned: the managers
    assert review.text.startswith("3 items you verify are due")
    sections = [b["text"]["text"] for b in review.blocks if b["type"] == "section"]
    assert VPN[0] in sections[1] and "1 use" in sections[1]  # most used first
    verify, edit, obsolete = (button(review, label) for label in ("Verify", "Edit", "Mark obsolete"))
    vpn_id = verify["value"]

    bot.click("U0ALICE", verify, channel="U0MANAGER")
    assert "verifier or a learning manager" in bot.last_reply().text
    bot.click("U0MANAGER", edit, channel="U0MANAGER")
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    bad = bot.submit("U0MANAGER", modal, {"title": VPN[0], "review_days": "45"})
    assert "review_days" in json.loads(bad.body)["errors"]
    bot.submit("U0MANAGER", modal, {"title": "Resetting your VPN password (SSO)", "review_days": "30",
                                    "body": VPN[2]})
    [wifi_id, expenses_id] = [b["value"] for b in buttons(review) if b["text"] == "Mark obsolete"][1:]
    bot.click("U0MANAGER", {"action_id": obsolete["action_id"], "value": wifi_id}, channel="U0MANAGER")
    bot.pick_user("U0MANAGER", "item_reassign", f"review:{expenses_id}", "U0CAROL", channel="U0MANAGER")

    with bot.runtime.sessions() as session:
        vpn, wifi, expenses = (session.get_one(LibraryItem, int(i)) for i in (vpn_id, wifi_id, expenses_id))
        assert (vpn.title, vpn.verified_by, vpn.review_days) == ("Resetting your VPN password (SSO)", "U0MANAGER", 30)
        assert wifi.state == ItemState.OBSOLETE and expenses.owner_id == "U0CAROL"
    bot.runtime.index.refresh(bot.runtime.clock.now())
    assert all(h.id != int(wifi_id) for h in bot.runtime.index.search(WIFI[0]).content)  # obsolete: out of search

    bot.runtime.clock.advance(timedelta(days=7))
    sweep(bot.runtime, bot.outbox.deliver_due)
    assert [c.channel for c in bot.posts() if "due for review" in c.text] == ["U0MANAGER", "U0CAROL"]


def test_an_owner_leaving_hands_their_items_to_the_learning_managers_who_are_told_once(bot: Harness) -> None:
    bot.add_items(VPN, WIFI)
    with bot.runtime.sessions() as session:
        for item in session.scalars(select(LibraryItem)):
            item.owner_id, item.verified_at, item.verified_by = "U0CAROL", bot.runtime.clock.now(), "U0CAROL"
        session.commit()

    bot.event({"type": "user_change", "user": {"id": "U0CAROL", "deleted": False}}, event_id="Ev-rename")
    bot.event({"type": "user_change", "user": {"id": "U0CAROL", "deleted": True}}, event_id="Ev-left")
    bot.event({"type": "user_change", "user": {"id": "U0CAROL", "deleted": True}}, event_id="Ev-left")  # a retry

    with bot.runtime.sessions() as session:
        assert {(i.owner_id, i.verified_at) for i in session.scalars(select(LibraryItem))} == {(None, None)}
    [told] = bot.posts("U0MANAGER")
    assert "<@U0CAROL> left the workspace: the 2 library items they verified are yours" in told.text

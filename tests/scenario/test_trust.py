"""Trusted content through Slack: offers show their verification, "Flag as outdated", the verifier's Verify."""

from __future__ import annotations

import json

from tests.harness import Harness, all_text, button
from tests.scenario.test_learn import VPN, WIFI

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

"""What people type reaching the bot: junk and typos stay private, private answers always arrive, DMs are questions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import Harness, all_text, button
from tests.scenario.test_learn import VPN, WIFI


def test_junk_is_refused_in_one_line_and_nothing_is_stored_or_posted(bot: Harness) -> None:
    for text in ("a", "🙂🙂🙂", "???", "anon ?!", "what is the"):
        response = bot.command("U0ALICE", text)
        assert response.status == 200 and "doesn't look like a question" in response.body, text
    assert bot.questions() == [] and bot.posts() == [] and bot.replies() == []


def test_a_question_in_any_script_is_a_question(bot: Harness) -> None:
    bot.command("U0ALICE", "如何重置密码")
    assert [q.text for q in bot.questions()] == ["如何重置密码"]


def test_mistyped_and_incomplete_subcommands_get_a_hint_and_are_never_posted(bot: Harness) -> None:
    hints = {"experts add vpn": "Did you mean `/learn expert add vpn`?",
             "digets off": "Did you mean `/learn digest off`?",
             "digest": "`/learn digest off` stops your weekly expert note"}
    for text, hint in hints.items():
        response = bot.command("U0ALICE", text)
        assert hint in response.body, text
    assert bot.questions() == [] and bot.posts() == []


def test_help_with_words_after_it_and_lookalike_questions_are_questions(bot: Harness) -> None:
    for text in ("help me with vpn", "experts say what about vpn?", "digest of the safety audit?"):
        response = bot.command("U0ALICE", text)
        assert "/learn <your question>" not in response.body, text
    assert [q.text for q in bot.questions()] == ["help me with vpn", "experts say what about vpn?",
                                                 "digest of the safety audit?"]
    assert len(bot.posts("C0HELP")) == 3


@pytest.mark.parametrize("status", [200, 500])
def test_a_failed_private_reply_arrives_as_a_dm_once(bot: Harness, status: int) -> None:
    bot.add_items(VPN, WIFI)
    bot.slack.fail_next("response_url", "expired_url", status=status)

    bot.command("U0ALICE", "how do I reset my vpn pasword")

    [dm] = bot.posts("U0ALICE")
    assert "Resetting your VPN password" in all_text(dm)
    assert button(dm, "This answered it")["value"].startswith(f"{bot.questions()[0].id}:")
    bot.outbox.deliver_due()
    assert len(bot.posts("U0ALICE")) == 1  # never twice


def test_a_failed_reply_to_a_routed_question_tells_where_it_went_by_dm(bot: Harness) -> None:
    bot.slack.fail_next("response_url", "internal_error", status=500)

    bot.command("U0ALICE", "who approves overtime on weekends?")

    assert len(bot.posts("C0HELP")) == 1
    [dm] = bot.posts("U0ALICE")
    assert "<#C0HELP>" in dm.text
    assert bot.questions()[0].status == "routed"


def test_the_question_is_stored_before_the_ack_even_when_answering_fails(bot: Harness,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("index down")

    monkeypatch.setattr(bot.runtime.index, "search", broken)
    response = bot.command("U0ALICE", "who approves overtime on weekends?")

    assert response.status == 200
    [question] = bot.questions()
    assert (question.text, question.status) == ("who approves overtime on weekends?", "asked")
    assert "something went wrong" in bot.last_reply().text


def dm(text: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": "D0ALICE", "channel_type": "im", "user": "U0ALICE", "text": text,
            "ts": ts, **extra}


def test_a_dm_to_the_bot_is_a_question_answered_in_the_dm_once(bot: Harness) -> None:
    bot.add_items(VPN, WIFI)

    bot.event(dm("how do I reset my vpn pasword", "1700000001.000001"), event_id="EvDM1")
    bot.event(dm("how do I reset my vpn pasword", "1700000001.000001"), event_id="EvDM1")  # Slack's retry

    [reply] = bot.posts("U0ALICE")
    assert "Resetting your VPN password" in all_text(reply) and bot.replies() == []
    [question] = bot.questions()
    assert (question.asker_id, question.text) == ("U0ALICE", "how do I reset my vpn pasword")


def test_a_dm_is_parsed_like_learn_and_the_bots_own_messages_are_ignored(bot: Harness) -> None:
    bot.event(dm("help", "1700000002.000001"))
    bot.event(dm("?!", "1700000002.000002"))
    bot.event(dm("expert add forklifts", "1700000002.000003"))
    bot.event(dm("a message from a bot", "1700000002.000004", bot_id="B0OTHER"))
    bot.event(dm("edited", "1700000002.000005", subtype="message_changed"))

    replies = bot.posts("U0ALICE")
    assert ["/learn <your question>" in r.text for r in replies] == [True, False, False]
    assert "doesn't look like a question" in replies[1].text and "Added 1 topic: forklifts" in replies[2].text
    assert bot.questions() == [] and bot.posts("C0HELP") == []


def test_a_dm_question_routed_to_colleagues_is_posted_in_the_help_channel(bot: Harness) -> None:
    bot.event(dm("who approves overtime on weekends?", "1700000003.000001"))
    assert len(bot.posts("C0HELP")) == 1
    [reply] = bot.posts("U0ALICE")
    assert "<#C0HELP>" in reply.text


def test_slack_markup_in_a_reply_reaches_the_next_asker_as_readable_text_with_a_working_link(bot: Harness) -> None:
    bot.command("U0ALICE", "How often must the torque wrench be calibrated?")
    [question] = bot.questions()
    bot.event({"type": "message", "channel": "C0HELP", "user": "U0BOB", "ts": "1800000000.000001",
               "thread_ts": question.thread_ts,
               "text": "Yearly &amp; after a drop: see <https://x.example/tw|the guide>"})
    bot.click("U0ALICE", button(bot.posts("U0ALICE")[0], "Accept answer"))

    bot.command("U0DAVE", "how often should a torque wrench be calibrated")

    shown = all_text(bot.last_reply())
    assert "Yearly &amp; after a drop: see the guide (https://x.example/tw)" in shown
    assert "&amp;amp;" not in shown and "&lt;https" not in shown

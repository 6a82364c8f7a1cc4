"""`/learn` end to end inside the process: signed requests in, what Slack was told out."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.local.payloads import signed_headers, slash_command
from store.models import ExpertPing, Feedback, OutboxMessage, Question
from tests.harness import Harness, all_text, button, buttons

VPN = ("Resetting your VPN password", "https://intranet.example.com/vpn",
       "Open the self-service portal, choose VPN, then Reset password.")
WIFI = ("Connecting to the office Wi-Fi", "https://intranet.example.com/wifi",
        "Pick the network CORP-SECURE and sign in with your laptop account.")
EXPENSES = ("Submitting an expense claim", "https://intranet.example.com/expenses",
            "Photograph the receipt in the Expenses app and submit before the 25th.")


def test_confident_match_answers_the_asker_privately_with_the_item_and_buttons(bot: Harness) -> None:
    bot.add_items(VPN, WIFI, EXPENSES)

    response = bot.command("U0ALICE", "how do I reset my vpn pasword")

    assert response.status == 200
    reply = bot.last_reply()
    assert reply.params["response_type"] == "ephemeral"
    first_item = reply.blocks[1]["text"]["text"]
    assert "<https://intranet.example.com/vpn|Resetting your VPN password>" in first_item
    assert "self-service portal" in first_item
    labels = [b["text"] for b in buttons(reply)]
    assert labels[0] == "This answered it" and labels[-1] == "Ask a colleague"
    assert bot.posts() == []  # nobody was bothered
    [question] = bot.questions()
    assert (question.asker_id, question.status, question.text) == ("U0ALICE", "asked", "how do I reset my vpn pasword")


def test_no_confident_match_posts_in_help_channel_mentioning_experts_and_tells_asker(bot: Harness) -> None:
    bot.add_items(VPN, WIFI)
    bot.add_experts(U0BOB="torque wrench, calibration", U0CAROL="forklift", U0ALICE="torque")

    bot.command("U0ALICE", "How often must the torque wrench be calibrated?")

    [post] = bot.posts("C0HELP")
    text = all_text(post)
    assert "<@U0ALICE> asked" in text and "How often must the torque wrench be calibrated?" in text
    assert "<@U0BOB>" in text  # the expert is mentioned
    assert "<@U0CAROL>" not in text  # not an expert on this
    assert text.count("<@U0ALICE>") == 1  # never paged to answer one's own question
    reply = bot.last_reply()
    assert "<#C0HELP>" in reply.text and reply.params["response_type"] == "ephemeral"
    [question] = bot.questions()
    assert question.status == "routed" and question.routed_at == bot.runtime.clock.now()
    assert question.help_channel == "C0HELP" and question.thread_ts == sent_ts(bot)
    with bot.runtime.sessions() as session:
        assert list(session.scalars(select(ExpertPing.user_id))) == ["U0BOB"]


def sent_ts(bot: Harness) -> str | None:
    """The `ts` Slack gave the (only) delivered outbox message."""
    with bot.runtime.sessions() as session:
        return session.scalar(select(OutboxMessage.result_ts))


@pytest.mark.settings(help_channel=None)
def test_without_a_help_channel_nothing_is_posted_where_it_was_asked(bot: Harness) -> None:
    bot.command("U0ALICE", "who cleans the coffee machine?", channel="C0KITCHEN")
    assert bot.posts() == [] and bot.questions()[-1].help_channel is None


def test_mentions_in_a_question_are_escaped_everywhere(bot: Harness) -> None:
    bot.command("U0ALICE", "<!channel> <@U0BOB> <!here> why &amp; how &lt;b&gt;?")  # as Slack sends it

    [post] = bot.posts("C0HELP")
    text = all_text(post)
    assert "<!channel>" not in text and "<!here>" not in text and "<@U0BOB>" not in text
    assert "@channel @U0BOB @here why &amp; how &lt;b&gt;?" in text
    assert "<!channel>" not in all_text(bot.last_reply())


def test_usage_for_empty_help_and_unknown_subcommands(bot: Harness) -> None:
    for text in ("", "   ", "help", "expert", "expert frobnicate vpn", "anon"):
        response = bot.command("U0ALICE", text)
        assert response.status == 200
        assert "/learn <your question>" in response.body, text
    assert bot.questions() == []


def test_a_question_over_4000_characters_gets_a_polite_limit_and_is_not_stored(bot: Harness) -> None:
    response = bot.command("U0ALICE", "why " * 1001)
    assert response.status == 200 and "under 4,000" in response.body
    assert bot.questions() == [] and bot.posts() == []


def test_forged_or_stale_signature_is_refused_and_changes_nothing(bot: Harness) -> None:
    body = slash_command("U0ALICE", "how do I reset my vpn password", response_url=bot.slack.response_url())
    forged = signed_headers(body, "not-the-secret")
    stale = signed_headers(body, Harness.SECRET, timestamp=int(time.time()) - 60 * 10)
    assert bot.dispatch(body, forged).status == 401
    assert bot.dispatch(body, stale).status == 401
    assert bot.questions() == [] and bot.slack.calls_to("response_url") == []


@pytest.mark.parametrize("timestamp, signature", [
    ("", None), ("abc", None), ("1.5", None), ("9" * 40, None), ("١٢٣٤٥٦٧٨٩٠", None), ("-1", None),
    (None, ""), (None, "v0=é"), (None, "v1=abc"), (None, "v0=" + "0" * 5000),
])
def test_a_malformed_signature_header_is_a_401_and_no_traceback(bot: Harness, caplog: pytest.LogCaptureFixture,
                                                               timestamp: str | None, signature: str | None) -> None:
    body = slash_command("U0ALICE", "how do I reset my vpn password", response_url=bot.slack.response_url())
    headers = signed_headers(body, Harness.SECRET)
    headers["X-Slack-Request-Timestamp"] = headers["X-Slack-Request-Timestamp"] if timestamp is None else timestamp
    headers["X-Slack-Signature"] = headers["X-Slack-Signature"] if signature is None else signature
    assert bot.dispatch(body, headers).status == 401
    assert bot.questions() == [] and bot.slack.calls_to("response_url") == []
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= 40]


def test_this_answered_it_teaches_the_matcher_the_paraphrase(bot: Harness) -> None:
    bot.add_items(VPN, WIFI, EXPENSES)
    paraphrase = "I'm locked out of remote access"
    bot.command("U0ALICE", paraphrase)
    question_id = bot.questions()[0].id
    item_id = bot.runtime.index.search("reset vpn password").content[0].id

    bot.click("U0ALICE", {"action_id": "item_answered", "value": f"{question_id}:{item_id}"})

    assert "Glad it helped" in bot.last_reply().text and bot.last_reply().params["replace_original"] is True
    [question] = bot.questions()
    assert question.status == "self_served" and question.self_served_at is not None
    top = bot.runtime.index.search("locked out of remote access").content[0]
    assert top.id == item_id


def test_only_the_asker_can_mark_an_item_as_the_answer(bot: Harness) -> None:
    bot.add_items(VPN)
    bot.command("U0ALICE", "reset vpn password")
    question_id = bot.questions()[0].id

    bot.click("U0BOB", {"action_id": "item_answered", "value": f"{question_id}:1"})

    assert "Only the person who asked" in bot.last_reply().text
    assert bot.questions()[0].status == "asked"
    with bot.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_ask_a_colleague_routes_once_even_when_double_clicked(bot: Harness) -> None:
    bot.add_items(VPN, WIFI)
    bot.command("U0ALICE", "how do I reset my vpn password")
    ask = button(bot.last_reply(), "Ask a colleague")

    bot.click("U0ALICE", ask)
    bot.click("U0ALICE", ask)

    assert len(bot.posts("C0HELP")) == 1
    assert "<#C0HELP>" in bot.last_reply().text
    [question] = bot.questions()
    assert question.status == "routed"
    with bot.runtime.sessions() as session:  # the miss is remembered against the top item
        assert [(f.item_id, f.helpful) for f in session.scalars(select(Feedback))] == [(1, False)]


def test_a_slack_error_loses_nothing_the_post_is_retried(bot: Harness) -> None:
    bot.slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=30)

    bot.command("U0ALICE", "who approves overtime on weekends?")

    assert len(bot.slack.calls_to("chat.postMessage")) == 1 and bot.posts("C0HELP")[0]  # the failed try
    [question] = bot.questions()
    assert question.status == "routed" and question.thread_ts is None
    bot.outbox.deliver_due()  # not due yet: Retry-After is honoured
    assert len(bot.slack.calls_to("chat.postMessage")) == 1

    bot.runtime.clock.advance(timedelta(seconds=31))
    assert bot.outbox.deliver_due() == 1
    assert len(bot.slack.calls_to("chat.postMessage")) == 2
    assert bot.questions()[0].thread_ts is not None
    assert bot.outbox.deliver_due() == 0  # and never twice


def test_anonymous_question_hides_the_asker_in_the_channel(bot: Harness) -> None:
    bot.command("U0ALICE", "anon what if I disagree with my appraisal?")
    [post] = bot.posts("C0HELP")
    assert "U0ALICE" not in all_text(post) and "Someone asked" in all_text(post)
    assert bot.questions()[0].anonymous is True


def test_expert_topics_can_be_added_listed_and_removed(bot: Harness) -> None:
    bot.command("U0BOB", "expert add Torque wrench; calibration")
    assert "Added 2 topics: torque wrench, calibration" in bot.last_reply().text
    bot.command("U0BOB", "expert list")
    assert "torque wrench, calibration" in bot.last_reply().text
    assert bot.runtime.index.search("calibration of the torque wrench").experts[0].id == "U0BOB"
    bot.command("U0BOB", "expert remove calibration")
    assert "Removed 1 topic" in bot.last_reply().text
    bot.command("U0BOB", "expert list")
    assert bot.last_reply().text.endswith("torque wrench")


def test_question_rows_are_not_shared_between_people(bot: Harness) -> None:
    bot.command("U0ALICE", "question one about printers")
    bot.command("U0BOB", "question two about forklifts")
    assert [(q.asker_id, q.text) for q in bot.questions()] == [
        ("U0ALICE", "question one about printers"), ("U0BOB", "question two about forklifts")]
    with bot.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 2

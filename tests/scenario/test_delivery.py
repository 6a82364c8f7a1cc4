"""Slack refusing a question's help-channel post for good: the asker and the learning managers hear of it."""

from __future__ import annotations

import pytest

from bot.outbox import backoff
from bot.run.http import health
from tests.harness import Harness, all_text

QUESTION = "who cleans the coffee machine?"


def ask(bot: Harness) -> None:
    bot.command("U0ALICE", QUESTION)
    assert "I've asked your colleagues" in bot.last_reply().text
    bot.outbox.deliver_due()  # the DMs the failure queued


def assert_told(bot: Harness, channel: str, error: str) -> None:
    [asker] = bot.posts("U0ALICE")
    assert f"couldn't post your question in <#{channel}>" in asker.text and "learning managers" in asker.text
    assert QUESTION in all_text(asker)
    [manager] = bot.posts("U0MANAGER")
    assert f"<#{channel}>" in manager.text and f"`{error}`" in manager.text
    assert QUESTION in all_text(manager) and "<@U0ALICE>" in all_text(manager)
    assert health(bot.runtime.engine, {})["outbox"] == {"pending": 0, "failed": 1}


@pytest.mark.settings(help_channel="C0GONE")
def test_an_unknown_help_channel(bot: Harness) -> None:
    ask(bot)
    assert_told(bot, "C0GONE", "channel_not_found")


def test_an_archived_help_channel(bot: Harness) -> None:
    bot.slack.channels["C0HELP"].archived = True
    ask(bot)
    assert_told(bot, "C0HELP", "is_archived")


def test_a_private_help_channel_without_the_bot(bot: Harness) -> None:
    bot.slack.add_channel("C0HELP", "help", private=True)
    ask(bot)
    assert_told(bot, "C0HELP", "channel_not_found")


def test_not_in_channel_is_told_once(bot: Harness) -> None:
    bot.slack.fail_next("chat.postMessage", "not_in_channel")
    ask(bot)
    bot.outbox.deliver_due()
    assert_told(bot, "C0HELP", "not_in_channel")


def test_a_retryable_error_is_retried_and_tells_nobody(bot: Harness) -> None:
    bot.slack.fail_next("chat.postMessage", "internal_error")
    ask(bot)
    assert len(bot.posts("C0HELP")) == 1  # the refused attempt
    assert bot.posts("U0ALICE") == [] and bot.posts("U0MANAGER") == [] and bot.questions()[0].thread_ts is None
    assert health(bot.runtime.engine, {})["outbox"] == {"pending": 1, "failed": 0}

    bot.runtime.clock.advance(backoff(1))
    bot.outbox.deliver_due()
    [_, posted] = bot.posts("C0HELP")
    assert QUESTION in all_text(posted) and bot.questions()[0].thread_ts is not None
    assert bot.posts("U0ALICE") == [] and bot.posts("U0MANAGER") == []
    assert health(bot.runtime.engine, {})["outbox"] == {"pending": 0, "failed": 0}


@pytest.mark.settings(managers=())
def test_without_managers_the_asker_is_told_whom_to_tell(bot: Harness) -> None:
    bot.slack.channels["C0HELP"].archived = True
    ask(bot)
    [asker] = bot.posts("U0ALICE")
    assert "Please tell whoever runs Learnbot" in asker.text

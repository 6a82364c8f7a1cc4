"""The weekly digest and the App Home tab, with a settable clock and the fake Slack."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import digest
from bot.digest import Gap
from bot.jobs import sweep
from bot.library import record_feedback
from bot.local.slack import LocalSlack
from store.models import AndonCard, Answer, DigestRun, ExpertPing, LibraryItem, Person, Question, Reflection
from tests.harness import Harness, all_text, button

PARIS = ZoneInfo("Europe/Paris")
# ISO week 2026-W47 runs Monday 16 to Sunday 22 November 2026 (Paris time).
MONDAY_W47 = datetime(2026, 11, 16, 0, 0, tzinfo=PARIS)
DIGEST_TIME = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)  # Monday of W48, 09:00


def add_question(bot: Harness, asker: str, text: str, asked: datetime, *, answered_after: timedelta | None = None,
                 answerer: str = "U0BOB", self_served: bool = False, escalated: bool = False,
                 anonymous: bool = False, accepted: bool = False) -> Question:
    """A question with its history, as the bot would have stored it."""
    with bot.runtime.sessions() as session:
        q = Question(asker_id=asker, text=text, anonymous=anonymous, asked_in="C0GENERAL", asked_at=asked,
                     status="self_served" if self_served else "routed", help_channel="C0HELP",
                     thread_ts=f"{asked.timestamp():.6f}")
        if self_served:
            q.self_served_at = q.resolved_at = asked + timedelta(minutes=1)
        else:
            q.routed_at = asked
        if answered_after is not None:
            q.first_answer_at = asked + answered_after
            q.status = "resolved" if accepted else "answered"
            session.add(q)
            session.flush()
            session.add(Answer(question_id=q.id, user_id=answerer, message_ts=f"{q.first_answer_at.timestamp():.6f}",
                               text="an answer", created_at=q.first_answer_at,
                               accepted_at=q.first_answer_at if accepted else None))
            session.add(ExpertPing(question_id=q.id, user_id=answerer, score=80, reason="routed", pinged_at=asked))
        if escalated:
            q.escalated_at = asked + timedelta(hours=4)
        session.add(q)
        session.commit()
        return q


def known_history(bot: Harness) -> None:
    """W47: 10 questions. 3 self-served, 5 answered after 10, 20, 30, 40, 100 minutes, 2 unanswered (escalated).
    W46: 4 questions, 1 self-served, 1 answered after 60 minutes."""
    t = MONDAY_W47 + timedelta(hours=10)
    for n in range(3):
        add_question(bot, "U0ALICE", f"how do I reset my vpn password {n}", t + timedelta(hours=n), self_served=True)
    for n, minutes in enumerate((10, 20, 30, 40, 100)):
        add_question(bot, "U0CAROL", f"torque wrench calibration question {n}", t + timedelta(days=1, hours=n),
                     answered_after=timedelta(minutes=minutes), accepted=n < 2)
    add_question(bot, "U0DAVE", "forklift licence renewal?", t + timedelta(days=2), escalated=True, anonymous=True)
    add_question(bot, "U0DAVE", "forklift licence expiry?", t + timedelta(days=3), escalated=True)
    last_week = MONDAY_W47 - timedelta(days=5)
    add_question(bot, "U0ALICE", "printer jam", last_week, self_served=True)
    add_question(bot, "U0ALICE", "printer toner", last_week, answered_after=timedelta(minutes=60))
    add_question(bot, "U0ALICE", "printer driver", last_week)
    add_question(bot, "U0ALICE", "printer queue", last_week)
    with bot.runtime.sessions() as session:
        session.add(Reflection(question_id=4, user_id="U0CAROL", role="asker", text="The calibration log is online.",
                               created_at=t + timedelta(days=2)))
        session.add(AndonCard(label="forklift licence", status="open", version=1, created_at=t + timedelta(days=3),
                              notified_at=t, notify_count=0))
        session.commit()


def test_the_numbers_are_right_for_a_known_history(bot: Harness) -> None:
    known_history(bot)
    week = digest.parse_week("2026-W47", PARIS)
    with bot.runtime.sessions() as session:
        d = digest.build_digest(session, week, PARIS, for_managers=True)
    n, p = d.numbers, d.previous
    # answered by colleagues = an answer was accepted (2 of the 5 with replies); the replies still time the response
    assert (n.asked, n.by_library, n.by_colleagues, n.escalated, n.still_open) == (10, 3, 2, 2, 5)
    assert n.median_first_answer == timedelta(minutes=30)  # of 10, 20, 30, 40, 100
    assert n.p90_first_answer == timedelta(minutes=76)  # 40 + 0.6 × (100 − 40), as percentile_cont
    assert (p.asked, p.by_library, p.by_colleagues, p.median_first_answer) == (4, 1, 0, timedelta(minutes=60))
    assert d.andon.opened == 1
    assert d.helpers == [("U0BOB", 5, 2)]
    assert d.top_topics[0] == ("torque wrench calibration", 5)
    assert d.gaps == [Gap("torque wrench calibration", 5), Gap("forklift licence renewal", 2)]  # the library had nothing
    assert d.reflections == [("asker", "The calibration log is online.")]
    assert [(text, asker) for text, asker, *_ in d.oldest_open] == [  # replies nobody accepted leave them open
        ("printer toner", "U0ALICE"), ("printer driver", "U0ALICE"), ("printer queue", "U0ALICE"),
        ("torque wrench calibration question 2", "U0CAROL"), ("torque wrench calibration question 3", "U0CAROL")]
    assert [card.label for card, _ in d.open_cards] == ["forklift licence"]
    assert [w.week.label for w in d.history] == [f"2026-W{n}" for n in range(40, 48)]


@pytest.mark.settings(timezone=PARIS, digest_channel="C0DIGEST")
def test_digest_posted_at_the_configured_time_once_with_chart_manager_and_expert_versions(bot: Harness) -> None:
    known_history(bot)
    bot.runtime.clock.set(DIGEST_TIME - timedelta(minutes=1))
    assert sweep(bot.runtime, bot.outbox.deliver_due).digest_week is None
    assert bot.posts("C0DIGEST") == []

    bot.runtime.clock.set(DIGEST_TIME)
    assert sweep(bot.runtime, bot.outbox.deliver_due).digest_week == "2026-W47"
    bot.runtime.clock.advance(timedelta(minutes=1))
    assert sweep(bot.runtime, bot.outbox.deliver_due).digest_week is None  # once

    [post] = bot.posts("C0DIGEST")
    text = all_text(post)
    assert "Learnbot weekly digest · 2026-W47" in text
    assert "*10* questions asked (+6 vs last week)" in text
    assert "*30%* answered by the library at once (+5 pts)" in text
    assert "median *30m*, 90th percentile *1h 16m*" in text
    assert "<@U0BOB>: 5 answers, 2 accepted" in text
    assert "Open andon cards" not in text  # the managers' part is for managers
    [upload] = bot.slack.uploads.values()
    assert upload.channel == "C0DIGEST" and upload.content.startswith(b"\x89PNG\r\n\x1a\n")
    [manager] = [c for c in bot.slack.calls_to("chat.postMessage") if c.channel == "U0MANAGER"]
    assert "Open andon cards" in all_text(manager) and "Oldest open questions" in all_text(manager)
    assert "printer toner" in all_text(manager) and "<@U0CAROL>" in all_text(manager)
    [note] = [c for c in bot.slack.calls_to("chat.postMessage") if c.channel == "U0BOB"]
    assert "you gave 5 answers, 2 accepted" in all_text(note)
    with bot.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DigestRun)) == 1


@pytest.mark.settings(timezone=PARIS, digest_channel="C0DIGEST")
def test_a_digest_missed_while_down_is_sent_on_return_within_a_day_but_not_later(bot: Harness,
                                                                                 slack: LocalSlack) -> None:
    bot.runtime.clock.set(DIGEST_TIME - timedelta(hours=1))
    sweep(bot.runtime, bot.outbox.deliver_due)
    bot.runtime.engine.dispose()  # the bot is down across 09:00 ...
    bot.runtime.clock.set(DIGEST_TIME + timedelta(hours=6))
    restarted = Harness(bot.runtime.settings, slack, bot.runtime.clock)
    assert sweep(restarted.runtime, restarted.outbox.deliver_due).digest_week == "2026-W47"
    assert len(bot.posts("C0DIGEST")) == 1

    bot.runtime.clock.set(DIGEST_TIME + timedelta(days=7, hours=25))  # down for more than a day after W48's slot
    assert sweep(restarted.runtime, restarted.outbox.deliver_due).digest_week is None


@pytest.mark.settings(timezone=PARIS, digest_channel="C0DIGEST")
def test_two_processes_never_send_one_week_twice(bot: Harness, slack: LocalSlack) -> None:
    other = Harness(bot.runtime.settings, slack, bot.runtime.clock)
    week = digest.parse_week("2026-W47", PARIS)
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as one, other.runtime.sessions() as two:
        first = digest.start_run(one, bot.runtime.settings, week, now)
        second = digest.start_run(two, other.runtime.settings, week, now)
    assert first is not None and second is None
    bot.outbox.deliver_due()
    other.outbox.deliver_due()
    assert len(bot.posts("C0DIGEST")) == 1


def test_experts_can_turn_their_weekly_note_off(bot: Harness) -> None:
    bot.command("U0BOB", "digest off")
    assert "weekly note is off" in bot.last_reply().text
    with bot.runtime.sessions() as session:
        assert session.get_one(Person, "U0BOB").digest_opt_out is True
    known_history(bot)
    with bot.runtime.sessions() as session:
        digest.start_run(session, bot.runtime.settings, digest.parse_week("2026-W47", timezone.utc),
                         bot.runtime.clock.now())
    bot.outbox.deliver_due()
    assert [c for c in bot.slack.calls_to("chat.postMessage") if c.channel == "U0BOB"] == []


def test_home_tab_for_a_member_shows_their_questions_answers_and_expertise(bot: Harness) -> None:
    bot.command("U0BOB", "expert add torque wrench, calibration")
    bot.command("U0ALICE", "Where do I find the forklift checklist?")
    bot.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    view = bot.slack.calls_to("views.publish")[-1]
    assert view.params["user_id"] == "U0ALICE"
    text = all_text(view)
    assert "Where do I find the forklift checklist?" in text and "asked colleagues, no answer yet" in text
    assert "Andon board" not in text

    bot.event({"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
    bob = bot.slack.calls_to("views.publish")[-1]
    assert "torque wrench" in all_text(bob) and button(bob, "Remove")["value"] == "torque wrench"
    bot.click("U0BOB", button(bob, "Remove"))
    refreshed = bot.slack.calls_to("views.publish")[-1]
    assert refreshed.params["user_id"] == "U0BOB" and "torque wrench _(declared)_" not in all_text(refreshed)
    bot.click("U0BOB", button(bob, "Add topics"))
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    bot.submit("U0BOB", modal, {"topics": "forklift, warehouse"})
    assert "forklift _(declared)_" in all_text(bot.slack.calls_to("views.publish")[-1])


def test_home_tab_for_a_manager_adds_the_andon_board_and_the_week(bot: Harness) -> None:
    known_history(bot)
    bot.event({"type": "app_home_opened", "user": "U0MANAGER", "tab": "home"})
    text = all_text(bot.slack.calls_to("views.publish")[-1])
    assert "Andon board" in text and "forklift licence" in text and "This week so far" in text


@pytest.mark.settings(timezone=PARIS, digest_channel="C0DIGEST")
def test_the_digest_says_which_teams_each_gap_and_open_card_comes_from(bot: Harness) -> None:
    bot.add_team("Support", "U0ALICE", "U0BOB")
    bot.add_team("Sales", "U0CAROL")
    bot.runtime.clock.set(MONDAY_W47 + timedelta(days=1))
    for user, text in (("U0ALICE", "forklift licence renewal?"), ("U0BOB", "forklift licence expiry?"),
                       ("U0CAROL", "forklift licence for the new site?"), ("U0CAROL", "anon forklift licence cost?")):
        bot.command(user, text)
    bot.runtime.clock.advance(timedelta(hours=4))
    sweep(bot.runtime, bot.outbox.deliver_due)  # nobody answered: one andon card
    bot.runtime.clock.set(DIGEST_TIME)
    sweep(bot.runtime, bot.outbox.deliver_due)

    [post] = [c for c in bot.posts("C0DIGEST") if "2026-W47" in c.text]
    assert "• forklift licence renewal (4) · from Support (2), Sales (1)" in all_text(post)  # the anonymous asker is not placed
    [manager] = [c for c in bot.posts("U0MANAGER") if "digest · 2026-W47" in c.text]
    assert ": 4 questions, oldest 6d 9h · from Support (2), Sales (1)" in all_text(manager)


def test_the_channels_digest_names_no_team_item_and_the_managers_digest_does(bot: Harness) -> None:
    support = bot.add_team("Support", "U0ALICE")
    bot.add_items(("Team runbook", "https://wiki.example/runbook", "the support runbook"),
                  ("Org handbook", "https://wiki.example/handbook", "the handbook"))
    now = MONDAY_W47 + timedelta(days=1)
    with bot.runtime.sessions() as session:
        runbook, handbook = session.scalars(select(LibraryItem).order_by(LibraryItem.id)).all()
        runbook.audience_id = support
        for n, item in enumerate((runbook, runbook, handbook)):
            question = Question(asker_id="U0ALICE", text=f"question {n}", asked_at=now, status="self_served")
            session.add(question)
            session.flush()
            record_feedback(session, question, item.id, helpful=True, now=now)
        session.commit()
        week = digest.parse_week("2026-W47", PARIS)
        channel = digest.build_digest(session, week, PARIS)
        managers = digest.build_digest(session, week, PARIS, for_managers=True)

    assert [title for title, _, _ in channel.helpful_items] == ["Org handbook"]
    assert [title for title, _, _ in managers.helpful_items] == ["Team runbook", "Org handbook"]

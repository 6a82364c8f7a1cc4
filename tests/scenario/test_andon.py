"""Andon: unanswered questions escalate onto one card per topic; managers act on it."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.jobs import sweep
from bot.local.slack import Call, LocalSlack
from store.models import AndonCard, LibraryItem, OutboxMessage, Question
from tests.conftest import make_settings
from tests.harness import Harness, all_text, button

SLA = timedelta(hours=4)
TORQUE = ["How often must the torque wrench be calibrated?",
          "what's the calibration interval for torque wrenches",
          "who calibrates the torque wrench on line 2?"]


def run_sweep(bot: Harness) -> None:
    sweep(bot.runtime, bot.outbox.deliver_due)


def andon_posts(bot: Harness) -> list[Call]:
    """The cards posted in the andon channel (not the notes in their threads)."""
    return [c for c in bot.posts("C0ANDON") if not c.params.get("thread_ts")]


def notes(bot: Harness, containing: str) -> list[Call]:
    """Notes in the cards' threads that contain `containing`."""
    return [c for c in bot.posts("C0ANDON") if c.params.get("thread_ts") and containing in c.text]


def card_updates(bot: Harness) -> list[Call]:
    return [c for c in bot.slack.calls_to("chat.update") if c.channel == "C0ANDON"]


def cards(bot: Harness) -> list[AndonCard]:
    with bot.runtime.sessions() as session:
        return list(session.scalars(select(AndonCard).order_by(AndonCard.id)))


def ask(bot: Harness, text: str, user: str = "U0ALICE") -> Question:
    bot.command(user, text)
    return bot.questions()[-1]


def test_escalated_after_the_sla_and_not_before(bot: Harness) -> None:
    question = ask(bot, TORQUE[0])
    bot.runtime.clock.advance(SLA - timedelta(minutes=1))
    run_sweep(bot)
    assert andon_posts(bot) == [] and cards(bot) == []

    bot.runtime.clock.advance(timedelta(minutes=1))
    run_sweep(bot)

    [card_post] = andon_posts(bot)
    text = all_text(card_post)
    assert "Andon: " in text and "*1* unanswered question from *1* person" in text
    assert TORQUE[0] in text and "<@U0ALICE>" in text
    assert f"https://local.slack/archives/C0HELP/p{question.thread_ts.replace('.', '')}" in text
    assert [b["text"] for b in (button(card_post, "Acknowledge"), button(card_post, "Resolve with content"))]
    [card] = cards(bot)
    assert (card.status, card.channel, card.message_ts) == ("open", "C0ANDON", card.message_ts)
    assert bot.questions()[0].escalated_at == bot.runtime.clock.now()


def test_similar_questions_join_one_card_updated_in_place_and_raise_the_kanban_signal_once(bot: Harness) -> None:
    for n, text in enumerate(TORQUE):
        ask(bot, text, user=f"U0ASK{n}")
        bot.runtime.clock.advance(SLA)
        run_sweep(bot)
    ask(bot, "Where is the parking for bicycles?", user="U0ASK9")
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    run_sweep(bot)  # a second sweep posts nothing twice

    torque, bikes = cards(bot)
    assert len(andon_posts(bot)) == 2
    updates = [u for u in card_updates(bot) if u.params["ts"] == torque.message_ts]
    assert len(updates) == 2
    assert "*3* unanswered questions from *3* people" in all_text(updates[-1])
    assert "Formal learning needed" in all_text(updates[-1])
    [kanban] = notes(bot, "formal learning needed")
    assert "<@U0MANAGER>" in kanban.text and "formal learning needed" in kanban.text
    assert torque.kanban_at is not None and bikes.kanban_at is None
    assert "torque" in torque.label.lower() and "bicycle" in bikes.label.lower()


def test_question_text_on_the_card_is_escaped(bot: Harness) -> None:
    ask(bot, "&lt;!channel&gt; &lt;@U0BOB&gt; why is the andon cord &amp; light red?")  # typed literally
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    text = all_text(andon_posts(bot)[0])
    assert "<!channel>" not in text and "<@U0BOB>" not in text
    assert "&lt;!channel&gt; &lt;@U0BOB&gt;" in text


def test_anonymous_questions_appear_without_names(bot: Harness) -> None:
    ask(bot, "anon " + TORQUE[0])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    text = all_text(andon_posts(bot)[0])
    assert "U0ALICE" not in text and "someone" in text


def test_the_card_says_which_teams_the_gap_comes_from_counting_people_and_placing_no_anonymous_asker(
        bot: Harness) -> None:
    bot.add_team("Support", "U0ALICE", "U0BOB")
    bot.add_team("R&D <ops>", "U0CAROL", "U0ERIN")
    for user, text in (("U0ALICE", TORQUE[0]), ("U0ALICE", TORQUE[1]), ("U0BOB", TORQUE[2]),
                       ("U0CAROL", TORQUE[0] + " (line 3)"), ("U0ERIN", "anon " + TORQUE[1] + " again")):
        ask(bot, text, user=user)
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)

    [card_post] = andon_posts(bot)
    assert "*5* unanswered questions from *4* people" in all_text(card_post)
    assert "Asked from Support (2), R&amp;D &lt;ops&gt; (1)" in all_text(card_post)  # erin asked anonymously
    assert [q.team_id is not None for q in bot.questions()] == [True] * 5


def test_a_manager_acknowledges_and_a_non_manager_is_refused(bot: Harness) -> None:
    ask(bot, TORQUE[0])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    card_post = andon_posts(bot)[0]
    [card] = cards(bot)

    bot.click("U0ALICE", button(card_post, "Acknowledge"), channel="C0ANDON", message_ts=card.message_ts)
    assert "Only learning managers" in bot.last_reply().text
    assert bot.last_reply().params["response_type"] == "ephemeral"
    assert cards(bot)[0].status == "open" and card_updates(bot) == []

    bot.click("U0MANAGER", button(card_post, "Acknowledge"), channel="C0ANDON", message_ts=card.message_ts)
    [card] = cards(bot)
    assert (card.status, card.acknowledged_by) == ("acknowledged", "U0MANAGER")
    assert "acknowledged by <@U0MANAGER>" in all_text(card_updates(bot)[-1])

    bot.runtime.clock.advance(timedelta(days=3))
    run_sweep(bot)  # acknowledged: no reminders
    assert notes(bot, "still waiting") == []


def test_unacknowledged_cards_remind_the_managers_at_most_three_times(bot: Harness) -> None:
    ask(bot, TORQUE[0])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    for _ in range(5):
        bot.runtime.clock.advance(timedelta(hours=24))
        run_sweep(bot)
    assert len(notes(bot, "still waiting")) == 3


def test_snooze_holds_reminders_until_it_ends(bot: Harness) -> None:
    ask(bot, TORQUE[0])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    bot.click("U0MANAGER", button(andon_posts(bot)[0], "Snooze 1 week"), channel="C0ANDON")
    bot.runtime.clock.advance(timedelta(days=6))
    run_sweep(bot)
    assert notes(bot, "still waiting") == []
    bot.runtime.clock.advance(timedelta(days=1, minutes=1))
    run_sweep(bot)
    assert len(notes(bot, "still waiting")) == 1


def test_the_card_is_posted_and_each_snooze_button_updates_it(bot: Harness) -> None:
    """Slack refuses a block repeating an action_id: the card must get through the strict local Slack."""
    ask(bot, TORQUE[0])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    [card_post] = andon_posts(bot)
    [card] = cards(bot)
    assert (card.channel, card.message_ts) == ("C0ANDON", card.message_ts) and card.message_ts
    for label, shown in (("Snooze 1 day", "snoozed for 1d"), ("Snooze 1 week", "snoozed for 7d")):
        bot.click("U0MANAGER", button(card_post, label), channel="C0ANDON", message_ts=card.message_ts)
        assert shown in all_text(card_updates(bot)[-1])
    with bot.runtime.sessions() as session:
        assert session.scalars(select(OutboxMessage.purpose).where(OutboxMessage.failed_at.is_not(None))).all() == []


def test_assign_sends_the_assignee_the_questions(bot: Harness) -> None:
    ask(bot, TORQUE[0])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    [card] = cards(bot)
    bot.pick_user("U0ALICE", "andon_assign", f"andon:{card.id}", "U0TRAINER", channel="C0ANDON")
    assert "Only learning managers" in bot.last_reply().text
    bot.pick_user("U0MANAGER", "andon_assign", f"andon:{card.id}", "U0TRAINER", channel="C0ANDON")
    [dm] = [c for c in bot.slack.calls_to("chat.postMessage") if c.channel == "U0TRAINER"]
    assert TORQUE[0] in all_text(dm)
    assert cards(bot)[0].assigned_to == "U0TRAINER"
    assert "assigned to <@U0TRAINER>" in all_text(card_updates(bot)[-1])


def test_resolving_with_content_notifies_every_asker_once_and_resolves_their_questions(bot: Harness) -> None:
    for n, text in enumerate(TORQUE):
        ask(bot, text, user=["U0ALICE", "U0BOB", "U0ALICE"][n])
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    [card] = cards(bot)
    card_post = andon_posts(bot)[0]

    bot.click("U0BOB", button(card_post, "Resolve with content"), channel="C0ANDON")
    assert "Only learning managers" in bot.last_reply().text and bot.slack.calls_to("views.open") == []
    bot.click("U0MANAGER", button(card_post, "Resolve with content"), channel="C0ANDON")
    modal = bot.slack.calls_to("views.open")[0].params["view"]
    values = {"title": "Torque wrench calibration", "url": "https://intranet.example.com/torque",
              "summary": "Calibrated yearly by the metrology lab; book it in the tool crib."}
    bot.submit("U0MANAGER", modal, values)
    bot.submit("U0MANAGER", modal, values)  # a double submit changes nothing more

    dms = [c for c in bot.slack.calls_to("chat.postMessage") if c.channel in ("U0ALICE", "U0BOB")
           and "now has an answer" in all_text(c)]
    assert sorted(c.channel for c in dms) == ["U0ALICE", "U0BOB"]
    assert "<https://intranet.example.com/torque|Torque wrench calibration>" in all_text(dms[0])
    assert all(q.status == "resolved" for q in bot.questions())
    [card] = cards(bot)
    assert (card.status, card.resolved_by) == ("resolved", "U0MANAGER")
    assert "resolved by <@U0MANAGER> in 4h" in all_text(card_updates(bot)[-1])
    with bot.runtime.sessions() as session:
        item = session.scalars(select(LibraryItem).where(LibraryItem.source == "andon")).one()
    assert bot.runtime.index.search("torque wrench calibration interval").content[0].id == item.id


def test_the_asker_can_pull_the_cord_at_once(bot: Harness) -> None:
    ask(bot, TORQUE[0])
    routed_notice = bot.last_reply()
    bot.click("U0BOB", button(routed_notice, "I'm blocked"))
    assert "Only the person who asked" in bot.last_reply().text and andon_posts(bot) == []

    bot.click("U0ALICE", button(routed_notice, "I'm blocked"))
    bot.click("U0ALICE", button(routed_notice, "I'm blocked"))

    [card_post] = andon_posts(bot)
    assert "pulled the cord" in all_text(card_post) and ":octagonal_sign: *blocked*" in all_text(card_post)
    assert "the learning managers can see your question" in bot.last_reply().text
    assert len(cards(bot)) == 1


def test_a_restart_loses_no_escalation(bot: Harness, slack: LocalSlack, clock: ManualClock) -> None:
    ask(bot, TORQUE[0])
    bot.runtime.engine.dispose()
    clock.advance(SLA)
    restarted = Harness(bot.runtime.settings, slack, clock)  # a new process: nothing in memory survives
    sweep(restarted.runtime, restarted.outbox.deliver_due)
    cards_posted = [c for c in slack.calls_to("chat.postMessage")
                    if c.channel == "C0ANDON" and not c.params.get("thread_ts")]
    assert len(cards_posted) == 1


def test_two_schedulers_on_one_database_produce_one_card(database_url: str, slack: LocalSlack,
                                                         clock: ManualClock) -> None:
    from bot.run.scheduler import Leadership, run_if_leader

    settings = make_settings(database_url, slack)
    bot, other = Harness(settings, slack, clock), Harness(settings, slack, clock)
    first, second = bot.runtime, other.runtime
    for n, text in enumerate(TORQUE):
        ask(bot, text, user=f"U0ASK{n}")
    clock.advance(SLA)
    leaders = [Leadership(first.engine), Leadership(second.engine)]
    outboxes = [bot.outbox, other.outbox]
    threads = [threading.Thread(target=run_if_leader, args=(rt, ob, lead))
               for rt, ob, lead in zip((first, second), outboxes, leaders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run_if_leader(second, outboxes[1], leaders[1])  # still not the leader on PostgreSQL; a no-op rerun on SQLite

    posts = [c for c in slack.calls_to("chat.postMessage") if c.channel == "C0ANDON" and not c.params.get("thread_ts")]
    assert len(posts) == 1
    with first.sessions() as session:
        assert len(session.scalars(select(AndonCard)).all()) == 1
    if first.engine.dialect.name == "postgresql":
        assert [lead.is_leader() for lead in leaders].count(True) == 1
    for lead in leaders:
        lead.release()

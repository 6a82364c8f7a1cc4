"""Issue 13, the andon loop closes for real: only acceptance or resolution ends a question, the
managers are paged, the assignee may resolve, a resolution closes the posts and asks whether it helped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs import sweep
from bot.local.slack import Call
from store.models import AndonCard, Question
from tests.harness import Harness, all_text, button, buttons

SLA = timedelta(hours=4)
TORQUE = ["How often must the torque wrench be calibrated?",
          "what's the calibration interval for torque wrenches",
          "who calibrates the torque wrench on line 2?"]
RESOLUTION = {"title": "Torque wrench calibration", "url": "https://intranet.example.com/torque",
              "summary": "Calibrated yearly by the metrology lab."}


def run_sweep(bot: Harness) -> None:
    sweep(bot.runtime, bot.outbox.deliver_due)


def ask(bot: Harness, text: str, user: str = "U0ALICE") -> Question:
    bot.command(user, text)
    return bot.questions()[-1]


def reply(bot: Harness, question: Question, user: str, text: str, ts: str) -> None:
    bot.event({"type": "message", "channel": "C0HELP", "user": user, "text": text, "ts": ts,
               "thread_ts": question.thread_ts})


def cards(bot: Harness) -> list[AndonCard]:
    with bot.runtime.sessions() as session:
        return list(session.scalars(select(AndonCard).order_by(AndonCard.id)))


def card_post(bot: Harness) -> Call:
    return [c for c in bot.posts("C0ANDON") if not c.params.get("thread_ts")][0]


def last_card_update(bot: Harness) -> Call:
    return [c for c in bot.slack.calls_to("chat.update") if c.channel == "C0ANDON"][-1]


def pages(bot: Harness) -> list[Call]:
    """Notes in a card's thread that page the learning managers (not the kanban signal)."""
    return [c for c in bot.posts("C0ANDON") if c.params.get("thread_ts") and "<@U0MANAGER>" in c.text
            and "formal learning needed" not in c.text]


def dms_to(bot: Harness, user: str) -> list[Call]:
    return bot.posts(user)


def escalate(bot: Harness, *askers: str) -> list[Question]:
    asked = [ask(bot, TORQUE[n], user) for n, user in enumerate(askers)]
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    return asked


def resolve(bot: Harness, user: str = "U0MANAGER", post: Call | None = None) -> None:
    bot.click(user, button(post or card_post(bot), "Resolve with content"), channel="C0ANDON")
    bot.submit(user, bot.slack.calls_to("views.open")[-1].params["view"], RESOLUTION)


# -- 1. any reply no longer ends the loop --------------------------------------------------------

def test_a_reply_nobody_accepted_keeps_the_question_on_its_card_until_it_is_accepted(bot: Harness) -> None:
    first, second = escalate(bot, "U0ALICE", "U0BOB")
    reply(bot, first, "U0CAROL", "no idea, maybe ask quality?", "1800000000.000101")
    reply(bot, second, "U0CAROL", "no idea either", "1800000000.000102")
    assert cards(bot)[0].status == "open"
    assert "*2* unanswered questions" in all_text(card_post(bot)) and bot.slack.calls_to("chat.update") == []

    accept = button(dms_to(bot, "U0ALICE")[0], "Accept answer")
    bot.click("U0ALICE", accept)
    assert "*1* unanswered question from *1* person" in all_text(last_card_update(bot))
    bot.click("U0BOB", button(dms_to(bot, "U0BOB")[0], "Accept answer"))
    assert cards(bot)[0].status == "closed"


def test_a_question_with_only_unaccepted_replies_escalates_past_the_sla(bot: Harness) -> None:
    question = ask(bot, TORQUE[0])
    reply(bot, question, "U0CAROL", "no idea, maybe ask quality?", "1800000000.000103")
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    [card] = cards(bot)
    assert bot.questions()[0].andon_card_id == card.id and TORQUE[0] in all_text(card_post(bot))


def test_still_stuck_escalates_the_question_onto_a_card_now(bot: Harness) -> None:
    question = ask(bot, TORQUE[0])
    reply(bot, question, "U0CAROL", "no idea, maybe ask quality?", "1800000000.000104")
    bot.click("U0ALICE", button(dms_to(bot, "U0ALICE")[0], "Still stuck"))
    [card] = cards(bot)
    assert bot.questions()[0].andon_card_id == card.id
    assert TORQUE[0] in all_text(card_post(bot)) and "learning managers" in bot.last_reply().text


# -- 2. the kanban signal counts people -----------------------------------------------------------

def test_one_person_asking_three_times_raises_no_signal_and_the_card_counts_one_person(bot: Harness) -> None:
    escalate(bot, "U0ALICE", "U0ALICE", "U0ALICE")
    [card] = cards(bot)
    assert card.kanban_at is None
    text = all_text(card_post(bot))
    assert "Formal learning needed" not in text and "from *1* person" in text


# -- 3. the managers are paged -------------------------------------------------------------------

def test_a_new_card_pages_the_managers_once_and_each_pull_of_the_cord_once_more(bot: Harness) -> None:
    escalate(bot, "U0ALICE", "U0BOB")
    run_sweep(bot)
    assert len(pages(bot)) == 1, "one new card with two questions: one page"

    ask(bot, TORQUE[2], "U0DAN")
    blocked = button(bot.replies()[-1], "I'm blocked")
    bot.click("U0DAN", blocked)
    bot.click("U0DAN", blocked)  # a double click pages once
    run_sweep(bot)
    assert len(cards(bot)) == 1 and len(pages(bot)) == 2
    assert "blocked" in pages(bot)[-1].text and pages(bot)[-1].params["thread_ts"] == cards(bot)[0].message_ts


# -- 4. the assignee may resolve ---------------------------------------------------------------

def test_the_assignee_may_resolve_the_card_assigned_to_them_and_no_other(bot: Harness) -> None:
    escalate(bot, "U0ALICE")
    ask(bot, "Where is the parking for bicycles?", "U0BOB")
    bot.runtime.clock.advance(SLA)
    run_sweep(bot)
    torque, bikes = cards(bot)
    bot.pick_user("U0MANAGER", "andon_assign", f"andon:{torque.id}", "U0TRAINER", channel="C0ANDON")
    [dm] = dms_to(bot, "U0TRAINER")

    bike_post = [c for c in bot.posts("C0ANDON") if not c.params.get("thread_ts")][1]
    bot.click("U0TRAINER", button(bike_post, "Resolve with content"), channel="C0ANDON")
    assert "Only learning managers" in bot.last_reply().text and bot.slack.calls_to("views.open") == []

    resolve(bot, "U0TRAINER", dm)
    torque, bikes = cards(bot)
    assert (torque.status, torque.resolved_by, bikes.status) == ("resolved", "U0TRAINER", "open")


# -- 5. resolving closes the help-channel posts --------------------------------------------------

def test_resolving_closes_every_post_and_later_claims_and_replies_change_nothing(bot: Harness) -> None:
    first, second = escalate(bot, "U0ALICE", "U0BOB")
    help_post = bot.posts("C0HELP")[0]
    resolve(bot)
    updates = {c.params["ts"]: c for c in bot.slack.calls_to("chat.update") if c.channel == "C0HELP"}
    assert set(updates) == {first.thread_ts, second.thread_ts}
    for update in updates.values():
        assert "Resolved by the learning team" in all_text(update)
        assert "<https://intranet.example.com/torque|Torque wrench calibration>" in all_text(update)
        assert buttons(update) == []

    before = len(bot.slack.calls)
    bot.click("U0CAROL", button(help_post, "I'll take it"), channel="C0HELP")
    assert "already resolved" in bot.last_reply().text
    reply(bot, first, "U0CAROL", "yearly", "1800000000.000105")
    assert [c for c in bot.slack.calls[before:] if c.method != "response_url"] == []
    assert not any("Accept answer" in all_text(c) for c in dms_to(bot, "U0ALICE"))


# -- 6. the resolution DM asks whether it helped ---------------------------------------------------

def test_the_resolution_dm_asks_if_it_helped_and_no_reopens_the_question_on_the_card(bot: Harness) -> None:
    escalate(bot, "U0ALICE", "U0BOB")
    resolve(bot)
    [dm] = [c for c in dms_to(bot, "U0ALICE") if "now has an answer" in all_text(c)]
    assert {b["text"] for b in buttons(dm)} == {"Yes, it helped", "No, it didn't help", "Add a reflection"}
    assert "Not verified since" in all_text(dm)  # the new item's standing, as every offer shows it

    bot.click("U0CAROL", button(dm, "No, it didn't help"))
    assert "Only the people who asked" in bot.last_reply().text and cards(bot)[0].status == "resolved"
    bot.click("U0ALICE", button(dm, "No, it didn't help"))
    bot.click("U0ALICE", button(dm, "No, it didn't help"))
    assert "back on the learning team's card" in bot.last_reply().text
    alice, bob = bot.questions()
    assert (alice.status, bob.status) == ("routed", "resolved")
    assert cards(bot)[0].status == "open"
    assert "*1* unanswered question" in all_text(last_card_update(bot))
    assert "reopened" in pages(bot)[-1].text and len([p for p in pages(bot) if "reopened" in p.text]) == 1

    bot.click("U0ALICE", button(dm, "Add a reflection"))
    assert bot.slack.calls_to("views.open")[-1].params["view"]["callback_id"] == "reflection"


def test_yes_it_helped_thanks_the_asker_and_changes_nothing_on_the_card(bot: Harness) -> None:
    escalate(bot, "U0ALICE")
    resolve(bot)
    [dm] = [c for c in dms_to(bot, "U0ALICE") if "now has an answer" in all_text(c)]
    bot.click("U0ALICE", button(dm, "Yes, it helped"))
    assert "Glad it helped" in bot.last_reply().text and cards(bot)[0].status == "resolved"


# -- 7. what employees read -----------------------------------------------------------------------

def test_askers_and_the_assignee_read_the_cards_first_question_not_its_topic_label(bot: Harness) -> None:
    escalate(bot, "U0ALICE")
    [card] = cards(bot)
    bot.pick_user("U0MANAGER", "andon_assign", f"andon:{card.id}", "U0TRAINER", channel="C0ANDON")
    resolve(bot)
    [dm] = [c for c in dms_to(bot, "U0ALICE") if "now has an answer" in all_text(c)]
    for message in (dm, dms_to(bot, "U0TRAINER")[0]):
        assert TORQUE[0] in all_text(message) and card.label not in all_text(message)

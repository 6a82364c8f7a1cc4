"""Course planned, through signed payloads: a manager plans a course from the card, askers hear it is
coming, the owner ships it; the card's every question; the managers' board."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.jobs import sweep
from bot.local.payloads import block_action
from bot.local.slack import Call
from store.models import AndonCard, LearningNeed, Question, QuestionStatus
from tests.harness import Harness, all_text, button, buttons

SLA = timedelta(hours=4)
LASER = ["How do I recalibrate the laser cutter after a lens change?",
         "laser cutter recalibration after changing the lens",
         "who recalibrates the laser cutter when the lens is changed?"]
DUE = "2026-02-20"  # the clock starts on 5 Jan 2026


def escalated(bot: Harness, *askers: str) -> tuple[AndonCard, Call]:
    """Each asker's question on the laser cutter, past the SLA, on one card: the card and its post."""
    for n, asker in enumerate(askers):
        bot.command(asker, LASER[n % len(LASER)])
    bot.runtime.clock.advance(SLA)
    sweep(bot.runtime, bot.outbox.deliver_due)
    with bot.runtime.sessions() as session:
        [card] = session.scalars(select(AndonCard)).all()
    [post] = [c for c in bot.posts("C0ANDON") if not c.params.get("thread_ts")]
    return card, post


def latest_card(bot: Harness) -> Call:
    return [c for c in bot.slack.calls_to("chat.update") if c.channel == "C0ANDON"][-1]


def dms(bot: Harness, user: str, words: str) -> list[Call]:
    return [c for c in bot.posts(user) if words in all_text(c)]


def plan_modal(bot: Harness, card: AndonCard, post: Call) -> dict[str, object]:
    bot.click("U0MANAGER", button(post, "Plan a course"), channel="C0ANDON", message_ts=card.message_ts)
    return bot.slack.calls_to("views.open")[-1].params["view"]


def errors(response: object) -> dict[str, str]:
    body = json.loads(response.body)  # type: ignore[attr-defined]
    assert body["response_action"] == "errors"
    return dict(body["errors"])


def test_a_manager_plans_a_course_and_every_asker_is_told_once_with_owner_and_due_date(bot: Harness) -> None:
    card, post = escalated(bot, "U0ALICE", "U0BOB", "U0ALICE")
    bot.click("U0ALICE", button(post, "Plan a course"), channel="C0ANDON", message_ts=card.message_ts)
    assert "Only learning managers" in bot.last_reply().text and bot.slack.calls_to("views.open") == []

    modal = plan_modal(bot, card, post)
    assert card.label in json.dumps(modal)  # the need starts as the card's label
    values = {"need": "Laser cutter: lens change and recalibration", "owner": "U0TRAINER", "due": DUE}
    assert errors(bot.submit("U0MANAGER", modal, {**values, "due": "2026-01-04"})) == {
        "due": "The due date is in the past; choose today or later."}
    assert errors(bot.submit("U0MANAGER", modal, {**values, "owner": ""})) == {"owner": "Choose who makes the course."}
    bot.submit("U0MANAGER", modal, values)
    assert "already planned" in errors(bot.submit("U0MANAGER", modal, values))["need"]  # a double submit

    asked: dict[str, str] = {}
    for question in bot.questions():
        asked.setdefault(question.asker_id, question.text)  # each asker's first question on the card
    for asker in ("U0ALICE", "U0BOB"):
        [dm] = dms(bot, asker, "a course is being made")
        assert "Laser cutter: lens change and recalibration" in all_text(dm)
        assert asked[asker] in dm.blocks[0]["text"]["text"] and card.label not in all_text(dm)  # a question, no label
        assert "<@U0TRAINER>, due 20 Feb 2026" in all_text(dm)
    [owned] = dms(bot, "U0TRAINER", "You own it")
    assert button(owned, "Content shipped")["value"] == str(card.id)
    updated = latest_card(bot)
    assert "course planned" in all_text(updated) and "by <@U0TRAINER>, due 20 Feb 2026" in all_text(updated)
    assert "Plan a course" not in [b["text"] for b in buttons(updated)]
    with bot.runtime.sessions() as session:
        assert session.scalars(select(AndonCard.status)).one() == "course_planned"


def test_the_owner_ships_the_content_and_every_asker_gets_it(bot: Harness) -> None:
    card, post = escalated(bot, "U0ALICE", "U0BOB")
    bot.submit("U0MANAGER", plan_modal(bot, card, post), {"need": "Laser lens course", "owner": "U0TRAINER",
                                                          "due": DUE})
    [owned] = dms(bot, "U0TRAINER", "You own it")
    bot.click("U0BOB", button(owned, "Content shipped"), channel="DTRAINER")
    assert "Only learning managers" in bot.last_reply().text

    bot.click("U0TRAINER", button(owned, "Content shipped"), channel="DTRAINER")
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    bot.submit("U0TRAINER", modal, {"title": "Laser lens course", "url": "https://lms.example.com/laser",
                                    "summary": "Forty minutes, with the checklist."})

    for asker in ("U0ALICE", "U0BOB"):
        [dm] = dms(bot, asker, "now has an answer")
        assert "<https://lms.example.com/laser|Laser lens course>" in all_text(dm)
    assert {q.status for q in bot.questions()} == {QuestionStatus.RESOLVED}
    with bot.runtime.sessions() as session:
        need = session.scalars(select(LearningNeed)).one()
        assert need.shipped_at == bot.runtime.clock.now() and need.item_id is not None
    assert "resolved by <@U0TRAINER>" in all_text(latest_card(bot)) and "shipped" in all_text(latest_card(bot))
    bot.click("U0TRAINER", button(owned, "Content shipped"), channel="DTRAINER")
    assert "shipped already" in bot.last_reply().text


def test_see_all_questions_lists_every_question_with_its_age_a_page_at_a_time(bot: Harness) -> None:
    card, _ = escalated(bot, "U0ALICE")
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as session:  # a topic that kept coming back: 59 more on the card
        session.add_all(Question(asker_id=f"U0ASK{n}", text=f"<!channel> laser lens #{n}?", asked_at=now,
                                 status=QuestionStatus.ROUTED, andon_card_id=card.id) for n in range(59))
        session.commit()
    bot.runtime.clock.advance(timedelta(hours=2))
    bot.click("U0MANAGER", {"action_id": "andon_ack", "value": str(card.id)}, channel="C0ANDON")  # redraws it
    shown = latest_card(bot)
    see_all = button(shown, "See all 60 questions")

    bot.click("U0ALICE", see_all, channel="C0ANDON")
    assert "Only learning managers" in bot.last_reply().text and bot.slack.calls_to("views.open") == []
    bot.click("U0MANAGER", see_all, channel="C0ANDON")
    first = bot.slack.calls_to("views.open")[-1].params["view"]
    text = json.dumps(first)
    assert LASER[0] in text and "asked 6h ago" in text and "Page 1 of 2" in text
    assert "<!channel>" not in text and "&lt;!channel&gt; laser lens #0?" in text
    assert len(first["blocks"]) <= 100 and all(len(b.get("text", {}).get("text", "")) <= 3000 for b in first["blocks"])

    bot.dispatch(block_action("U0MANAGER", "andon_questions", f"{card.id}:1", view_id="V0QUESTIONS"))
    update = bot.slack.calls_to("views.update")[-1].params
    assert update["view_id"] == "V0QUESTIONS"
    second = json.dumps(update["view"])
    assert "laser lens #58?" in second and "Page 2 of 2" in second and "laser lens #48?" not in second


def test_the_managers_board_links_each_card_and_shows_its_state(bot: Harness) -> None:
    card, post = escalated(bot, "U0ALICE")
    bot.event({"type": "app_home_opened", "user": "U0MANAGER", "tab": "home"})
    board = all_text(bot.slack.calls_to("views.publish")[-1])
    permalink = f"https://local.slack/archives/C0ANDON/p{card.message_ts.replace('.', '')}"
    assert f"<{permalink}|" in board and "1 question, oldest 4h · open" in board

    bot.click("U0MANAGER", {"action_id": "andon_snooze_1d", "value": f"{card.id}:1d"}, channel="C0ANDON")
    assert "· open, snoozed for 1d" in all_text(bot.slack.calls_to("views.publish")[-1])
    bot.submit("U0MANAGER", plan_modal(bot, card, post), {"need": "Laser lens course", "owner": "U0TRAINER",
                                                          "due": DUE})
    assert "course planned, due 20 Feb 2026" in all_text(bot.slack.calls_to("views.publish")[-1])

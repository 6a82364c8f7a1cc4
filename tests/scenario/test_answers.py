"""Colleagues and answers: routing to experts, thread answers, accepting, capturing, following up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.jobs import sweep
from bot.local.slack import Call
from store.models import Answer, ExpertDecline, ExpertPing, LibraryItem, Question, Reflection
from tests.harness import Harness, all_text, button

QUESTION = "How often must the torque wrench be calibrated?"


def ask_routed(bot: Harness, text: str = QUESTION, user: str = "U0ALICE") -> tuple[Question, Call]:
    """Ask a question nobody in the library can answer; returns it and its help-channel post."""
    before = len(bot.posts("C0HELP"))
    bot.command(user, text)
    posts = bot.posts("C0HELP")
    assert len(posts) == before + 1, "the question was not posted"
    return bot.questions()[-1], posts[-1]


def reply(bot: Harness, question: Question, user: str, text: str, ts: str, event_id: str | None = None) -> None:
    bot.event({"type": "message", "channel": "C0HELP", "user": user, "text": text, "ts": ts,
               "thread_ts": question.thread_ts, "channel_type": "channel"}, event_id=event_id)


def dms_to(bot: Harness, user: str) -> list[Call]:
    return [c for c in bot.slack.calls_to("chat.postMessage") if c.channel == user]


def test_question_goes_to_the_best_expert_with_claim_and_decline_buttons(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench, calibration", U0CAROL="forklift, warehouse", U0DAN="payroll")
    _, post = ask_routed(bot)
    text = all_text(post)
    assert "<@U0BOB>" in text and "<@U0CAROL>" not in text and "<@U0DAN>" not in text
    assert [b["text"] for b in (button(post, "I'll take it"), button(post, "Not my area"))] == \
        ["I'll take it", "Not my area"]


def test_a_thread_reply_is_an_answer_and_the_asker_is_notified_once_even_if_delivered_twice(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench")
    question, _ = ask_routed(bot)

    reply(bot, question, "U0BOB", "Every 5,000 cycles or yearly, whichever is first.", "1800000000.000001", "EvA")
    reply(bot, question, "U0BOB", "Every 5,000 cycles or yearly, whichever is first.", "1800000000.000001", "EvA")
    reply(bot, question, "U0BOB", "Every 5,000 cycles or yearly, whichever is first.", "1800000000.000001", "EvB")

    [notice] = dms_to(bot, "U0ALICE")
    assert "<@U0BOB> answered your question" in all_text(notice)
    assert "https://local.slack/archives/C0HELP/p1800000000000001?thread_ts=" in all_text(notice)
    assert [b["text"] for b in (button(notice, "Accept answer"), button(notice, "Still stuck"))]
    with bot.runtime.sessions() as session:
        assert session.scalars(select(Answer.text)).all() == ["Every 5,000 cycles or yearly, whichever is first."]
        stored = session.get_one(Question, question.id)
        assert stored.status == "answered" and stored.first_answer_at == bot.runtime.clock.now()


def test_replies_by_the_asker_or_in_other_threads_are_not_answers(bot: Harness) -> None:
    question, _ = ask_routed(bot)
    reply(bot, question, "U0ALICE", "To add: it's the 40 Nm one.", "1800000000.000002")
    bot.event({"type": "message", "channel": "C0HELP", "user": "U0BOB", "text": "unrelated",
               "ts": "1800000000.000003", "thread_ts": "1700000999.000001"})
    bot.event({"type": "message", "channel": "C0HELP", "user": "U0BOB", "text": "top-level",
               "ts": "1800000000.000004"})
    with bot.runtime.sessions() as session:
        assert session.scalars(select(Answer)).all() == []
    assert dms_to(bot, "U0ALICE") == []


def test_accept_by_button_resolves_captures_the_answer_and_the_next_asker_finds_it(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench")
    question, _ = ask_routed(bot)
    reply(bot, question, "U0BOB", "Every 5,000 cycles or yearly; book it in the calibration log.", "1800000000.000005")
    accept = button(dms_to(bot, "U0ALICE")[0], "Accept answer")

    bot.click("U0CAROL", accept)  # not the asker
    assert "Only the person who asked" in bot.last_reply().text
    bot.click("U0ALICE", accept)
    bot.click("U0ALICE", accept)  # a double click changes nothing

    assert "You accepted <@U0BOB>'s answer" in bot.last_reply().text
    with bot.runtime.sessions() as session:
        stored = session.get_one(Question, question.id)
        assert stored.status == "resolved" and stored.resolved_at is not None
        [item] = session.scalars(select(LibraryItem).where(LibraryItem.source == "answer")).all()
        assert item.title == QUESTION and item.body.startswith("Every 5,000 cycles")
        assert item.url == f"https://local.slack/archives/C0HELP/p1800000000000005?thread_ts={question.thread_ts}&cid=C0HELP"
        assert item.created_by == "U0BOB"
    updates = bot.slack.calls_to("chat.update")
    assert len(updates) == 1 and "Answered and accepted" in all_text(updates[0])
    assert updates[0].params["ts"] == question.thread_ts
    invites = [c for c in bot.slack.calls_to("chat.postMessage") if "Add a reflection" in all_text(c)]
    assert sorted(c.channel for c in invites) == ["U0ALICE", "U0BOB"]

    bot.command("U0DAVE", "how often should a torque wrench be calibrated")
    offer = bot.last_reply()
    assert offer.params["response_type"] == "ephemeral"
    assert "Every 5,000 cycles" in all_text(offer) and len(bot.posts("C0HELP")) == 1  # answered from the library


def test_a_check_mark_reaction_by_the_asker_accepts_that_reply(bot: Harness) -> None:
    question, _ = ask_routed(bot)
    reply(bot, question, "U0BOB", "first try", "1800000000.000010")
    reply(bot, question, "U0CAROL", "the right answer", "1800000000.000011")
    reaction = {"type": "reaction_added", "reaction": "white_check_mark",
                "item": {"type": "message", "channel": "C0HELP", "ts": "1800000000.000011"}}

    bot.event({**reaction, "user": "U0BOB"}, event_id="EvR1")  # not the asker: ignored
    bot.event({**reaction, "reaction": "tada", "user": "U0ALICE"}, event_id="EvR2")  # not a check mark
    assert bot.questions()[0].status == "answered"
    bot.event({**reaction, "user": "U0ALICE"}, event_id="EvR3")
    bot.event({**reaction, "user": "U0ALICE"}, event_id="EvR3")  # Slack's retry

    with bot.runtime.sessions() as session:
        accepted = session.scalars(select(Answer.user_id).where(Answer.accepted_at.is_not(None))).all()
        assert accepted == ["U0CAROL"]
    assert bot.questions()[0].status == "resolved"
    assert len(bot.slack.calls_to("chat.update")) == 1


def test_edits_and_deletions_of_answers_are_followed(bot: Harness) -> None:
    question, _ = ask_routed(bot)
    reply(bot, question, "U0BOB", "typo answr", "1800000000.000020")
    bot.event({"type": "message", "subtype": "message_changed", "channel": "C0HELP",
               "message": {"ts": "1800000000.000020", "text": "fixed answer", "user": "U0BOB"}})
    with bot.runtime.sessions() as session:
        answer = session.scalars(select(Answer)).one()
        assert (answer.text, answer.edited_at is not None) == ("fixed answer", True)
    bot.event({"type": "message", "subtype": "message_deleted", "channel": "C0HELP",
               "deleted_ts": "1800000000.000020"})
    with bot.runtime.sessions() as session:
        assert session.scalars(select(Answer)).one().deleted_at is not None


@pytest.mark.settings(max_experts_pinged=1)
def test_claim_shows_who_is_on_it_and_not_my_area_reroutes(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench, calibration", U0CAROL="torque wrench", U0ERIN="calibration")
    question, post = ask_routed(bot)
    with bot.runtime.sessions() as session:
        first = session.scalars(select(ExpertPing.user_id).where(ExpertPing.question_id == question.id)).all()
    assert first == ["U0BOB"]

    bot.click("U0ALICE", button(post, "I'll take it"))
    assert "your own question" in bot.last_reply().text
    bot.click("U0BOB", button(post, "I'll take it"))
    bot.click("U0BOB", button(post, "I'll take it"))
    updates = bot.slack.calls_to("chat.update")
    assert len(updates) == 1 and "<@U0BOB> is on it" in all_text(updates[0])

    bot.click("U0BOB", button(post, "Not my area"))
    bot.click("U0BOB", button(post, "Not my area"))
    with bot.runtime.sessions() as session:
        assert session.scalars(select(ExpertDecline.user_id)).all() == ["U0BOB"]
        assert session.get_one(Question, question.id).claimed_by is None
        pings = session.scalars(select(ExpertPing).where(ExpertPing.reason == "reroute")).all()
    [thread] = [c for c in bot.posts("C0HELP") if c.params.get("thread_ts") == question.thread_ts]
    [reroute] = pings  # one next expert, once, however often the button is pressed
    assert reroute.user_id in ("U0CAROL", "U0ERIN") and f"<@{reroute.user_id}>, could you take this" in thread.text


def test_not_my_area_lowers_the_expert_for_similar_questions(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench", U0CAROL="torque wrench")
    question, post = ask_routed(bot)
    decliner = "U0BOB" if "<@U0BOB>" in all_text(post) else "U0CAROL"
    other = {"U0BOB", "U0CAROL"} - {decliner}
    bot.click(decliner, button(post, "Not my area"))

    second, _ = ask_routed(bot, "how often do we calibrate torque wrenches?", user="U0DAVE")
    with bot.runtime.sessions() as session:
        scores = dict(session.execute(select(ExpertPing.user_id, ExpertPing.score)
                                      .where(ExpertPing.question_id == second.id)).all())
    assert scores[other.pop()] > scores.get(decliner, 0.0)


@pytest.mark.settings(max_experts_pinged=1)
def test_still_stuck_asks_the_next_experts_in_the_thread_once(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench", U0CAROL="torque wrench calibration")
    question, _ = ask_routed(bot)
    reply(bot, question, "U0BOB", "no idea, sorry", "1800000000.000030")
    stuck = button(dms_to(bot, "U0ALICE")[0], "Still stuck")

    bot.click("U0BOB", stuck)
    assert "Only the person who asked" in bot.last_reply().text
    bot.click("U0ALICE", stuck)
    bot.click("U0ALICE", stuck)

    thread = [c for c in bot.posts("C0HELP") if c.params.get("thread_ts") == question.thread_ts]
    assert len(thread) == 1 and "still stuck" in thread[0].text
    assert bot.questions()[0].status == "routed"


@pytest.mark.settings(max_experts_pinged=1)
def test_unclaimed_questions_ping_the_next_experts_at_half_the_sla_once(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench", U0CAROL="torque wrench calibration", U0ERIN="calibration torque")
    question, _ = ask_routed(bot)

    bot.runtime.clock.advance(timedelta(hours=1, minutes=59))
    assert sweep(bot.runtime, bot.outbox.deliver_due).nudged == 0
    bot.runtime.clock.advance(timedelta(minutes=2))
    assert sweep(bot.runtime, bot.outbox.deliver_due).nudged == 1
    assert sweep(bot.runtime, bot.outbox.deliver_due).nudged == 0

    [nudge] = [c for c in bot.posts("C0HELP") if c.params.get("thread_ts") == question.thread_ts]
    assert "Still looking for an answer" in nudge.text
    with bot.runtime.sessions() as session:
        assert len(session.scalars(select(ExpertPing).where(ExpertPing.reason == "nudge")).all()) == 1


@pytest.mark.settings(max_pings_per_day=2)
def test_daily_ping_cap_and_away_people_are_respected(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench", U0CAROL="torque wrench")
    bot.command("U0CAROL", "away 2d")
    assert "won't page you" in bot.last_reply().text
    for n in range(3):
        ask_routed(bot, f"torque wrench question number {n}?", user="U0ALICE")
    with bot.runtime.sessions() as session:
        pinged = session.scalars(select(ExpertPing.user_id).order_by(ExpertPing.id)).all()
    assert pinged == ["U0BOB", "U0BOB"]  # Carol is away; Bob hits the cap of 2 a day
    bot.command("U0CAROL", "back")
    ask_routed(bot, "torque wrench question number 4?")
    with bot.runtime.sessions() as session:
        assert session.scalars(select(ExpertPing.user_id).order_by(ExpertPing.id.desc())).first() == "U0CAROL"


def test_answering_teaches_routing_who_actually_helps(bot: Harness) -> None:
    question, _ = ask_routed(bot, "Where do I find the forklift pre-use checklist?")
    reply(bot, question, "U0ERIN", "In the warehouse binder by dock 3.", "1800000000.000040")
    assert bot.runtime.index.search("forklift checklist location").experts[0].id == "U0ERIN"


@pytest.mark.parametrize("anonymous", [True, False])
def test_reflections_are_stored_for_asker_and_answerer(bot: Harness, anonymous: bool) -> None:
    question, _ = ask_routed(bot, ("anon " if anonymous else "") + QUESTION)
    reply(bot, question, "U0BOB", "yearly", "1800000000.000050")
    bot.click("U0ALICE", button(dms_to(bot, "U0ALICE")[0], "Accept answer"))
    invite = [c for c in dms_to(bot, "U0ALICE") if "Add a reflection" in all_text(c)][0]
    bot.click("U0ALICE", button(invite, "Add a reflection"))
    modal = bot.slack.calls_to("views.open")[0].params["view"]
    assert modal["callback_id"] == "reflection"

    assert bot.submit("U0ALICE", modal, {"reflection": "   "}).status == 200  # refused: errors shown in the modal
    assert bot.submit("U0CAROL", modal, {"reflection": "I was not involved"}).status == 200
    bot.submit("U0ALICE", modal, {"reflection": "Calibration intervals live in the log."})
    bot.submit("U0BOB", modal, {"reflection": "People don't know where the log is."})
    with bot.runtime.sessions() as session:
        stored = {(r.user_id, r.role, r.text) for r in session.scalars(select(Reflection))}
    assert stored == {("U0ALICE", "asker", "Calibration intervals live in the log."),
                      ("U0BOB", "answerer", "People don't know where the log is.")}
    if anonymous:
        assert all("U0ALICE" not in all_text(p) for p in bot.posts("C0HELP"))


def test_save_to_library_shortcut_turns_a_message_into_an_item(bot: Harness) -> None:
    message = {"ts": "1800000000.000060", "user": "U0BOB", "text": "Torque wrench tip\nAlways zero it after use."}
    bot.shortcut("U0CAROL", "save_to_library", "C0GENERAL", message)
    modal = bot.slack.calls_to("views.open")[0].params["view"]
    assert modal["callback_id"] == "save_to_library"
    assert modal["blocks"][0]["element"]["initial_value"] == "Torque wrench tip"

    bot.submit("U0CAROL", modal, {"title": "Torque wrench care", "body": "Always zero it after use.",
                                  "tags": "tools; torque"})

    with bot.runtime.sessions() as session:
        item = session.scalars(select(LibraryItem)).one()
    assert (item.title, item.body, item.tags, item.source, item.created_by) == (
        "Torque wrench care", "Always zero it after use.", "tools, torque", "shortcut", "U0CAROL")
    assert item.url == "https://local.slack/archives/C0GENERAL/p1800000000000060"
    assert bot.runtime.index.search("how do I look after a torque wrench").content[0].id == item.id
    assert "Saved" in dms_to(bot, "U0CAROL")[0].text


def test_not_my_area_on_ones_own_question_is_refused(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench")
    question, post = ask_routed(bot)
    bot.click("U0ALICE", button(post, "Not my area"))
    assert "That's your own question" in bot.last_reply().text
    with bot.runtime.sessions() as session:
        assert session.scalars(select(ExpertDecline)).all() == []


def test_not_my_area_when_nobody_else_matches_says_so_and_asks_the_thread(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench")
    question, post = ask_routed(bot)

    bot.click("U0BOB", button(post, "Not my area"))

    said = bot.last_reply().text
    assert "No one else I know of matches" in said and "learning managers will see it" in said
    assert "ask someone else" not in said
    [note] = [c for c in bot.posts("C0HELP") if c.params.get("thread_ts") == question.thread_ts]
    assert "Can anyone help?" in note.text


def test_each_paged_expert_gets_a_dm_with_the_question_the_thread_and_the_posts_buttons_once(bot: Harness) -> None:
    bot.add_experts(U0BOB="torque wrench, calibration", U0CAROL="torque wrench")
    question, post = ask_routed(bot)
    paged = sorted(u for u in ("U0BOB", "U0CAROL") if f"<@{u}>" in all_text(post))
    assert paged

    for user in paged:
        [page] = dms_to(bot, user)
        text = all_text(page)
        assert QUESTION in text and "<@U0ALICE> asked" in text
        assert f"https://local.slack/archives/C0HELP/p{question.thread_ts.replace('.', '')}" in text
        for label in ("I'll take it", "Not my area"):
            assert button(page, label) == button(post, label)
    bot.outbox.deliver_due()
    assert [len(dms_to(bot, u)) for u in paged] == [1] * len(paged)

"""A question's states, step by step: asked → routed → answered → resolved, and the refusals on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import answers, asking, digest, experts, routing
from bot.refusal import Refusal
from bot.runtime import Runtime
from store.models import Answer, Question, QuestionStatus
from tests.usecases.conftest import queued

QUESTION = "How often must the torque wrench be calibrated?"


def link(channel: str, ts: str, thread_ts: str | None) -> str:
    return f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def routed_question(runtime: Runtime) -> int:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        experts.add_topics(session, "U0BOB", ["torque wrench", "calibration"], now)
        session.commit()
    runtime.index.refresh(now)
    with runtime.sessions() as session:
        outcome = asking.ask(session, runtime.index, runtime.settings, now, asker_id="U0ALICE", text=QUESTION,
                             asked_in="C0GENERAL")
    assert not outcome.confident and outcome.routed_to == "C0HELP" and outcome.experts == ["U0BOB"]
    return outcome.question_id


def reply_in_thread(runtime: Runtime, question_id: int, user_id: str, text: str) -> Answer | None:
    """The help-channel post is delivered, then `user_id` replies in its thread."""
    with runtime.sessions() as session:
        asking.record_post(session, question_id, {"channel": "C0HELP", "ts": "1800000000.000100"})
        session.commit()
        return answers.record_reply(session, runtime.clock.now(), event_id=f"Ev-{user_id}", channel="C0HELP",
                                    thread_ts="1800000000.000100", message_ts="1800000000.000200",
                                    user_id=user_id, text=text)


def question(runtime: Runtime, question_id: int) -> Question:
    with runtime.sessions() as session:
        return session.get_one(Question, question_id)


def test_routed_then_answered_then_accepted_stamps_each_step(runtime: Runtime) -> None:
    qid = routed_question(runtime)
    asked_at = runtime.clock.now()
    assert question(runtime, qid).status is QuestionStatus.ROUTED
    assert queued(runtime) == [(asking.QUESTION_POST, qid), (routing.EXPERT_PAGE, qid)]  # the post, the DM

    runtime.clock.advance(timedelta(minutes=30))
    with runtime.sessions() as session:
        answer = answers.record_reply(session, runtime.clock.now(), event_id="Ev1", channel="C0HELP",
                                      thread_ts="", message_ts="1.2", user_id="U0BOB", text="Yearly.")
    assert answer is None, "no thread yet: the post was never delivered, so no reply can belong to it"

    assert reply_in_thread(runtime, qid, "U0BOB", "Every 5,000 cycles or yearly.") is not None
    stored = question(runtime, qid)
    assert stored.status is QuestionStatus.ANSWERED and stored.first_answer_at == asked_at + timedelta(minutes=30)

    runtime.clock.advance(timedelta(minutes=5))
    with runtime.sessions() as session:
        accepted = answers.accept(session, runtime.clock.now(), link, question_id=qid, user_id="U0ALICE",
                                  answer_id=None)
    assert accepted.answerer == "U0BOB"
    stored = question(runtime, qid)
    assert stored.status is QuestionStatus.RESOLVED and stored.resolved_at == asked_at + timedelta(minutes=35)
    assert (answers.ANSWER_NOTICE, qid) in queued(runtime)


def test_a_reply_by_the_asker_is_not_an_answer(runtime: Runtime) -> None:
    qid = routed_question(runtime)
    assert reply_in_thread(runtime, qid, "U0ALICE", "Anyone?") is None
    assert question(runtime, qid).status is QuestionStatus.ROUTED


@pytest.mark.parametrize("who, why", [("U0BOB", "Only the person who asked can do that."),
                                      ("U0ALICE", "There is no answer to accept yet.")])
def test_accept_refusals_change_nothing(runtime: Runtime, who: str, why: str) -> None:
    qid = routed_question(runtime)
    before = queued(runtime)
    with runtime.sessions() as session, pytest.raises(Refusal, match=why):
        answers.accept(session, runtime.clock.now(), link, question_id=qid, user_id=who, answer_id=None)
    assert question(runtime, qid).status is QuestionStatus.ROUTED and queued(runtime) == before
    with runtime.sessions() as session:
        assert session.query(Answer).count() == 0


def test_claim_keeps_the_first_holder(runtime: Runtime) -> None:
    qid = routed_question(runtime)
    with runtime.sessions() as session:
        assert answers.claim(session, runtime.clock.now(), question_id=qid, user_id="U0BOB") == "U0BOB"
    with runtime.sessions() as session:
        assert answers.claim(session, runtime.clock.now(), question_id=qid, user_id="U0CAROL") == "U0BOB"
    with runtime.sessions() as session, pytest.raises(Refusal, match="your own question"):
        answers.claim(session, runtime.clock.now(), question_id=qid, user_id="U0ALICE")
    assert question(runtime, qid).claimed_by == "U0BOB"


def test_this_answered_it_self_serves_and_a_second_route_is_refused_quietly(runtime: Runtime) -> None:
    qid = routed_question(runtime)
    with runtime.sessions() as session:
        again = asking.ask_colleague(session, runtime.index, runtime.settings, runtime.clock.now(), question_id=qid,
                                     user_id="U0ALICE", rejected_item=None)
    assert again.routed_to == "C0HELP" and again.experts == [], "routed once only"
    assert queued(runtime) == [(asking.QUESTION_POST, qid), (routing.EXPERT_PAGE, qid)]  # the post, the DM
    with runtime.sessions() as session:
        assert asking.accept_item(session, runtime.clock.now(), question_id=qid, user_id="U0ALICE",
                                  item_id=None) == "that thread"
    stored = question(runtime, qid)
    assert stored.status is QuestionStatus.SELF_SERVED and stored.resolved_at == runtime.clock.now()


def test_a_reply_counts_for_response_time_but_only_acceptance_counts_as_answered_by_colleagues(
        runtime: Runtime) -> None:
    qid = routed_question(runtime)
    with runtime.sessions() as session:
        asking.record_post(session, qid, {"channel": "C0HELP", "ts": "1800000000.000100"})
        session.commit()
    runtime.clock.advance(timedelta(minutes=10))
    with runtime.sessions() as session:
        answers.record_reply(session, runtime.clock.now(), event_id="Ev1", channel="C0HELP",
                             thread_ts="1800000000.000100", message_ts="1800000000.000200", user_id="U0BOB",
                             text="no idea, maybe ask quality?")
    week = digest.week_of(runtime.clock.now(), runtime.settings.timezone)

    def numbers() -> digest.Digest:
        with runtime.sessions() as session:
            return digest.build_digest(session, week, runtime.settings.timezone, for_managers=True)

    replied = numbers()
    assert replied.numbers.by_colleagues == 0 and replied.numbers.median_first_answer == timedelta(minutes=10)
    assert [text for text, *_ in replied.oldest_open] == [QUESTION]
    with runtime.sessions() as session:
        answers.accept(session, runtime.clock.now(), link, question_id=qid, user_id="U0ALICE", answer_id=None)
    accepted = numbers()
    assert accepted.numbers.by_colleagues == 1 and accepted.oldest_open == []

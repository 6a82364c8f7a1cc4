"""An andon card's states, step by step: open → acknowledged → resolved, and who may move it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import andon, asking
from bot.home import home_view
from bot.refusal import Refusal
from bot.runtime import Runtime
from store.models import AndonCard, CardStatus, Question, QuestionStatus
from tests.usecases.conftest import MANAGER, dms, queued


def escalated_card(runtime: Runtime, *askers: str) -> int:
    """Questions nobody answers, past the SLA, swept onto one card; returns the card id."""
    for asker in askers:
        with runtime.sessions() as session:
            asking.ask(session, runtime.index, runtime.settings, runtime.clock.now(), asker_id=asker,
                       text="How do I recalibrate the laser cutter after a lens change?", asked_in="C0GENERAL")
    runtime.clock.advance(runtime.settings.answer_sla + timedelta(minutes=1))
    with runtime.sessions() as session:
        report = andon.sweep_andon(session, runtime.settings, runtime.clock.now())
    assert (report.escalated, report.cards_opened) == (len(askers), 1)
    with runtime.sessions() as session:
        [card] = session.query(AndonCard).all()
        return card.id


def card(runtime: Runtime, card_id: int) -> AndonCard:
    with runtime.sessions() as session:
        return session.get_one(AndonCard, card_id)


def test_sweep_opens_one_card_and_a_second_sweep_does_nothing_twice(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE", "U0BOB")
    assert card(runtime, card_id).status is CardStatus.OPEN
    assert queued(runtime).count((andon.ANDON_CARD, card_id)) == 1
    with runtime.sessions() as session:
        again = andon.sweep_andon(session, runtime.settings, runtime.clock.now())
    assert (again.escalated, again.cards_opened) == (0, 0)


def test_acknowledge_then_resolve_resolves_every_question_and_tells_each_asker_once(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE", "U0BOB")
    with runtime.sessions() as session:
        andon.acknowledge(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER)
    acknowledged = card(runtime, card_id)
    assert acknowledged.status is CardStatus.ACKNOWLEDGED and acknowledged.acknowledged_by == MANAGER

    with runtime.sessions() as session:
        andon.resolve(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER,
                      title="Laser cutter: recalibration", url="https://wiki.example.com/laser", summary="Steps.")
    assert card(runtime, card_id).status is CardStatus.RESOLVED
    with runtime.sessions() as session:
        assert {q.status for q in session.query(Question)} == {QuestionStatus.RESOLVED}
    assert sorted(a["user"] for a in dms(runtime, andon.ANDON_RESOLVED)) == ["U0ALICE", "U0BOB"]


@pytest.mark.parametrize("change", ["acknowledge", "snooze", "resolve"])
def test_only_learning_managers_change_a_card_and_a_refusal_changes_nothing(runtime: Runtime, change: str) -> None:
    card_id = escalated_card(runtime, "U0ALICE")
    before = queued(runtime)
    now, settings = runtime.clock.now(), runtime.settings
    calls = {
        "acknowledge": lambda s: andon.acknowledge(s, settings, now, card_id=card_id, user_id="U0ALICE"),
        "snooze": lambda s: andon.snooze(s, settings, now, card_id=card_id, user_id="U0ALICE", period="1d"),
        "resolve": lambda s: andon.resolve(s, settings, now, card_id=card_id, user_id="U0ALICE", title="T",
                                           url=None, summary=""),
    }
    with runtime.sessions() as session, pytest.raises(Refusal, match="Only learning managers can change"):
        calls[change](session)
    after = card(runtime, card_id)
    assert after.status is CardStatus.OPEN and after.snoozed_until is None and queued(runtime) == before


def test_a_resolved_card_refuses_further_changes(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE")
    with runtime.sessions() as session:
        andon.resolve(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER,
                      title="Laser cutter", url=None, summary="")
    with runtime.sessions() as session, pytest.raises(Refusal, match="already resolved"):
        andon.acknowledge(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER)


def test_pulling_the_cord_puts_the_question_on_a_card_before_the_sla(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        outcome = asking.ask(session, runtime.index, runtime.settings, runtime.clock.now(), asker_id="U0ALICE",
                             text="Who signs off a deviation on line 4?", asked_in="C0GENERAL")
    with runtime.sessions() as session, pytest.raises(Refusal, match="Only the person who asked"):
        andon.pull_cord(session, runtime.settings, runtime.clock.now(), question_id=outcome.question_id,
                        user_id="U0BOB")
    with runtime.sessions() as session:
        pulled = andon.pull_cord(session, runtime.settings, runtime.clock.now(), question_id=outcome.question_id,
                                 user_id="U0ALICE")
    with runtime.sessions() as session:
        stored = session.get_one(Question, outcome.question_id)
        assert stored.andon_card_id == pulled.id and stored.blocked_at == runtime.clock.now()


def test_the_managers_board_shows_the_fifteen_oldest_live_cards(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        session.add_all(AndonCard(label=f"topic {n}", created_at=now - timedelta(hours=n), notified_at=now)
                        for n in range(20))
        session.add(AndonCard(label="resolved", status=CardStatus.RESOLVED, created_at=now - timedelta(days=9),
                              notified_at=now))
        session.commit()
        board = home_view(session, runtime.settings, MANAGER, now).cards
    assert [c.card.label for c in board] == [f"topic {n}" for n in range(19, 4, -1)]

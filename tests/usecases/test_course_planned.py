"""A card answered by a course: open/acknowledged → course_planned → resolved, and who may move it."""

from __future__ import annotations

from datetime import date, timedelta
import pytest
from sqlalchemy import select

from bot import andon, asking, learning_needs
from bot.refusal import Refusal
from bot.runtime import Runtime
from store.models import CardStatus, LearningNeed, Question, QuestionStatus
from tests.usecases.conftest import MANAGER, dms, queued
from tests.usecases.test_andon_lifecycle import card, escalated_card

OWNER = "U0TRAINER"


def due(runtime: Runtime, days: int = 30) -> date:
    return (runtime.clock.now() + timedelta(days=days)).date()


def plan(runtime: Runtime, card_id: int, *, user_id: str = MANAGER, need: str = "Laser cutter calibration",
         owner: str | None = OWNER, days: int = 30) -> LearningNeed:
    with runtime.sessions() as session:
        return learning_needs.plan_course(session, runtime.settings, runtime.clock.now(), card_id=card_id,
                                          user_id=user_id, need=need, owner=owner, due=due(runtime, days))


def needs(runtime: Runtime) -> list[LearningNeed]:
    with runtime.sessions() as session:
        return list(session.scalars(select(LearningNeed)))


@pytest.mark.parametrize("acknowledged", [False, True])
def test_planning_a_course_moves_the_card_and_tells_each_asker_and_the_owner_once(runtime: Runtime,
                                                                                  acknowledged: bool) -> None:
    card_id = escalated_card(runtime, "U0ALICE", "U0BOB", "U0ALICE")
    if acknowledged:
        with runtime.sessions() as session:
            andon.acknowledge(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER)

    plan(runtime, card_id)

    after = card(runtime, card_id)
    assert after.status is CardStatus.COURSE_PLANNED and after.acknowledged_by == MANAGER
    [need] = needs(runtime)
    assert (need.card_id, need.owner_id, need.due_on, need.shipped_at) == (card_id, OWNER, due(runtime), None)
    assert sorted(a["user"] for a in dms(runtime, learning_needs.COURSE_PLANNED)) == ["U0ALICE", "U0BOB"]
    assert [a["user"] for a in dms(runtime, learning_needs.COURSE_OWNED)] == [OWNER]
    with runtime.sessions() as session, pytest.raises(Refusal, match="already planned"):
        learning_needs.plan_course(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER,
                                   need="Again", owner=OWNER, due=due(runtime))
    assert len(needs(runtime)) == 1


def test_a_planned_card_sends_no_reminders_and_still_collects_questions_on_its_topic(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE")
    plan(runtime, card_id)
    runtime.clock.advance(runtime.settings.andon_repeat * 4)
    with runtime.sessions() as session:
        assert andon.sweep_andon(session, runtime.settings, runtime.clock.now()).reminders == 0
        asking.ask(session, runtime.index, runtime.settings, runtime.clock.now(), asker_id="U0CAROL",
                   text="How do I recalibrate the laser cutter after changing the lens?", asked_in="C0GENERAL")
    runtime.clock.advance(runtime.settings.answer_sla + timedelta(minutes=1))
    with runtime.sessions() as session:
        report = andon.sweep_andon(session, runtime.settings, runtime.clock.now())
        assert (report.escalated, report.cards_opened, report.reminders) == (1, 0, 0)
        assert session.scalars(select(Question.andon_card_id).where(Question.asker_id == "U0CAROL")).one() == card_id
        assert [c.id for c, *_ in andon.open_cards(session)] == [card_id]  # still live on the board
    assert card(runtime, card_id).status is CardStatus.COURSE_PLANNED


def test_the_owner_ships_the_content_every_asker_gets_it_and_the_need_records_it(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE", "U0BOB")
    plan(runtime, card_id)
    with runtime.sessions() as session, pytest.raises(Refusal, match="Only learning managers"):
        learning_needs.shippable(session, runtime.settings, card_id=card_id, user_id="U0ALICE")
    with runtime.sessions() as session:
        assert learning_needs.shippable(session, runtime.settings, card_id=card_id, user_id=OWNER).id == card_id
        andon.resolve(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=OWNER,
                      title="Laser cutter calibration course", url="https://lms.example.com/laser", summary="")

    resolved = card(runtime, card_id)
    assert resolved.status is CardStatus.RESOLVED and resolved.resolved_by == OWNER
    [need] = needs(runtime)
    assert need.shipped_at == runtime.clock.now() and need.item_id == resolved.resolved_item_id
    assert queued(runtime).count((andon.ANDON_RESOLVED, card_id)) == 2
    with runtime.sessions() as session:
        assert {q.status for q in session.scalars(select(Question))} == {QuestionStatus.RESOLVED}
        with pytest.raises(Refusal, match="shipped already"):
            learning_needs.shippable(session, runtime.settings, card_id=card_id, user_id=OWNER)


def test_a_manager_resolving_the_card_ships_its_course_too(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE")
    plan(runtime, card_id)
    with runtime.sessions() as session:
        andon.resolve(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER,
                      title="Laser cutter calibration", url=None, summary="")
    assert needs(runtime)[0].shipped_at == runtime.clock.now()


REFUSED: dict[str, tuple[dict[str, object], str]] = {
    "not a manager": ({"user_id": "U0ALICE"}, "Only learning managers"),
    "no owner": ({"owner": None}, "Choose who makes the course"),
    "due in the past": ({"days": -1}, "in the past"),
    "no need": ({"need": "  "}, "What should people learn"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_an_invalid_or_unauthorised_plan_changes_nothing(runtime: Runtime, case: str) -> None:
    card_id = escalated_card(runtime, "U0ALICE")
    before = queued(runtime)
    overrides, message = REFUSED[case]
    with pytest.raises(Refusal, match=message):
        plan(runtime, card_id, **overrides)  # type: ignore[arg-type]
    assert card(runtime, card_id).status is CardStatus.OPEN and needs(runtime) == [] and queued(runtime) == before


def test_a_resolved_card_cannot_get_a_course(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE")
    with runtime.sessions() as session:
        andon.resolve(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER, title="T",
                      url=None, summary="")
    before = queued(runtime)
    with pytest.raises(Refusal, match="already resolved"):
        plan(runtime, card_id)
    assert needs(runtime) == [] and queued(runtime) == before


def test_a_due_date_of_today_is_fine(runtime: Runtime) -> None:
    card_id = escalated_card(runtime, "U0ALICE")
    assert plan(runtime, card_id, days=0).due_on == runtime.clock.now().date()

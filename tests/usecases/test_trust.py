"""Trusted content: who owns and verifies an item, and what withdraws its verification."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import access, andon, answers, asking, digest, trust
from bot.home import home_view
from bot.library import Draft, change_owner, import_items, record_feedback, save_from_slack
from bot.refusal import Refusal
from bot.runtime import Runtime
from handlers.question_blocks import trust_line
from handlers.trust_blocks import trust_lines
from store.models import AndonCard, ItemState, LibraryItem, Question, QuestionStatus
from tests.usecases.conftest import MANAGER, dms
from tests.usecases.test_andon_lifecycle import escalated_card
from tests.usecases.test_question_lifecycle import link, reply_in_thread, routed_question

VPN = Draft("Resetting your VPN password", "https://intranet.example.com/vpn",
            "Open the self-service portal, choose VPN, then Reset password.", ("vpn",))


def item(runtime: Runtime, item_id: int) -> LibraryItem:
    with runtime.sessions() as session:
        return session.get_one(LibraryItem, item_id)


def imported(runtime: Runtime, *drafts: Draft, owner: str | None = None) -> list[int]:
    with runtime.sessions() as session:
        import_items(session, drafts, runtime.clock.now(), owner=owner)
        session.commit()
        ids = list(session.scalars(select(LibraryItem.id).order_by(LibraryItem.id)))
    runtime.index.refresh(runtime.clock.now())
    return ids


def test_items_are_owned_by_the_file_the_import_default_the_saver_or_nobody(runtime: Runtime) -> None:
    own, default = Draft("Own", owner="U0CAROL"), Draft("Default")
    first, second = imported(runtime, own, default, owner="U0DAN")
    [nobody] = [i for i in imported(runtime, Draft("Nobody's")) if i not in (first, second)]
    with runtime.sessions() as session:
        save_from_slack(session, Draft("Saved"), runtime.clock.now(), created_by="U0ERIN")
        saved = session.scalar(select(LibraryItem).where(LibraryItem.title == "Saved"))
        assert saved is not None and saved.owner_id == "U0ERIN"

    assert (item(runtime, first).owner_id, item(runtime, second).owner_id) == ("U0CAROL", "U0DAN")
    unowned = item(runtime, nobody)
    with runtime.sessions() as session:
        assert unowned.owner_id is None and access.item_verifiers(session, runtime.settings, unowned.owner_id) == (MANAGER,)


def test_a_captured_answer_is_owned_by_its_answerer_and_a_resolved_card_item_by_its_resolver(
        runtime: Runtime) -> None:
    qid = routed_question(runtime)
    reply_in_thread(runtime, qid, "U0BOB", "Once a year, by the tool crib.")
    with runtime.sessions() as session:
        accepted = answers.accept(session, runtime.clock.now(), link, question_id=qid, user_id="U0ALICE")
    assert item(runtime, accepted.item_id).owner_id == "U0BOB"

    card_id = escalated_card(runtime, "U0CAROL")
    with runtime.sessions() as session:
        resolved = andon.resolve(session, runtime.settings, runtime.clock.now(), card_id=card_id, user_id=MANAGER,
                                 title="Laser lens guide", url="https://x.example.com/laser", summary="Recalibrate.")
        item_id = resolved.resolved_item_id
        session.commit()
    assert item_id is not None and item(runtime, item_id).owner_id == MANAGER


def test_verifying_restarts_the_interval_and_a_new_owner_clears_it(runtime: Runtime) -> None:
    [item_id] = imported(runtime, VPN, owner="U0CAROL")
    with pytest.raises(Refusal, match="verifier or a learning manager"):
        with runtime.sessions() as session:
            trust.verify(session, runtime.settings, runtime.clock.now(), item_id=item_id, user_id="U0ALICE")

    runtime.clock.advance(timedelta(days=100))
    now = runtime.clock.now()
    assert trust.trust_of(item(runtime, item_id), now).verified_by is None  # never verified
    with runtime.sessions() as session:
        trust.verify(session, runtime.settings, now, item_id=item_id, user_id="U0CAROL")
    verified = item(runtime, item_id)
    assert verified.review_due == now + timedelta(days=90)
    assert trust.trust_of(verified, now) == trust.Trust("U0CAROL", now.date())
    assert trust.trust_of(verified, now + timedelta(days=91)) == trust.Trust(None, now.date())  # overdue

    with runtime.sessions() as session:
        handed = session.get_one(LibraryItem, item_id)
        assert change_owner(handed, "U0DAN", now) and not change_owner(handed, "U0DAN", now)
        session.commit()
    assert item(runtime, item_id).verified_at is None and item(runtime, item_id).review_due == now


def test_flagging_outdated_unverifies_at_once_and_tells_the_verifier_why(runtime: Runtime) -> None:
    [item_id] = imported(runtime, VPN, owner="U0CAROL")
    with runtime.sessions() as session:
        trust.verify(session, runtime.settings, runtime.clock.now(), item_id=item_id, user_id="U0CAROL")
        with pytest.raises(Refusal, match="what is out of date"):
            trust.flag_outdated(session, runtime.settings, runtime.clock.now(), item_id=item_id, user_id="U0ALICE",
                                reason="  ")
        trust.flag_outdated(session, runtime.settings, runtime.clock.now(), item_id=item_id, user_id="U0ALICE",
                            reason="The portal moved to sso.example.com")

    assert item(runtime, item_id).verified_at is None
    assert dms(runtime, trust.ITEM_UNVERIFIED) == [
        {"by": "U0ALICE", "reason": "The portal moved to sso.example.com", "user": "U0CAROL"}]
    assert runtime.index.search(VPN.title, now=runtime.clock.now()).content  # still found, now demoted


def ask_and_reject(runtime: Runtime, asker: str, item_id: int) -> int:
    """`asker` was offered the item for their question and pressed "Ask a colleague" (its "Didn't help").

    The question is stored as `/learn` stores it before offering; which offers the matcher makes is
    tested elsewhere (it learns from these very rejections, so a repeated ask stops being confident).
    """
    with runtime.sessions() as session:
        question = Question(asker_id=asker, text="how do I reset my vpn password", asked_in="C0GENERAL",
                            status=QuestionStatus.ASKED, asked_at=runtime.clock.now())
        session.add(question)
        session.commit()
        asking.ask_colleague(session, runtime.index, runtime.settings, runtime.clock.now(),
                             question_id=question.id, user_id=asker, rejected_item=item_id)
        return question.id


def test_three_didnt_helps_within_a_month_unverify_the_item_and_put_its_questions_on_a_card(
        runtime: Runtime) -> None:
    [item_id] = imported(runtime, VPN, owner="U0CAROL")
    with runtime.sessions() as session:
        trust.verify(session, runtime.settings, runtime.clock.now(), item_id=item_id, user_id="U0CAROL")
    first = ask_and_reject(runtime, "U0ALICE", item_id)
    runtime.clock.advance(timedelta(days=31))  # the first miss is too old to count
    ask_and_reject(runtime, "U0BOB", item_id)
    ask_and_reject(runtime, "U0DAN", item_id)
    assert item(runtime, item_id).verified_at is not None and dms(runtime, trust.ITEM_UNVERIFIED) == []

    third = ask_and_reject(runtime, "U0ERIN", item_id)

    assert item(runtime, item_id).verified_at is None
    assert dms(runtime, trust.ITEM_UNVERIFIED) == [{"misses": 3, "user": "U0CAROL"}]
    with runtime.sessions() as session:
        carded = dict(session.execute(select(Question.id, Question.andon_card_id)).all())
        assert carded[first] is None and carded[third] is not None
        assert sum(1 for c in carded.values() if c) == 3 and session.query(AndonCard).count() >= 1
    pages = [args["question_id"] for args in dms(runtime, andon.ANDON_THREAD) if args["kind"] == "outdated"]
    assert len(pages) == 3 and first not in pages  # the managers are paged for each question


def test_the_trust_score_counts_verified_used_items_for_the_managers_digest_and_home(runtime: Runtime) -> None:
    vpn, wifi, unused = imported(runtime, VPN, Draft("Office Wi-Fi", "https://x.example.com/wifi", "CORP-SECURE"),
                                 Draft("Never used"), owner="U0CAROL")
    with runtime.sessions() as session:
        trust.verify(session, runtime.settings, runtime.clock.now(), item_id=vpn, user_id="U0CAROL")
        for n, item_id in enumerate((vpn, wifi, wifi)):
            question = Question(asker_id=f"U0ASKER{n}", text="wifi", asked_at=runtime.clock.now())
            session.add(question)
            session.flush()
            record_feedback(session, question, item_id, helpful=True, now=runtime.clock.now())
        session.commit()
    runtime.clock.advance(timedelta(days=91))  # all three overdue; only the used ones count for the score
    now = runtime.clock.now()
    with runtime.sessions() as session:
        trust.verify(session, runtime.settings, now, item_id=vpn, user_id="U0CAROL")
        score = trust.trust_score(session, now)
        manager_home = home_view(session, runtime.settings, MANAGER, now)
        week = digest.week_of(now, runtime.settings.timezone)
        managers_digest = digest.build_digest(session, week, runtime.settings.timezone, for_managers=True)

    assert (score.used, score.verified, score.share) == (2, 1, 0.5)
    assert score.overdue == [("U0CAROL", 2)]
    assert [(row.item_id, row.uses) for row in score.unverified] == [(wifi, 2)]
    assert manager_home.trust == score and managers_digest.trust == score
    lines = trust_lines(score)
    assert lines[0] == "• Trust score: 50% of the 2 used items verified (aim 80%) :warning:"
    assert "<@U0CAROL>: 2 overdue for review" in lines[1] and "Office Wi-Fi" in lines[2]
    assert unused not in [row.item_id for row in score.unverified]


def test_unused_items_unverified_for_180_days_are_archived_after_a_weeks_notice_unless_verified(
        runtime: Runtime) -> None:
    kept, archived = imported(runtime, VPN, Draft("Old fax guide"), owner="U0CAROL")
    runtime.clock.advance(timedelta(days=181))
    with runtime.sessions() as session:
        assert trust.sweep_archive(session, runtime.settings, runtime.clock.now()) == (2, 0)
    with runtime.sessions() as session:
        assert trust.sweep_archive(session, runtime.settings, runtime.clock.now()) == (0, 0)  # once a day
    [notice] = dms(runtime, trust.ARCHIVING)
    assert notice["user"] == "U0CAROL" and sorted(notice["items"]) == sorted([kept, archived])  # type: ignore[type-var]

    runtime.clock.advance(timedelta(days=3))
    with runtime.sessions() as session:
        trust.verify(session, runtime.settings, runtime.clock.now(), item_id=kept, user_id="U0CAROL")
    runtime.clock.advance(timedelta(days=4))
    with runtime.sessions() as session:
        assert trust.sweep_archive(session, runtime.settings, runtime.clock.now()) == (0, 1)
    assert item(runtime, kept).state == ItemState.ACTIVE and item(runtime, archived).state == ItemState.ARCHIVED
    runtime.index.refresh(runtime.clock.now())
    assert archived not in [h.id for h in runtime.index.search("Old fax guide").content]
    with runtime.sessions() as session:  # where it was offered before, it shows a warning
        shown = trust.trust_of(session.get_one(LibraryItem, archived), runtime.clock.now())
    assert shown.obsolete and trust_line(shown).startswith(":no_entry: Obsolete")

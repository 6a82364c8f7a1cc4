"""Publishing and the share-request state machine, called directly: request → approve / decline /
expire, one reminder, the bot's drafts sent or put aside; refusals change nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import publishing, sharing
from bot.publishing import Submitted
from bot.refusal import Refusal
from bot.runtime import Runtime
from store.models import Feedback, IndexChange, LibraryItem, Question, QuestionStatus, RoleGrant, GrantedRole, \
    ShareRequest, ShareStatus, Team
from tests.org import ALICE, BOB, CAROL, OLGA, QUINN, SAM, Org, make_org
from tests.usecases.conftest import MANAGER, dms, reads, statements

DAY = timedelta(days=1)


@pytest.fixture
def org(runtime: Runtime) -> Org:
    with runtime.sessions() as session:
        return make_org(session, runtime.clock.now())


def publish(runtime: Runtime, org: Org, user: str = SAM, **changes: object) -> int:
    form = {"title": "Lockout-tagout on the press line", "url": "https://wiki.example/loto", "summary": "Six steps.",
            "competency": "SAFE-1", "audience": org.line_a, **changes}
    with runtime.sessions() as session:
        return publishing.publish(session, runtime.settings, runtime.clock.now(), user_id=user,
                                  form=Submitted(**form)).id  # type: ignore[arg-type]


def item(runtime: Runtime, item_id: int) -> LibraryItem:
    with runtime.sessions() as session:
        return session.get_one(LibraryItem, item_id)


def share(runtime: Runtime, item_id: int, target: int | None, user: str = SAM, note: str = "") -> int:
    with runtime.sessions() as session:
        return sharing.request_share(session, runtime.settings, runtime.clock.now(), item_id=item_id, user_id=user,
                                     target_id=target, note=note).id


def decide(runtime: Runtime, action: str, request_id: int, user: str, **more: str) -> ShareRequest:
    with runtime.sessions() as session:
        return getattr(sharing, action)(session, runtime.settings, runtime.clock.now(), request_id=request_id,
                                        user_id=user, **more)


def request(runtime: Runtime, request_id: int) -> ShareRequest:
    with runtime.sessions() as session:
        return session.get_one(ShareRequest, request_id)


def sweep(runtime: Runtime) -> sharing.ShareReport:
    with runtime.sessions() as session:
        return sharing.sweep_shares(session, runtime.settings, runtime.clock.now())


def helped(runtime: Runtime, item_id: int, *teams: int) -> None:
    """One helpful verdict on the item from an asker in each of `teams`, now."""
    now = runtime.clock.now()
    with runtime.sessions() as session:
        for n, team in enumerate(teams):
            question = Question(asker_id=f"U0ASK{team}{n}", text="how do I lock out the press?", asked_at=now,
                                status=QuestionStatus.SELF_SERVED, team_id=team)
            session.add(question)
            session.flush()
            session.add(Feedback(question_id=question.id, item_id=item_id, user_id=question.asker_id, helpful=True,
                                 created_at=now))
        session.commit()


def test_a_supervisor_publishes_for_their_team_and_nobody_else_can(runtime: Runtime, org: Org) -> None:
    for who, team in ((ALICE, org.line_a), (BOB, org.line_a), (QUINN, org.line_a), (SAM, org.quality)):
        with pytest.raises(Refusal, match="only publish for a team"):
            publish(runtime, org, who, audience=team)
    with pytest.raises(Refusal, match="http"):
        publish(runtime, org, url="ftp://wiki.example/loto")
    with pytest.raises(Refusal, match="competency"):
        publish(runtime, org, competency="NOPE")
    with runtime.sessions() as session:
        assert session.scalars(select(LibraryItem)).all() == []

    published = item(runtime, publish(runtime, org))
    assert (published.audience_id, published.competency_id, published.owner_id, published.created_by,
            published.source) == (org.line_a, "SAFE-1", SAM, SAM, "published")
    with runtime.sessions() as session:
        assert session.scalars(select(IndexChange.ref).where(IndexChange.kind == "item")).all() == [str(published.id)]
    with pytest.raises(Refusal, match="has this already"):  # the same link again
        publish(runtime, org)

    with runtime.sessions() as session:  # a content owner publishes for the teams they are in
        session.add(RoleGrant(user_id=ALICE, role=GrantedRole.CONTENT_OWNER, granted_at=runtime.clock.now()))
        session.commit()
        assert [t.name for t in publishing.publishable_teams(session, runtime.settings, ALICE)] == ["Line A"]
        assert [t.name for t in publishing.publishable_teams(session, runtime.settings, OLGA)] == [
            "Line A", "Line B", "Operations"]
    assert item(runtime, publish(runtime, org, ALICE, url="")).url is None


def test_a_department_with_more_teams_than_a_menu_holds_is_searched(runtime: Runtime, org: Org) -> None:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        session.add_all(Team(name=f"Cell {n:03}", parent_id=org.operations, created_at=now) for n in range(100))
        session.commit()
        form = publishing.publish_form(session, runtime.settings, OLGA)
        assert (form.teams, form.searched, form.default and form.default.name) == ([], True, "Operations")
        assert [t.name for t in publishing.publishable_teams(session, runtime.settings, OLGA, "cell 09")] == [
            f"Cell {n:03}" for n in range(90, 100)]
        assert publishing.publishable_teams(session, runtime.settings, OLGA, "quality") == []
        form = publishing.publish_form(session, runtime.settings, SAM)
        assert ([t.name for t in form.teams], form.searched) == (["Line A"], False)


def test_nothing_to_publish_with_before_the_framework_is_imported(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        make_org(session, runtime.clock.now(), competencies=False)
        with pytest.raises(Refusal, match="hasn't imported a competency framework"):
            publishing.publish_form(session, runtime.settings, SAM)


def test_a_request_goes_to_the_targets_supervisor_who_approves_it_once(runtime: Runtime, org: Org) -> None:
    item_id = publish(runtime, org)
    with pytest.raises(Refusal, match="Only the item's owner"):
        share(runtime, item_id, org.operations, user=BOB)
    with pytest.raises(Refusal, match="department above"):
        share(runtime, item_id, org.quality)
    helped(runtime, item_id, org.line_a, org.line_b)
    request_id = share(runtime, item_id, org.operations, note="Line B keeps asking")
    with pytest.raises(Refusal, match="waiting for a decision already"):
        share(runtime, item_id, org.operations)
    assert dms(runtime, sharing.SHARE_ASK) == [{"user": OLGA}]
    assert request(runtime, request_id).evidence == {"answered": 2, "teams": 2, "note": "Line B keeps asking"}
    assert request(runtime, request_id).deadline_at == runtime.clock.now() + 7 * DAY

    for who in (SAM, BOB, QUINN):
        with pytest.raises(Refusal, match="Only the target's supervisors"):
            decide(runtime, "approve", request_id, who)
    assert item(runtime, item_id).audience_id == org.line_a

    decided = decide(runtime, "approve", request_id, OLGA)
    assert (decided.status, decided.decided_by) == (ShareStatus.APPROVED, OLGA)
    assert item(runtime, item_id).audience_id == org.operations
    assert dms(runtime, sharing.SHARE_DECIDED) == [{"user": SAM}]
    with pytest.raises(Refusal, match="Already approved by <@U0OLGA>"):
        decide(runtime, "approve", request_id, MANAGER)  # a second approver, or a double click
    with pytest.raises(Refusal, match="Already approved"):
        decide(runtime, "decline", request_id, OLGA, reason="no")
    assert request(runtime, request_id).decided_by == OLGA


def test_a_request_to_a_department_the_team_left_is_not_approved(runtime: Runtime, org: Org) -> None:
    item_id = publish(runtime, org)
    request_id = share(runtime, item_id, org.operations)
    with runtime.sessions() as session:  # a team import moves Line A under Quality
        session.get_one(Team, org.line_a).parent_id = org.quality
        session.commit()
    with pytest.raises(Refusal, match="Line A is no longer under Operations"):
        decide(runtime, "approve", request_id, OLGA)
    assert item(runtime, item_id).audience_id == org.line_a  # its own team still sees it
    assert request(runtime, request_id).status == ShareStatus.PENDING
    decide(runtime, "decline", request_id, OLGA, reason="Line A moved")


def test_the_organisation_is_the_managers_to_decide_and_covers_narrower_requests(runtime: Runtime, org: Org) -> None:
    item_id = publish(runtime, org)
    to_department = share(runtime, item_id, org.operations)
    to_everyone = share(runtime, item_id, None)
    assert dms(runtime, sharing.SHARE_ASK) == [{"user": OLGA}, {"user": MANAGER}]
    with pytest.raises(Refusal):
        decide(runtime, "approve", to_everyone, OLGA)  # a department's supervisor does not decide for everyone
    decide(runtime, "approve", to_everyone, MANAGER)
    assert item(runtime, item_id).audience_id is None
    assert (request(runtime, to_department).status, request(runtime, to_department).reason) == (
        ShareStatus.APPROVED, f"with request #{to_everyone}")
    with pytest.raises(Refusal, match="Everyone in the organisation sees this item already"):
        share(runtime, item_id, None)


def test_a_decline_needs_a_reason_and_keeps_the_audience(runtime: Runtime, org: Org) -> None:
    item_id = publish(runtime, org)
    request_id = share(runtime, item_id, org.operations)
    with pytest.raises(Refusal, match="A reason, please"):
        decide(runtime, "decline", request_id, OLGA, reason="  ")
    assert request(runtime, request_id).status == ShareStatus.PENDING
    decide(runtime, "decline", request_id, OLGA, reason="Line B uses another press")
    declined = request(runtime, request_id)
    assert (declined.status, declined.reason, declined.decided_by) == (
        ShareStatus.DECLINED, "Line B uses another press", OLGA)
    assert item(runtime, item_id).audience_id == org.line_a and dms(runtime, sharing.SHARE_DECIDED) == [{"user": SAM}]
    assert share(runtime, item_id, org.operations) != request_id  # asking again is a new request


def test_approvers_are_reminded_once_at_half_the_deadline_then_it_expires(runtime: Runtime, org: Org) -> None:
    request_id = share(runtime, publish(runtime, org), org.operations)
    runtime.clock.advance(3 * DAY)
    assert sweep(runtime).reminded == 0
    runtime.clock.advance(DAY / 2)
    assert sweep(runtime).reminded == 1 and sweep(runtime).reminded == 0
    assert dms(runtime, sharing.SHARE_REMINDER) == [{"user": OLGA}]
    runtime.clock.advance(3 * DAY)
    assert sweep(runtime).expired == 0
    runtime.clock.advance(DAY / 2)
    assert sweep(runtime).expired == 1 and sweep(runtime) == sharing.ShareReport()
    expired = request(runtime, request_id)
    assert (expired.status, expired.reason) == (ShareStatus.EXPIRED, "no decision within 7 days")
    assert dms(runtime, sharing.SHARE_DECIDED) == [{"user": SAM}]
    with pytest.raises(Refusal, match="expired"):
        decide(runtime, "approve", request_id, OLGA)


def test_the_bot_drafts_a_request_when_an_item_keeps_answering_other_teams(runtime: Runtime, org: Org) -> None:
    item_id = publish(runtime, org)
    helped(runtime, item_id, org.line_a, org.line_a, org.line_b)  # one other team: not yet
    assert sweep(runtime).drafted == 0
    runtime.clock.advance(DAY)
    helped(runtime, item_id, org.quality)  # a second one, outside Operations: the organisation
    assert sweep(runtime).drafted == 1
    [draft] = [r for r in _requests(runtime)]
    assert (draft.status, draft.target_id, draft.requested_by, draft.deadline_at) == (
        ShareStatus.DRAFTED, None, SAM, None)
    assert draft.evidence == {"answered": 4, "teams": 3, "other_teams": ["Line B", "Quality"], "days": 30}
    assert dms(runtime, sharing.SHARE_DRAFTED) == [{"user": SAM}]
    runtime.clock.advance(DAY)
    assert sweep(runtime).drafted == 0  # never twice while one is drafted

    with pytest.raises(Refusal):
        decide(runtime, "send_draft", draft.id, CAROL)
    with pytest.raises(Refusal, match="not been sent yet"):
        decide(runtime, "approve", draft.id, MANAGER)
    sent = decide(runtime, "send_draft", draft.id, SAM)
    assert (sent.status, sent.deadline_at) == (ShareStatus.PENDING, runtime.clock.now() + 7 * DAY)
    assert dms(runtime, sharing.SHARE_ASK) == [{"user": MANAGER}]
    with pytest.raises(Refusal, match="sent already"):
        decide(runtime, "not_now", draft.id, SAM)


def test_not_now_puts_a_draft_aside_for_a_month(runtime: Runtime, org: Org) -> None:
    item_id = publish(runtime, org)
    helped(runtime, item_id, org.line_b, org.quality)
    sweep(runtime)
    [draft] = _requests(runtime)
    decide(runtime, "not_now", draft.id, SAM)
    assert (request(runtime, draft.id).status, request(runtime, draft.id).reason) == (ShareStatus.DECLINED, "Not now")
    for _ in range(29):
        runtime.clock.advance(DAY)
        helped(runtime, item_id, org.line_b, org.quality)
        assert sweep(runtime).drafted == 0
    runtime.clock.advance(2 * DAY)
    helped(runtime, item_id, org.line_b, org.quality)
    assert sweep(runtime).drafted == 1
    assert dms(runtime, sharing.SHARE_DECIDED) == []  # putting aside tells nobody


def test_an_item_without_owner_is_drafted_for_its_teams_supervisors(runtime: Runtime, org: Org) -> None:
    item_id = publish(runtime, org)
    with runtime.sessions() as session:
        session.get_one(LibraryItem, item_id).owner_id = None
        session.commit()
    helped(runtime, item_id, org.line_b, org.quality)
    sweep(runtime)
    assert dms(runtime, sharing.SHARE_DRAFTED) == [{"user": SAM}]
    assert [r.requested_by for r in _requests(runtime)] == [SAM]


def _drafting_reads(runtime: Runtime) -> tuple[int, int]:
    """Draft the requests due now: how many, and the SELECT statements it took."""
    with runtime.sessions() as session, statements(session.get_bind()) as ran:
        drafted = sharing.draft_requests(session, runtime.clock.now())
        session.commit()
    return drafted, len(reads(ran))


def test_drafting_reads_as_much_for_many_items_as_for_a_few(runtime: Runtime, org: Org) -> None:
    few = [publish(runtime, org, title=f"Press step {n}", url=f"https://wiki.example/press-{n}") for n in range(2)]
    for item_id in few:
        helped(runtime, item_id, org.line_b, org.quality)
    drafted, reads_for_few = _drafting_reads(runtime)
    assert drafted == 2
    many = [publish(runtime, org, title=f"Lathe step {n}", url=f"https://wiki.example/lathe-{n}") for n in range(12)]
    for item_id in many:
        helped(runtime, item_id, org.line_b, org.quality)
    drafted, reads_for_many = _drafting_reads(runtime)
    assert drafted == 12  # the first two have a draft open already
    assert reads_for_many <= reads_for_few, (reads_for_few, reads_for_many)
    assert [(r.item_id, r.evidence["other_teams"]) for r in _requests(runtime)] == [
        (i, ["Line B", "Quality"]) for i in few + many]


def _requests(runtime: Runtime) -> list[ShareRequest]:
    with runtime.sessions() as session:
        return list(session.scalars(select(ShareRequest).order_by(ShareRequest.id)))


def test_the_deadline_follows_the_share_days_setting(runtime: Runtime, org: Org) -> None:
    settings = replace(runtime.settings, share_days=2)
    item_id = publish(runtime, org)
    with runtime.sessions() as session:
        made = sharing.request_share(session, settings, runtime.clock.now(), item_id=item_id, user_id=SAM,
                                     target_id=org.operations)
        assert made.deadline_at == runtime.clock.now() + 2 * DAY
    runtime.clock.advance(DAY)
    with runtime.sessions() as session:
        assert sharing.sweep_shares(session, settings, runtime.clock.now()).reminded == 1
    runtime.clock.advance(DAY)
    with runtime.sessions() as session:
        assert sharing.sweep_shares(session, settings, runtime.clock.now()).expired == 1
    assert request(runtime, made.id).reason == "no decision within 2 days"

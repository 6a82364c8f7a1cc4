"""Share requests, through signed payloads: "Request to share with…" from the Home tab and from an
answer, the approver's DM with usage and deadline, Approve (the audience widens at once) and Decline
with a reason, the reminder and the expiry from the sweep, and the bot's own draft sent by its owner."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot import publishing
from bot.jobs import sweep
from bot.local.slack import Call
from bot.publishing import Submitted
from store.models import (Feedback, LibraryItem, OutboxMessage, Question, QuestionStatus, ShareRequest, ShareStatus,
                          TeamMember)
from tests.harness import Harness, all_text, button, buttons
from tests.org import ALICE, BOB, OLGA, SAM, Org, make_org

DAY = timedelta(days=1)
TITLE = "Lockout-tagout on the press line"


def arrange(bot: Harness) -> tuple[Org, int]:
    """The organisation and an item Sam published for Line A, helpful to a question from Line B."""
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as session:
        org = make_org(session, now)
        item = publishing.publish(session, bot.runtime.settings, now, user_id=SAM, form=Submitted(
            TITLE, "https://wiki.example/loto", "Six steps <!channel> & a checklist.", "SAFE-1", org.line_a))
        question = Question(asker_id=BOB, text="lockout?", asked_at=now, status=QuestionStatus.SELF_SERVED,
                            team_id=org.line_b)
        session.add(question)
        session.flush()
        session.add(Feedback(question_id=question.id, item_id=item.id, user_id=BOB, helpful=True, created_at=now))
        session.commit()
        item_id = item.id
    bot.runtime.index.refresh(now)
    return org, item_id


def request_modal(bot: Harness, item_id: int, user: str = SAM) -> dict[str, object]:
    bot.click(user, {"action_id": "share_request", "value": str(item_id)})
    return bot.slack.calls_to("views.open")[-1].params["view"]


def audience(bot: Harness, item_id: int) -> int | None:
    with bot.runtime.sessions() as session:
        return session.get_one(LibraryItem, item_id).audience_id


def status(bot: Harness) -> list[tuple[ShareStatus, str | None]]:
    with bot.runtime.sessions() as session:
        return [(r.status, r.reason) for r in session.scalars(select(ShareRequest).order_by(ShareRequest.id))]


def updates(bot: Harness, user: str) -> list[Call]:
    return [c for c in bot.slack.calls_to("chat.update") if c.channel == user]


def sent_ts(bot: Harness, *purposes: str) -> list[str]:
    """Where the DMs of these purposes landed (what the outbox recorded from Slack's answers), sorted."""
    with bot.runtime.sessions() as session:
        return sorted(str(m.result_ts) for m in session.scalars(select(OutboxMessage).where(
            OutboxMessage.purpose.in_(purposes))))


def requested(bot: Harness, org: Org, item_id: int, note: str = "") -> Call:
    """Sam asks to share the item with Operations: Olga's DM."""
    bot.submit(SAM, request_modal(bot, item_id), {"target": str(org.operations), "note": note})
    return bot.posts(OLGA)[-1]


def test_a_supervisor_asks_to_share_and_the_departments_supervisor_approves(bot: Harness) -> None:
    org, item_id = arrange(bot)
    bot.click(BOB, {"action_id": "share_request", "value": str(item_id)})
    assert "Only the item's owner, its team's supervisor" in bot.last_reply().text
    assert bot.slack.calls_to("views.open") == []

    modal = request_modal(bot, item_id)
    target = next(b for b in modal["blocks"] if b.get("block_id") == "target")  # type: ignore[union-attr]
    assert [o["text"]["text"] for o in target["element"]["options"]] == ["Operations", "The whole organisation"]
    response = bot.submit(SAM, modal, {"target": "", "note": ""})
    assert json.loads(response.body)["errors"] == {"target": "Choose where to share it."}
    assert bot.posts(OLGA) == []

    asked = requested(bot, org, item_id, note="Line B asks <@U0BOB> every week")
    text = all_text(asked)
    assert "<@U0SAM> asks to share an item of *Line A* with *Operations*." in text
    assert "<https://wiki.example/loto|Lockout-tagout on the press line>" in text
    assert "Six steps &lt;!channel&gt; &amp; a checklist." in text and "<!channel>" not in text
    assert "It answered 1 question so far, from 1 team." in text
    assert "Line B asks &lt;@U0BOB&gt; every week" in text
    assert "Please decide by 12 Jan 2026" in text  # the clock starts on 5 Jan 2026
    assert [b["text"] for b in buttons(asked)] == ["Approve", "Decline"]
    [sent] = [c for c in bot.posts(SAM) if "will decide" in c.text]
    assert "1 approver for Operations will decide on sharing *Lockout-tagout on the press line* by 12 Jan 2026" \
        in sent.text

    bot.click(BOB, button(asked, "Approve"), channel=OLGA)
    assert "Only the target's supervisors or a learning manager" in bot.last_reply().text
    assert audience(bot, item_id) == org.line_a

    bot.click(OLGA, button(asked, "Approve"), channel=OLGA)
    assert "is visible to Operations now" in bot.last_reply().text
    assert audience(bot, item_id) == org.operations and status(bot) == [(ShareStatus.APPROVED, None)]
    [update] = updates(bot, OLGA)
    assert [update.params["ts"]] == sent_ts(bot, "share_ask")
    assert buttons(update) == [] and "Approved by <@U0OLGA>: Operations sees it now." in all_text(update)
    [told] = [c for c in bot.posts(SAM) if "Your request" in c.text]
    assert "Approved by <@U0OLGA>: Operations sees it now." in told.text

    bot.click("U0MANAGER", button(asked, "Approve"), channel="U0MANAGER")  # a second approver, too late
    assert "Already approved by <@U0OLGA>." in bot.last_reply().text
    assert len(updates(bot, OLGA)) == 1 and audience(bot, item_id) == org.operations


def test_the_approver_declines_with_a_reason_the_requester_reads(bot: Harness) -> None:
    org, item_id = arrange(bot)
    asked = requested(bot, org, item_id)
    bot.click(OLGA, button(asked, "Decline"), channel=OLGA)
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    assert json.loads(bot.submit(OLGA, modal, {"reason": " "}).body)["errors"] == {
        "reason": "A reason, please: the requester will read it."}
    bot.submit(OLGA, modal, {"reason": "Line B's press has <no> guard"})
    assert audience(bot, item_id) == org.line_a
    assert status(bot) == [(ShareStatus.DECLINED, "Line B's press has <no> guard")]
    [told] = [c for c in bot.posts(SAM) if "Your request" in c.text]
    assert "Declined by <@U0OLGA>: Line B's press has &lt;no&gt; guard" in told.text
    [update] = updates(bot, OLGA)
    assert buttons(update) == []
    assert "already declined" in json.loads(bot.submit(OLGA, modal, {"reason": "again"}).body)["errors"]["reason"] \
        .lower()


def test_a_request_nobody_decides_is_reminded_once_then_expires(bot: Harness) -> None:
    org, item_id = arrange(bot)
    asked = requested(bot, org, item_id)
    bot.runtime.clock.advance(3 * DAY + DAY / 2)
    sweep(bot.runtime, bot.outbox.deliver_due)
    sweep(bot.runtime, bot.outbox.deliver_due)
    [reminder] = [c for c in bot.posts(OLGA) if "Reminder" in c.text]
    assert [b["text"] for b in buttons(reminder)] == ["Approve", "Decline"]
    assert ":bell: Reminder: <@U0SAM> asks to share" in all_text(reminder)

    bot.runtime.clock.advance(3 * DAY + DAY / 2)
    sweep(bot.runtime, bot.outbox.deliver_due)
    assert status(bot) == [(ShareStatus.EXPIRED, "no decision within 7 days")]
    [told] = [c for c in bot.posts(SAM) if "Your request" in c.text]
    assert "Expired: no decision within 7 days." in told.text
    assert sorted(c.params["ts"] for c in updates(bot, OLGA)) == sent_ts(bot, "share_ask", "share_reminder")
    assert all(buttons(c) == [] and "Expired" in all_text(c) for c in updates(bot, OLGA))
    sweep(bot.runtime, bot.outbox.deliver_due)
    assert len([c for c in bot.posts(SAM) if "Your request" in c.text]) == 1
    bot.click(OLGA, button(asked, "Approve"), channel=OLGA)
    assert "expired" in bot.last_reply().text and audience(bot, item_id) == org.line_a


def test_the_bot_drafts_the_request_and_its_owner_sends_it(bot: Harness) -> None:
    org, item_id = arrange(bot)
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as session:  # Quality asks too: two other teams
        question = Question(asker_id="U0CAROL", text="lockout?", asked_at=now, status=QuestionStatus.SELF_SERVED,
                            team_id=org.quality)
        session.add(question)
        session.flush()
        session.add(Feedback(question_id=question.id, item_id=item_id, user_id="U0CAROL", helpful=True,
                             created_at=now))
        session.commit()
    sweep(bot.runtime, bot.outbox.deliver_due)
    [draft] = [c for c in bot.posts(SAM) if "keeps answering other teams" in c.text]
    text = all_text(draft)
    assert "in the last 30 days it helped 2 questions, from Line B, Quality." in text
    assert "I drafted a request to share it with *the whole organisation*." in text
    assert [b["text"] for b in buttons(draft)] == ["Send the request", "Not now"]

    bot.click(SAM, button(draft, "Send the request"), channel=SAM)
    assert "Sent to the approvers" in bot.last_reply().text
    [asked] = [c for c in bot.posts("U0MANAGER") if "asks to share" in all_text(c)]
    assert [b["text"] for b in buttons(asked)] == ["Approve", "Decline"]
    [update] = updates(bot, SAM)
    assert buttons(update) == [] and "Sent to the approvers for the whole organisation." in all_text(update)
    bot.click(SAM, button(draft, "Not now"), channel=SAM)
    assert "sent already" in bot.last_reply().text

    bot.click("U0MANAGER", button(asked, "Approve"), channel="U0MANAGER")
    assert audience(bot, item_id) is None


def test_the_owner_asks_from_the_answer_the_item_appears_in(bot: Harness) -> None:
    org, item_id = arrange(bot)
    bot.command(SAM, "lockout-tagout on the press line?")
    share = button(bot.last_reply(), "Request to share with…")
    assert share["value"] == str(item_id)
    bot.click(SAM, share, ephemeral=True)
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    bot.submit(SAM, modal, {"target": "org", "note": ""})
    [asked] = [c for c in bot.posts("U0MANAGER") if "asks to share" in all_text(c)]
    assert "with *the whole organisation*" in all_text(asked)
    assert [b["text"] for b in buttons(asked)] == ["Approve", "Decline"]


def test_the_answer_sent_again_by_dm_keeps_the_share_button_for_who_may_ask(bot: Harness) -> None:
    org, item_id = arrange(bot)
    bot.slack.fail_next("response_url", "expired_url")
    bot.command(SAM, "lockout-tagout on the press line?")
    [dm] = [c for c in bot.posts(SAM) if "Lockout-tagout" in all_text(c)]
    share = button(dm, "Request to share with…")
    assert share["value"] == str(item_id)
    with bot.runtime.sessions() as session:  # Sam leaves Line A: the button checks again
        session.query(TeamMember).filter_by(user_id=SAM).delete()
        session.get_one(LibraryItem, item_id).owner_id = None
        session.commit()
    bot.click(SAM, share, channel=SAM)
    assert "Only the item's owner, its team's supervisor" in bot.last_reply().text
    assert bot.slack.calls_to("views.open") == []

    bot.slack.fail_next("response_url", "expired_url")
    bot.command(ALICE, "lockout-tagout on the press line, how?")  # a member: no button
    [alice] = bot.posts(ALICE)
    assert "Lockout-tagout" in all_text(alice) and "Request to share with…" not in [b["text"] for b in buttons(alice)]

"""Who sees what, through signed `/learn` requests: a team's item answers its own members only, until
its audience widens (as an approved share does)."""

from __future__ import annotations

from sqlalchemy import select

from bot.search.changes import ITEM, note_change
from store.models import Feedback, LibraryItem, Team, TeamMember
from tests.harness import Harness, all_text, buttons

LADDER = ("Refund escalation ladder", "https://intranet.example.com/refunds",
          "Tier two approves refunds over 500 euros; the duty manager approves the rest.")
QUESTION = "who approves a refund escalation?"


def arrange(bot: Harness) -> tuple[int, int]:
    """The Customer department with Support (U0SUE) and Sales (U0SAL); the ladder published for Support.
    Returns (item id, department id)."""
    now = bot.runtime.clock.now()
    bot.add_items(LADDER)
    with bot.runtime.sessions() as session:
        department = Team(name="Customer", created_at=now)
        session.add(department)
        session.flush()
        support, sales = Team(name="Support", parent_id=department.id, created_at=now), \
            Team(name="Sales", parent_id=department.id, created_at=now)
        session.add_all([support, sales])
        session.flush()
        session.add_all([TeamMember(team_id=support.id, user_id="U0SUE", created_at=now),
                         TeamMember(team_id=sales.id, user_id="U0SAL", created_at=now)])
        item = session.scalars(select(LibraryItem)).one()
        item.audience_id = support.id
        note_change(session, ITEM, item.id, now)
        session.commit()
        ids = item.id, department.id
    bot.runtime.index.refresh(now)
    return ids


def widen(bot: Harness, item_id: int, audience: int | None) -> None:
    """What an approved share does: the item's audience changes and the change log tells every process."""
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as session:
        session.get_one(LibraryItem, item_id).audience_id = audience
        note_change(session, ITEM, item_id, now)
        session.commit()
    bot.runtime.index.refresh(now)  # the scheduler's refresh in every process


def offered(reply_text: str) -> bool:
    return "<https://intranet.example.com/refunds|Refund escalation ladder>" in reply_text


def test_a_team_item_answers_its_team_and_no_one_else_until_it_is_shared(bot: Harness) -> None:
    item_id, department_id = arrange(bot)

    bot.command("U0SUE", QUESTION)
    support = bot.last_reply()
    assert offered(all_text(support))
    assert [b["text"] for b in buttons(support)][0] == "This answered it"
    assert bot.posts("C0HELP") == []  # answered from the library

    bot.command("U0SAL", QUESTION)
    sales = bot.last_reply()
    assert not offered(all_text(sales)) and "Refund escalation ladder" not in all_text(sales)
    assert "This answered it" not in [b["text"] for b in buttons(sales)]
    assert "<#C0HELP>" in sales.text  # routed to colleagues instead
    [post] = bot.posts("C0HELP")
    assert "Refund escalation ladder" not in all_text(post)

    widen(bot, item_id, department_id)
    bot.command("U0SAL", QUESTION)
    assert offered(all_text(bot.last_reply()))

    bot.command("U0OUT", QUESTION)  # in no team: sees only the organisation's items
    assert not offered(all_text(bot.last_reply()))
    widen(bot, item_id, None)
    bot.command("U0OUT", QUESTION)
    assert offered(all_text(bot.last_reply()))


def test_this_answered_it_with_an_item_the_asker_cannot_see_is_refused_and_learns_nothing(bot: Harness) -> None:
    item_id, _ = arrange(bot)
    bot.command("U0SAL", QUESTION)
    question_id = bot.questions()[-1].id

    bot.click("U0SAL", {"action_id": "item_answered", "value": f"{question_id}:{item_id}"})  # a forged value

    assert "no longer in the library" in bot.last_reply().text
    assert "Refund escalation ladder" not in all_text(bot.last_reply())
    with bot.runtime.sessions() as session:
        assert session.scalars(select(Feedback)).all() == []

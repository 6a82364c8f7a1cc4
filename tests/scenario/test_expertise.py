"""Learned expertise: who answered in the past is paged today, and old answers weigh less as time passes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.slack_export import import_export, read_export
from tests.harness import Harness, button, buttons

EXPORT = Path(__file__).parent.parent / "fixtures" / "slack_export"
FRANK = "U01FRANK"  # answered the forklift threads of the export, in March 2024
FORKLIFT = "what's the safe way to charge a forklift battery?"


def import_slack_export(bot: Harness) -> None:
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as session:
        import_export(session, read_export(EXPORT), now)
    bot.runtime.index.refresh(now)


def expert_score(bot: Harness, user_id: str, question: str) -> float:
    hits = {h.id: h for h in bot.runtime.index.search(question, limit=5).experts}
    return hits[user_id].score


def test_the_answerers_of_an_old_slack_export_are_paged_on_day_one(bot: Harness) -> None:
    import_slack_export(bot)  # the export is 22 months old: its answers have faded to under a tenth
    assert expert_score(bot, FRANK, FORKLIFT) < 20

    bot.command("U0NEWHIRE", FORKLIFT)
    offered = bot.last_reply()  # with the semantic extra the export's own thread is offered first
    if "Ask a colleague" in [b["text"] for b in buttons(offered)]:
        bot.click("U0NEWHIRE", button(offered, "Ask a colleague"))

    [post] = bot.posts("C0HELP")
    assert f"<@{FRANK}>" in post.blocks[1]["text"]["text"]


def test_learned_expertise_fades_on_the_daily_refresh_not_only_at_a_rebuild(bot: Harness) -> None:
    import_slack_export(bot)
    before = expert_score(bot, FRANK, FORKLIFT)

    bot.runtime.clock.advance(timedelta(hours=23))
    bot.runtime.index.refresh(bot.runtime.clock.now())
    assert expert_score(bot, FRANK, FORKLIFT) == before, "re-weighed once a day, not on every refresh"

    bot.runtime.clock.advance(timedelta(days=179, hours=1))  # one half-life after the import
    bot.runtime.index.refresh(bot.runtime.clock.now())
    after = expert_score(bot, FRANK, FORKLIFT)
    assert before * 0.45 < after < before * 0.6

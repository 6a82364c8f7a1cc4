"""Block Kit for the weekly digest, the managers' version and the experts' weekly note."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from bot.digest import Digest, ExpertWeek, Gap, WeekNumbers
from bot.wording import plural
from handlers.andon_blocks import age
from handlers.blocks import Block, context, escape, from_teams, link, mention, message, quote, section
from handlers.paths_blocks import completion_lines, trend_lines
from handlers.trust_blocks import trust_lines

Link = Callable[[str, str, str | None], str | None]


def duration(delta: timedelta | None) -> str:
    """`1h 20m`, `2d 3h`, `45m`, or `–` when there is nothing to measure."""
    if delta is None:
        return "–"
    minutes = round(delta.total_seconds() / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def _change(now: int, before: int) -> str:
    diff = now - before
    return "same as last week" if diff == 0 else f"{'+' if diff > 0 else '−'}{abs(diff)} vs last week"


def _share(numbers: WeekNumbers, part: int) -> str:
    share = numbers.share(part)
    return "–" if share is None else f"{share:.0%}"


def _share_change(now: WeekNumbers, before: WeekNumbers, part_now: int, part_before: int) -> str:
    a, b = now.share(part_now), before.share(part_before)
    if a is None or b is None:
        return ""
    points = round((a - b) * 100)
    return " (same as last week)" if points == 0 else f" ({'+' if points > 0 else '−'}{abs(points)} pts)"


def _numbers(d: Digest) -> str:
    n, p = d.numbers, d.previous
    return "\n".join([
        f"• *{n.asked}* questions asked ({_change(n.asked, p.asked)})",
        f"• *{_share(n, n.by_library)}* answered by the library at once"
        + _share_change(n, p, n.by_library, p.by_library),
        f"• *{_share(n, n.by_colleagues)}* answered by colleagues" + _share_change(n, p, n.by_colleagues,
                                                                                      p.by_colleagues),
        f"• Time to first answer: median *{duration(n.median_first_answer)}*, 90th percentile "
        f"*{duration(n.p90_first_answer)}* (last week {duration(p.median_first_answer)} / "
        f"{duration(p.p90_first_answer)})",
        f"• *{n.still_open}* still open · *{n.escalated}* escalated to the andon board",
        f"• Andon: {plural(d.andon.opened, 'card')} opened, {d.andon.acknowledged} acknowledged, "
        f"{d.andon.resolved} resolved, {plural(d.andon.signals, 'new kanban signal')}",
    ])


def _where(gap: Gap) -> str:
    return f" · {from_teams(gap.teams)}" if gap.teams else ""


def _gap(gap: Gap) -> str:
    """`VPN setup (4) · from Support (3), Sales (1)`."""
    return f"{escape(gap.label)} ({gap.count}){_where(gap)}"


def _listing(title: str, rows: list[str], empty: str) -> Block:
    return section(f"*{title}*\n" + ("\n".join(rows) if rows else f"_{empty}_"))


def digest(d: Digest, permalink: Link, now: datetime) -> dict[str, Any]:
    """The digest for the channel (or, with `open_cards`/`oldest_open` filled, for a manager)."""
    week = d.numbers.week.label
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Learnbot weekly digest · {week}"}},
        section(_numbers(d)),
        _listing("Top topics", [f"• {escape(label)} ({n})" for label, n in d.top_topics], "Not enough questions."),
        _listing("Knowledge gaps (asked, but the library had no answer)",
                 [f"• {_gap(gap)}" for gap in d.gaps], "None this week."),
        _listing("Top helpers: thank you!", [f"• {mention(u)}: {plural(n, 'answer')}, {acc} accepted"
                                             for u, n, acc in d.helpers], "Nobody answered in a thread this week."),
        _listing("Library", [f"• {plural(d.new_items, 'new item')}"]
                 + [f"• {link(url, title)}: helped {plural(n, 'time')}" for title, url, n in d.helpful_items], ""),
    ]
    if d.reflections:
        blocks.append(_listing("What people learned", [f"{quote(text, 300)} _(an {role})_"
                                                        for role, text in d.reflections], ""))
    if d.completion:
        blocks.append(_listing("Learning paths: completion per team", completion_lines(d.completion), ""))
    if d.trends:
        blocks.append(_listing("Did the paths help? Questions on their topics", trend_lines(d.trends), ""))
    if d.open_cards or d.oldest_open:
        blocks.append(_listing("Open andon cards", [f"• {escape(card.label)}: {plural(card.count, 'question')}, "
                                                    f"oldest {age(oldest, now)}{_where(card)}"
                                                    for card, oldest in d.open_cards],
                               "No open cards."))
        blocks.append(_listing("Oldest open questions (no accepted answer)",
                               [_oldest(row, permalink, now) for row in d.oldest_open], "None."))
    if d.trust:
        blocks.append(_listing("Content you can trust", trust_lines(d.trust), ""))
    blocks.append(context("Numbers are about the questions asked during the week; changes compare with the week "
                          "before. The chart shows the last 8 weeks."))
    return message(f"Learnbot weekly digest · {week}: {d.numbers.asked} questions asked", blocks)


def _oldest(row: tuple[str, str | None, datetime, str | None, str | None], permalink: Link, now: datetime) -> str:
    text, asker, asked_at, channel, thread_ts = row
    thread = permalink(channel, thread_ts, None) if channel and thread_ts else None
    who = mention(asker) if asker else "someone"
    return f"{quote(text, 200)}\n    {who} · {age(asked_at, now)} ago" + (f" · {link(thread, 'thread')}" if thread
                                                                          else "")


def expert_note(week: str, numbers: ExpertWeek) -> dict[str, Any]:
    """An expert's weekly note: what was asked of them, what they gave, the thanks."""
    text = (f"*Your week on Learnbot ({week})*\n• {plural(numbers.asked_of_them, 'question')} in your topics came "
            f"to you\n• you gave {plural(numbers.answers, 'answer')}, {numbers.thanks} accepted"
            + ("\nThank you: your answers are in the library now, helping the next person." if numbers.thanks
               else ""))
    return message(f"Your week on Learnbot: {plural(numbers.answers, 'answer')}, {numbers.thanks} accepted",
                   [section(text), context("Don't want this note? `/learn digest off` stops it.")])

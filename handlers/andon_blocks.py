"""Block Kit for andon cards and their notices (user text escaped through handlers.blocks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from bot.andon import CardView
from handlers import ids
from handlers.blocks import (Block, actions, button, context, escape, link, mention, message, modal, plain_input,
                             quote, section, truncate)

SAMPLES = 5
Link = Callable[[str, str, str | None], str | None]


def age(since: datetime | None, now: datetime) -> str:
    """`3d 4h`, `5h`, `12m`: how long ago, for people."""
    if since is None:
        return "-"
    minutes = int((now - since).total_seconds() // 60)
    days, hours = divmod(minutes // 60, 24)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h" if hours else f"{minutes % 60}m"


def _sample(q: Any, permalink: Link) -> str:
    who = mention(q.asker) if q.asker else "someone"
    thread = permalink(q.channel, q.thread_ts, None) if q.channel and q.thread_ts else None
    line = f"{quote(q.text, 300)}\n    {who}" + (f" · {link(thread, 'thread')}" if thread else "")
    return line + (" · :octagonal_sign: *blocked*" if q.blocked else "")


def card(view: CardView, now: datetime, permalink: Link) -> dict[str, Any]:
    """The card in the andon channel: topic, counts, age, samples, state and the managers' buttons."""
    c = view.card
    n = len(view.questions)
    if view.resolution:
        title, url = view.resolution
        summary = (f":white_check_mark: *Andon: {escape(c.label)}*\n*{n}* question(s) from *{view.askers}* people, "
                   f"answered with {link(url, title)}")
    else:
        summary = (f":rotating_light: *Andon: {escape(c.label)}*\n*{n}* unanswered question(s) from "
                   f"*{view.askers}* people · oldest {age(view.oldest, now)}")
    blocks: list[Block] = [section(summary)]
    blocked = sum(q.blocked for q in view.questions)
    if blocked:
        blocks.append(context(f":octagonal_sign: {blocked} asker(s) pulled the cord: they are blocked."))
    if c.kanban_at:
        blocks.append(section(":large_orange_diamond: *Formal learning needed*: this topic keeps coming back. "
                              "Consider a course or a library article."))
    blocks += [section(_sample(q, permalink)) for q in view.questions[-SAMPLES:]]
    if n > SAMPLES:
        blocks.append(context(f"…and {n - SAMPLES} more."))
    blocks.append(context(_state(view, now)))
    if view.live:
        acknowledge = [button("Acknowledge", ids.ANDON_ACK, str(c.id), "primary")] if view.unacknowledged else []
        blocks.append(actions(
            *acknowledge,
            {"type": "users_select", "action_id": ids.ANDON_ASSIGN, "placeholder":
             {"type": "plain_text", "text": "Assign to…"}},
            button("Snooze 1 day", ids.ANDON_SNOOZE_DAY, f"{c.id}:1d"),
            button("Snooze 1 week", ids.ANDON_SNOOZE_WEEK, f"{c.id}:1w"),
            button("Resolve with content", ids.ANDON_RESOLVE, str(c.id)),
            block_id=f"{ids.ANDON_BLOCK}:{c.id}"))
    text = f"Andon: {escape(c.label)}: {n} {'resolved' if view.resolution else 'unanswered'} question(s)"
    return message(text, blocks)


def _state(view: CardView, now: datetime) -> str:
    c = view.card
    parts = [f"Card #{c.id} · {c.status}"]
    if c.acknowledged_by:
        parts.append(f"acknowledged by {mention(c.acknowledged_by)}")
    if c.assigned_to:
        parts.append(f"assigned to {mention(c.assigned_to)}")
    if c.snoozed_until and c.snoozed_until > now and view.live:
        parts.append(f"snoozed for {age(now, c.snoozed_until)}")
    if c.resolved_by and c.resolved_at:
        since = view.oldest or c.created_at
        parts.append(f"resolved by {mention(c.resolved_by)} in {age(since, c.resolved_at)} from the first question")
    if view.closed:
        parts.append("every question got an answer in its thread")
    return " · ".join(parts)


def thread_note(view: CardView, kind: str) -> dict[str, Any]:
    """A reply on the card: the kanban signal, or a reminder nobody acknowledged it."""
    managers = " ".join(mention(m) for m in view.managers) or "Learning managers"
    if kind == "kanban":
        return message(f"{managers}: *formal learning needed* on “{escape(view.card.label)}”: "
                       f"{len(view.questions)} people asked about it recently and nobody could answer.")
    return message(f"{managers}: this card is still waiting for someone to acknowledge it.")


def assigned(view: CardView) -> dict[str, Any]:
    """The assignee's DM, with the card's questions."""
    lines = "\n".join(quote(q.text, 300) for q in view.questions[:20])
    return message(f"You were assigned the andon card “{escape(view.card.label)}”.",
                   [section(f"You were assigned the andon card *{escape(view.card.label)}*. Its questions:\n{lines}"),
                    context("Resolve it with content from the card when there is an answer.")])


def resolved_notice(label: str, title: str, url: str | None, summary: str) -> dict[str, Any]:
    """Each asker's DM when a card is resolved with content."""
    body = link(url, title) + ("\n" + escape(truncate(summary, 1500)) if summary else "")
    return message(f"Your question about “{escape(label)}” has an answer: {escape(title)}",
                   [section(f"Your question about *{escape(label)}* now has an answer in the library:\n{body}")])


def resolve_modal(card_id: int, label: str) -> dict[str, Any]:
    return modal(ids.ANDON_RESOLVE, "Resolve with content", "Resolve", [
        plain_input(ids.TITLE, "Title", initial=label, max_length=200),
        plain_input(ids.URL, "Link (optional)", optional=True, max_length=2000),
        plain_input(ids.SUMMARY, "Summary", multiline=True),
    ], str(card_id))

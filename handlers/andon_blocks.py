"""Block Kit for andon cards and their notices (user text escaped through handlers.blocks).

The topic label is for the managers' channel; people outside it read a card by its first question.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from bot.andon import CardView, Resolution
from bot.trust import Trust
from bot.wording import noun, plural
from handlers import ids
from handlers.blocks import (Block, actions, button, context, escape, from_teams, link, mention, message, modal,
                             plain_input, quote, section, truncate)
from handlers.learning_needs_blocks import course_state
from handlers.question_blocks import trust_line

SAMPLES = 5
NAME_LIMIT = 150  # a card named by its first question, for people who do not read the topic labels
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
    askers = f"*{view.askers}* {noun(view.askers, 'person')}"
    if view.resolution:
        title, url = view.resolution
        summary = (f":white_check_mark: *Andon: {escape(c.label)}*\n*{n}* {noun(n, 'question')} from {askers}, "
                   f"answered with {link(url, title)}")
    else:
        summary = (f":rotating_light: *Andon: {escape(c.label)}*\n*{n}* unanswered {noun(n, 'question')} from "
                   f"{askers} · oldest {age(view.oldest, now)}")
    blocks: list[Block] = [section(summary)]
    if view.teams:
        blocks.append(context(f":busts_in_silhouette: Asked {from_teams(view.teams)}"))
    blocked = sum(q.blocked for q in view.questions)
    if blocked:
        blocks.append(context(f":octagonal_sign: {plural(blocked, 'asker')} pulled the cord: they are blocked."))
    if c.kanban_at:
        blocks.append(section(":large_orange_diamond: *Formal learning needed*: this topic keeps coming back. "
                              "Consider a course or a library article."))
    blocks += [section(_sample(q, permalink)) for q in view.questions[-SAMPLES:]]
    if n > SAMPLES:
        blocks.append(section(f"…and {n - SAMPLES} more.", button(f"See all {n} questions", ids.ANDON_QUESTIONS,
                                                                  str(c.id))))
    blocks.append(context(_state(view, now)))
    if view.live:
        acknowledge = [button("Acknowledge", ids.ANDON_ACK, str(c.id), "primary")] if view.unacknowledged else []
        plan = [] if view.planned else [button("Plan a course", ids.ANDON_PLAN_COURSE, str(c.id))]
        blocks.append(actions(
            *acknowledge,
            {"type": "users_select", "action_id": ids.ANDON_ASSIGN, "placeholder":
             {"type": "plain_text", "text": "Assign to…"}},
            button("Snooze 1 day", ids.ANDON_SNOOZE_DAY, f"{c.id}:1d"),
            button("Snooze 1 week", ids.ANDON_SNOOZE_WEEK, f"{c.id}:1w"),
            *plan,
            button("Resolve with content", ids.ANDON_RESOLVE, str(c.id)),
            block_id=f"{ids.ANDON_BLOCK}:{c.id}"))
    text = f"Andon: {escape(c.label)}: {n} {'resolved' if view.resolution else 'unanswered'} {noun(n, 'question')}"
    return message(text, blocks)


def _state(view: CardView, now: datetime) -> str:
    c = view.card
    parts = [f"Card #{c.id} · {c.status.replace('_', ' ')}"]
    if c.acknowledged_by:
        parts.append(f"acknowledged by {mention(c.acknowledged_by)}")
    if c.assigned_to:
        parts.append(f"assigned to {mention(c.assigned_to)}")
    if need := view.need:
        parts.append(course_state(need.need, need.owner_id, need.due_on, need.shipped_at is not None))
    if c.snoozed_until and c.snoozed_until > now and view.live:
        parts.append(f"snoozed for {age(now, c.snoozed_until)}")
    if c.resolved_by and c.resolved_at and not view.live:  # a reopened card is live again
        since = view.oldest or c.created_at
        parts.append(f"resolved by {mention(c.resolved_by)} in {age(since, c.resolved_at)} from the first question")
    if view.closed:
        parts.append("every question was answered and accepted")
    return " · ".join(parts)


PAGES = {  # notes that page the managers in the card's thread, by kind; the question is quoted after
    "new": "a new andon card needs you: questions colleagues could not resolve.",
    "blocked": "someone pulled the cord: they are blocked on this question.",
    "stuck": "the replies did not help: the asker is still stuck on this question.",
    "reopened": "the content did not help: this question is reopened.",
    "outdated": "the library item offered for this question kept missing: it may be out of date.",
}


def thread_note(view: CardView, kind: str, question: str | None = None) -> dict[str, Any]:
    """A reply on the card that mentions the managers: a page (`PAGES`), the kanban signal, or a
    reminder nobody acknowledged it."""
    managers = " ".join(mention(m) for m in view.managers) or "Learning managers"
    if kind == "kanban":
        return message(f"{managers}: *formal learning needed* on “{escape(view.card.label)}”: "
                       f"{plural(view.askers, 'person')} asked about it recently and nobody could answer.")
    if kind in PAGES:
        text = f"{managers}: {PAGES[kind]}"
        return message(text, [section(text + (f"\n{quote(question, 300)}" if question else ""))])
    return message(f"{managers}: this card is still waiting for someone to acknowledge it.")


def _name(question: str) -> str:
    """A card or question named for people outside the managers' channel: its text, short."""
    return escape(truncate(" ".join(question.split()), NAME_LIMIT))


def assigned(view: CardView) -> dict[str, Any]:
    """The assignee's DM, with the card's questions and the button to resolve it."""
    name = _name(view.questions[0].text) if view.questions else f"#{view.card.id}"
    lines = "\n".join(quote(q.text, 300) for q in view.questions[:20])
    return message(f"You were assigned the andon card “{name}”.", [
        section(f"You were assigned the andon card *{name}*. Its questions:\n{lines}"),
        actions(button("Resolve with content", ids.ANDON_RESOLVE, str(view.card.id), "primary")),
        context("Resolve it with content when there is an answer: every asker gets it.")])


def resolved_notice(done: Resolution, standing: Trust | None) -> dict[str, Any]:
    """Each asker's DM when a card is resolved with content (and whether it is verified): did it help?
    And a reflection."""
    body = link(done.url, done.title) + ("\n" + escape(truncate(done.summary, 1500)) if done.summary else "")
    name = _name(done.question)
    return message(f"Your question “{name}” has an answer: {escape(done.title)}", [
        section(f"Your question *{name}* now has an answer in the library:\n{body}"),
        *([context(trust_line(standing))] if standing else []),
        section("Did this help?"),
        actions(button("Yes, it helped", ids.ANDON_HELPED, str(done.card_id), "primary"),
                button("No, it didn't help", ids.ANDON_NOT_HELPED, str(done.card_id)),
                button("Add a reflection", ids.OPEN_REFLECTION, str(done.question_id))),
        context("If it didn't help, your question goes back to the learning team."),
    ])


def resolve_modal(card_id: int, label: str) -> dict[str, Any]:
    return modal(ids.ANDON_RESOLVE, "Resolve with content", "Resolve", [
        plain_input(ids.TITLE, "Title", initial=label, max_length=200),
        plain_input(ids.URL, "Link (optional)", optional=True, max_length=2000),
        plain_input(ids.SUMMARY, "Summary", multiline=True),
    ], str(card_id))

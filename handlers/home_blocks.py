"""Block Kit for the App Home tab."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from bot.home import BoardCard, HomeView
from bot.wording import plural
from handlers import ids
from handlers.andon_blocks import age
from handlers.blocks import Block, button, context, escape, link, modal, plain_input, quote, section, truncate
from handlers.digest_blocks import duration
from handlers.learning_needs_blocks import due_text
from handlers.paths_blocks import home_paths
from handlers.sharing_blocks import team_content
from handlers.trust_blocks import trust_lines
from store.models import CardStatus, QuestionStatus

Link = Callable[[str, str, str | None], str | None]
STATUS = {QuestionStatus.ASKED: "waiting for your verdict on the library's answer",
          QuestionStatus.ROUTED: "asked colleagues, no answer yet",
          QuestionStatus.ANSWERED: "answered: accept it, or say you're still stuck"}
MAX_HOME_BLOCKS = 100


def _url(channel: str | None, ts: str | None, permalink: Link) -> str | None:
    return permalink(channel, ts, None) if channel and ts else None


def _thread(channel: str | None, ts: str | None, permalink: Link) -> str:
    url = _url(channel, ts, permalink)
    return f" · {link(url, 'thread')}" if url else ""


def home(view: HomeView, now: datetime, permalink: Link) -> dict[str, Any]:
    """The Home tab view for `views.publish`."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "Learnbot"}},
                           context("Ask anything with `/learn <question>`. Here: your questions, your answers "
                                   "and what colleagues can ask you about.")]
    blocks += home_paths(view.paths, view.led, view.may_create_path)
    blocks.append(section("*My open questions*"))
    blocks += [section(f"{quote(q.text, 300)}\n{STATUS.get(q.status, q.status)} · asked {age(q.asked_at, now)} ago"
                       + _thread(q.channel, q.thread_ts, permalink)) for q in view.questions] or \
        [context("No open questions.")]
    blocks.append(section("*Answers I gave*"))
    blocks += [section(f"{quote(a.question, 200)}\n{'accepted :white_check_mark:' if a.accepted else 'answered'} · "
                       f"{age(a.answered_at, now)} ago" + _thread(a.channel, a.thread_ts, permalink))
               for a in view.answers] or [context("No answers yet. When colleagues ask in your topics, you'll "
                                                  "be pinged in the help channel.")]
    blocks.append(section("*My expertise*", button("Add topics", ids.HOME_ADD_TOPICS, "add", "primary")))
    blocks += [section(f"{escape(topic)} _({source})_", button("Remove", ids.HOME_REMOVE_TOPIC, truncate(topic, 200)))
               for topic, source in view.topics[:20]] or [context("No declared topics yet.")]
    if view.learned:
        blocks.append(context("Learned from your answers: " + ", ".join(f"{escape(label)} ({n})"
                                                                        for label, n in view.learned)))
    blocks += team_content(view.team_items, view.may_publish)
    if view.manager:
        blocks += _manager(view, now, permalink)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _board_line(b: BoardCard, now: datetime, permalink: Link) -> str:
    """The card, linked to its message, with its size, age and state (open / acknowledged / course
    planned, due …; snoozed)."""
    c = b.card
    state = f"course planned, due {due_text(b.due)}" if b.due else \
        "acknowledged" if c.status == CardStatus.ACKNOWLEDGED else "open"
    if c.snoozed_until and c.snoozed_until > now:
        state += f", snoozed for {age(now, c.snoozed_until)}"
    signal = ":large_orange_diamond: " if c.kanban_at else ""
    return (f"{signal}{link(_url(c.channel, c.message_ts, permalink), c.label)}: {plural(b.questions, 'question')}, "
            f"oldest {age(b.oldest, now)} · {state}")


def _manager(view: HomeView, now: datetime, permalink: Link) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}, section("*Andon board*")]
    blocks += [section(_board_line(b, now, permalink)) for b in view.cards] or [context("No open andon cards.")]
    if view.week:
        w = view.week
        share = (lambda part: f"{part / w.asked:.0%}" if w.asked else "–")
        blocks.append(section(f"*This week so far ({w.week.label})*\n• {w.asked} questions asked · "
                              f"{share(w.by_library)} by the library · {share(w.by_colleagues)} by colleagues\n"
                              f"• median time to first answer {duration(w.median_first_answer)} · "
                              f"{w.still_open} still open · {w.escalated} escalated"))
    if view.trust:
        blocks.append(section("*Content you can trust*\n" + "\n".join(trust_lines(view.trust))))
    return blocks


def add_topics_modal() -> dict[str, Any]:
    return modal(ids.HOME_ADD_TOPICS, "Add expertise", "Add", [
        plain_input(ids.TOPICS, "Topics, separated by commas", max_length=1000)], "")


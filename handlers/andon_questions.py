"""Every question of an andon card, in a modal a page at a time (the card shows only the last few)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import access, andon
from bot.andon import CardView
from bot.refusal import Refusal
from bot.wording import plural
from handlers import blocks, ids
from handlers.andon_blocks import age
from handlers.blocks import Block, actions, button, context, escape, mention, quote, read_only_modal, section
from handlers.deps import Deps
from handlers.settle import refuses

Payload = dict[str, Any]
PAGE = 50  # questions per page: one section each, well within a modal's 100 blocks


def questions_modal(view: CardView, page: int, now: datetime) -> dict[str, Any]:
    """Page `page` (from 0) of the card's questions, oldest first, each with its age and asker."""
    pages = max(1, -(-len(view.questions) // PAGE))
    page = min(max(page, 0), pages - 1)
    blocks: list[Block] = [section(f"*{escape(view.card.label)}*: {plural(len(view.questions), 'question')} from "
                                   f"{plural(view.askers, 'person')}")]
    for q in view.questions[page * PAGE:(page + 1) * PAGE]:
        blocked = " · :octagonal_sign: blocked" if q.blocked else ""
        who = mention(q.asker) if q.asker else "someone"
        blocks.append(section(f"{quote(q.text)}\n{who} · asked {age(q.asked_at, now)} ago{blocked}"))
    if pages > 1:
        turns = [button(label, ids.ANDON_QUESTIONS, f"{view.card.id}:{to}")
                 for label, to in (("Previous", page - 1), ("Next", page + 1)) if 0 <= to < pages]
        blocks += [context(f"Page {page + 1} of {pages}"), actions(*turns)]
    return read_only_modal("Questions on this card", blocks)


@refuses
def show(ack: Ack, action: Payload, body: Payload, client: WebClient, deps: Deps) -> None:
    """"See all N questions" opens the modal (managers only); its page buttons turn the page in place."""
    ack()
    settings = deps.runtime.settings
    card_id, _, page = str(action.get("value", "")).partition(":")
    with deps.runtime.sessions() as session:
        access.require_learning_manager(session, settings, body["user"]["id"], "see andon cards")
        view = andon.card_view(session, settings, blocks.number(card_id))
    if view is None:
        raise Refusal("I can't find that card any more.")
    modal = questions_modal(view, blocks.number(page or "0"), deps.now())
    if isinstance(body.get("view"), dict) and body["view"].get("id"):
        client.views_update(view_id=body["view"]["id"], view=modal)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=modal)


def register(app: App) -> None:
    app.action(ids.ANDON_QUESTIONS)(show)

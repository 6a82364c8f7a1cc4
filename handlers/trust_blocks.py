"""Block Kit for trusted content: the "Flag as outdated" modal and the verifier's notices."""

from __future__ import annotations

from typing import Any

from bot.trust import MAX_REASON, ItemView
from handlers import ids
from handlers.blocks import actions, button, escape, link, mention, message, modal, plain_input, quote, section
from handlers.question_blocks import trust_line


def flag_modal(item_id: int, title: str) -> dict[str, Any]:
    """"Flag as outdated": what is wrong (required), for the item's verifier."""
    return modal(ids.FLAG_OUTDATED, "Flag as outdated", "Flag", [
        section(f"*{escape(title)}*\nIts verifier will be told, and it is marked not verified until they check it."),
        plain_input(ids.REASON, "What is out of date?", multiline=True, max_length=MAX_REASON),
    ], str(item_id))


def flagged_thanks(title: str) -> dict[str, Any]:
    return message(f"Thanks: {escape(title)} is marked not verified, and its verifier has been told.")


def unverified_notice(item: ItemView, args: dict[str, Any]) -> dict[str, Any]:
    """A verifier's DM: someone flagged the item outdated (`by`, `reason`), or it kept missing (`misses`)."""
    if "reason" in args:
        why = f"{mention(str(args['by']))} flagged it as outdated:\n{quote(str(args['reason']), 500)}"
    else:
        why = (f"{int(args['misses'])} people said it didn't help within a month; their questions are on an "
               "andon card for the learning managers.")
    text = f"{link(item.url, item.title)} needs your review. {why}"
    return message(f"{escape(item.title)} needs your review.", [
        section(text), section(trust_line(item.trust)),
        actions(button("Verify", ids.ITEM_VERIFY, str(item.item_id), "primary")),
    ])

"""Block Kit for trusted content: the "Flag as outdated" modal and the verifier's notices."""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from bot.trust import MAX_REASON, REVIEW_CHOICES, TRUST_AIM, DueItem, EditView, ItemView, TrustScore
from bot.wording import plural
from handlers import ids
from handlers.blocks import actions, button, context, date_input, escape, link, mention, message, modal, plain_input, \
    quote, section
from handlers.learning_needs_blocks import due_text
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


REVIEWS_SHOWN = 10


def reviews_due(due: Sequence[DueItem]) -> dict[str, Any]:
    """A verifier's weekly DM: their items due for review, most used first, each with its buttons."""
    lead = f"{plural(len(due), 'item')} you verify {'is' if len(due) == 1 else 'are'} due for review, most used first."
    blocks = [section(f"*{lead}* Verify what is still right, edit what is not, retire what is obsolete.")]
    for row in due[:REVIEWS_SHOWN]:
        blocks.append(section(f"{link(row.url, row.title)}\nDue since {due_text(row.due.date())} · "
                              f"{plural(row.uses, 'use')}"))
        blocks.append(actions(
            button("Verify", ids.ITEM_VERIFY, str(row.item_id), "primary"),
            button("Edit", ids.ITEM_EDIT, str(row.item_id)),
            button("Mark obsolete", ids.ITEM_OBSOLETE, str(row.item_id), "danger"),
            {"type": "users_select", "action_id": ids.ITEM_REASSIGN,
             "placeholder": {"type": "plain_text", "text": "Reassign to…"}},
            block_id=f"{ids.REVIEW_BLOCK}:{row.item_id}"))
    if len(due) > REVIEWS_SHOWN:
        blocks.append(context(f"…and {len(due) - REVIEWS_SHOWN} more: `learnbot library stale` lists them all."))
    return message(lead, blocks)


def edit_modal(item: EditView) -> dict[str, Any]:
    """Edit an item's content and review interval; saved by its verifier, it counts as verified."""
    return modal(ids.ITEM_EDIT, "Edit library item", "Save", [
        plain_input(ids.TITLE, "Title", initial=item.title, max_length=200),
        plain_input(ids.URL, "Link", initial=item.url or "", optional=True, max_length=2000),
        plain_input(ids.BODY, "Content", initial=item.body, multiline=True, optional=True),
        plain_input(ids.TAGS, "Tags (comma-separated)", initial=item.tags, optional=True, max_length=500),
        plain_input(ids.REVIEW_DAYS, f"Review every (days: {', '.join(map(str, REVIEW_CHOICES))})",
                    initial=str(item.review_days), max_length=3),
        date_input(ids.REVIEW_ON, "Or review on (a date)", optional=True),
    ], str(item.item_id))


def trust_lines(score: TrustScore) -> list[str]:
    """The managers' view of trust (digest and Home): the score, overdue per verifier, the most used unverified."""
    share = "–" if score.share is None else f"{score.share:.0%}"
    flag = "" if score.share is None or score.share >= TRUST_AIM else " :warning:"
    lines = [f"• Trust score: {share} of the {plural(score.used, 'used item')} verified (aim {TRUST_AIM:.0%}){flag}"]
    lines += [f"• {mention(who) if who else 'Learning managers'}: {n} overdue for review" for who, n in score.overdue]
    lines += [f"• Not verified: {link(row.url, row.title)} ({plural(row.uses, 'use')})" for row in score.unverified]
    return lines


def owner_left(left: str, count: int) -> dict[str, Any]:
    """A learning manager's DM: a verifier's account was deactivated and their items are the managers' now."""
    text = (f"{mention(left)} left the workspace: the {plural(count, 'library item')} they verified "
            f"{'is' if count == 1 else 'are'} yours to verify now (or reassign). "
            "`learnbot library stale` lists what is due.")
    return message(text)


def archiving_notice(items: Sequence[ItemView], on: date) -> dict[str, Any]:
    """A verifier's DM: unused items not verified for months are archived on `on` unless verified."""
    lead = (f"{plural(len(items), 'library item')} you verify {'has' if len(items) == 1 else 'have'} gone unused "
            f"and unverified for months: archived on {due_text(on)} unless you verify "
            f"{'it' if len(items) == 1 else 'them'}.")
    blocks = [section(f"*{lead}*")]
    for item in items[:REVIEWS_SHOWN]:
        blocks.append(section(f"{link(item.url, item.title)}\n{trust_line(item.trust)}",
                              button("Verify", ids.ITEM_VERIFY, str(item.item_id), "primary")))
    return message(lead, blocks)

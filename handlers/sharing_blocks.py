"""Block Kit for mini learning factories: the publish modal, "Request to share with…", the approvers',
requesters' and owners' DMs, and the Home tab's "My team's content"."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from bot.sharing import MAX_NOTE, MAX_REASON, RequestView, TeamItem, Usage
from bot.publishing import MAX_SUMMARY
from bot.importing import MAX_TITLE, MAX_URL
from bot.wording import first_few, plural
from handlers import ids
from handlers.blocks import (MAX_OPTIONS, Block, actions, button, context, escape, external_input, link, mention,
                             message, modal, option, plain_input, quote, section, truncate)
from handlers.learning_needs_blocks import due_text
from store.models import ShareStatus

ORGANISATION_VALUE = "org"  # the target option for the whole organisation
SHOWN_TEAMS = 8  # teams named in a drafted request; the rest are counted


def select_input(block_id: str, label: str, options: Sequence[tuple[str, str]], *,
                 initial: str | None = None) -> Block:
    """A static_select of (text, value) options (at most 100, as Slack allows), `initial` preselected."""
    shown = [option(text, value) for text, value in options[:MAX_OPTIONS]]
    element: Block = {"type": "static_select", "action_id": ids.INPUT, "options": shown,
                      "placeholder": {"type": "plain_text", "text": "Choose…"}}
    chosen = next((o for o in shown if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return {"type": "input", "block_id": block_id, "element": element, "label": {"type": "plain_text", "text": label}}


def publish_modal(teams: Sequence[tuple[int, str]], default: tuple[int, str] | None, *,
                  searched: bool = False) -> dict[str, Any]:
    """Title, link, summary, a competency from L&D's framework, and the team it is for: one of `teams`, or
    (`searched`) any the publisher may publish for, searched as they type."""
    team = (external_input(ids.AUDIENCE, "For the team", "Type to search the teams",
                           initial=None if default is None else (default[1], str(default[0])))
            if searched else
            select_input(ids.AUDIENCE, "For the team", [(name, str(team_id)) for team_id, name in teams],
                         initial=None if default is None else str(default[0])))
    return modal(ids.PUBLISH, "Publish for my team", "Publish", [
        plain_input(ids.TITLE, "Title", max_length=MAX_TITLE),
        plain_input(ids.URL, "Link (http:// or https://)", optional=True, max_length=MAX_URL),
        plain_input(ids.SUMMARY, "Summary", multiline=True, optional=True, max_length=MAX_SUMMARY),
        external_input(ids.COMPETENCY, "Competency", "Type to search L&D's framework"),
        team,
        context("It goes live for that team at once: only its members (and its department's) see it."),
    ], "")


def published(title: str, url: str | None, team: str, competency: str) -> dict[str, Any]:
    """The publisher's confirmation."""
    text = (f"Published {link(url, title)} for *{escape(team)}* ({escape(competency)}). Its members can find it "
            "now; to share it more widely, use *Request to share with…* on it in your Home tab.")
    return message(text)


def share_modal(item_id: int, title: str, audience: str, targets: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Where to share the item (a department above its team, or everyone), and a note for the approvers."""
    return modal(ids.SHARE_REQUEST, "Request to share", "Send request", [
        section(f"*{escape(title)}*\nSeen now by: {escape(audience)}. The approvers of the group you choose decide."),
        select_input(ids.TARGET, "Share with", targets, initial=targets[0][1] if len(targets) == 1 else None),
        plain_input(ids.NOTE, "A note for the approvers", multiline=True, optional=True, max_length=MAX_NOTE),
    ], str(item_id))


def request_sent(title: str, target: str, approvers: int, deadline: datetime) -> dict[str, Any]:
    return message(f"Sent: {plural(approvers, 'approver')} for {escape(target)} will decide on sharing "
                   f"*{escape(title)}* by {due_text(deadline.date())}. I'll tell you what they decide.")


def usage_line(used: Usage) -> str:
    if not used.answered:
        return "It hasn't answered a question yet."
    return (f"It answered {plural(used.answered, 'question')} so far, from {plural(used.teams, 'team')}."
            if used.teams else f"It answered {plural(used.answered, 'question')} so far.")


def _item(view: RequestView) -> str:
    text = link(view.url, view.title)
    return text + (f"\n{quote(view.summary, 500)}" if view.summary.strip() else "")


def _outcome(view: RequestView) -> str:
    """What became of the request, for a DM whose buttons are gone."""
    if view.status == ShareStatus.APPROVED:
        return f":white_check_mark: Approved by {mention(view.decided_by or '')}: {escape(view.target)} sees it now."
    if view.status == ShareStatus.EXPIRED:
        return f":hourglass: Expired: {escape(view.reason or 'no decision in time')}."
    if view.status == ShareStatus.PENDING:
        return f"Sent to the approvers for {escape(view.target)}."
    if view.reason == "Not now":
        return f"Put aside by {mention(view.decided_by or '')}: not now."
    return f"Declined by {mention(view.decided_by or '')}: {escape(view.reason or '')}"


def approver_dm(view: RequestView, reminder: bool = False) -> dict[str, Any]:
    """An approver's DM: the item, its usage, who asks, by when; Approve / Decline while it is pending."""
    who = mention(view.requested_by)
    lead = f"{who} asks to share an item of *{escape(view.audience)}* with *{escape(view.target)}*."
    if reminder:
        lead = ":bell: Reminder: " + lead
    blocks = [section(lead), section(_item(view)), context(usage_line(view.usage))]
    note = str(view.evidence.get("note") or "")
    if note:
        blocks.append(section(f"{who} adds:\n{quote(note, MAX_NOTE)}"))
    if view.status == ShareStatus.PENDING:
        due = f" by {due_text(view.deadline.date())}" if view.deadline else ""
        blocks.append(actions(button("Approve", ids.SHARE_APPROVE, str(view.request_id), "primary"),
                              button("Decline", ids.SHARE_DECLINE, str(view.request_id), "danger")))
        blocks.append(context(f"Please decide{due}: approving widens who sees it at once; without a decision it "
                              "is declined then."))
    else:
        blocks.append(section(_outcome(view)))
    return message(f"{'Reminder: ' if reminder else ''}share “{escape(truncate(view.title, 150))}” with "
                   f"{escape(view.target)}?", blocks)


def drafted_dm(view: RequestView) -> dict[str, Any]:
    """The owner's DM: the bot drafted a request from the evidence; Send / Not now while it is a draft."""
    others = first_few([escape(name) for name in view.evidence.get("other_teams", [])], SHOWN_TEAMS)
    lead = (f"This item keeps answering other teams: in the last {view.evidence.get('days', 30)} days it helped "
            f"{plural(int(view.evidence.get('answered', 0)), 'question')}, from {others}.")
    blocks = [section(lead), section(_item(view)),
              context(f"Seen now by {escape(view.audience)}. I drafted a request to share it with "
                      f"*{escape(view.target)}*.")]
    if view.status == ShareStatus.DRAFTED:
        blocks.append(actions(button("Send the request", ids.SHARE_SEND, str(view.request_id), "primary"),
                              button("Not now", ids.SHARE_NOT_NOW, str(view.request_id))))
    else:
        blocks.append(section(_outcome(view)))
    return message(f"“{escape(truncate(view.title, 150))}” keeps answering other teams: share it?", blocks)


def requester_dm(view: RequestView) -> dict[str, Any]:
    """The requester's DM: what became of their request."""
    text = f"Your request to share {link(view.url, view.title)} with *{escape(view.target)}*: " + _outcome(view)
    return message(text, [section(text)])


def decline_modal(request_id: int, title: str, target: str) -> dict[str, Any]:
    return modal(ids.SHARE_DECLINE, "Decline sharing", "Decline", [
        section(f"*{escape(title)}* stays with its team. The requester reads your reason."),
        plain_input(ids.REASON, f"Why not share it with {truncate(target, 150)}?", multiline=True,
                    max_length=MAX_REASON),
    ], str(request_id))


def team_content(items: Sequence[TeamItem], may_publish: bool) -> list[Block]:
    """The Home tab's "My team's content": publish, and each team item with its usage and "Request to share with…"."""
    if not items and not may_publish:
        return []
    head = section("*My team's content*", button("Publish for my team", ids.PUBLISH, "publish", "primary")
                   if may_publish else None)
    blocks: list[Block] = [{"type": "divider"}, head]
    for item in items:
        waiting = f" · waiting for approval to share with {escape(item.pending)}" if item.pending else ""
        blocks.append(section(f"{link(item.url, item.title)}\nFor {escape(item.audience)} · "
                              f"{usage_line(item.usage)}{waiting}",
                              button("Request to share with…", ids.SHARE_REQUEST, str(item.item_id))))
    if not items:
        blocks.append(context("Nothing published for your teams yet."))
    return blocks

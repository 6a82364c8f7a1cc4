"""The weekly digest: renderers of the channel's and managers' digest, its chart and the experts' note."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import digest
from bot.chart import WeekCounts, render_weekly_chart
from bot.outbox import UPLOAD, SlackCall
from handlers import digest_blocks
from handlers.rendering import Render, Rendering

Payload = dict[str, Any]


def digest_png(weeks: list[digest.WeekNumbers]) -> bytes:
    """The chart of the weeks' numbers."""
    return render_weekly_chart([WeekCounts(n.week.label.split("-")[1], n.asked, n.by_library, n.by_colleagues,
                                           n.escalated) for n in weeks])


def digest_message(r: Rendering, session: Session, run_id: int, args: Payload) -> SlackCall | None:
    label = digest.run_week(session, run_id)
    if label is None:
        return None
    channel = args.get("user") or r.settings.digest_channel
    week = digest.parse_week(label, r.settings.timezone)
    built = digest.build_digest(session, week, r.settings.timezone, for_managers="user" in args)
    return SlackCall("chat.postMessage", {"channel": channel, "unfurl_links": False,
                                          **digest_blocks.digest(built, r.links.message, r.clock.now())})


def digest_chart(r: Rendering, session: Session, run_id: int, _args: Payload) -> SlackCall | None:
    label = digest.run_week(session, run_id)
    if label is None or not r.settings.digest_channel:
        return None
    weeks = digest.history(session, digest.parse_week(label, r.settings.timezone), r.settings.timezone)
    return SlackCall(UPLOAD, {"channel": r.settings.digest_channel, "content": digest_png(weeks),
                              "filename": f"learnbot-{label}.png", "title": f"Learnbot: 8 weeks to {label}",
                              "initial_comment": "Questions asked, answered by the library, answered by "
                                                 "colleagues and escalated, week by week."})


def expert_note(r: Rendering, session: Session, run_id: int, args: Payload) -> SlackCall | None:
    label = digest.run_week(session, run_id)
    if label is None:
        return None
    week = digest.parse_week(label, r.settings.timezone)
    return SlackCall("chat.postMessage", {"channel": args["user"], **digest_blocks.expert_note(
        label, digest.expert_week(session, args["user"], week))})


RENDERERS: dict[str, Render] = {digest.DIGEST_CHANNEL: digest_message, digest.DIGEST_MANAGER: digest_message,
                                digest.DIGEST_CHART: digest_chart, digest.EXPERT_NOTE: expert_note}

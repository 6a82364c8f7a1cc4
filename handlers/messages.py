"""Renderers for durable messages: the outbox asks them what to send when it delivers.

Each renders from the state at sending time, so a retried message says what is true now.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import andon, answers, asking, digest
from bot.chart import WeekCounts, render_weekly_chart
from bot.outbox import UPLOAD, OnSent, Renderer, SlackCall
from bot.runtime import Runtime
from handlers import andon_blocks, blocks, digest_blocks
from handlers.links import Permalinks
from store.models import AndonCard, Answer, DigestRun, LibraryItem, Question


def digest_png(weeks: list[digest.WeekNumbers]) -> bytes:
    """The chart of the weeks' numbers."""
    return render_weekly_chart([WeekCounts(n.week.label.split("-")[1], n.asked, n.by_library, n.by_colleagues,
                                           n.escalated) for n in weeks])


class NotYet(Exception):
    """The message depends on one not delivered yet (a thread reply before its post)."""


def build_renderers(runtime: Runtime, links: Permalinks) -> dict[str, Renderer]:
    """The renderer of each outbox purpose."""
    settings, clock = runtime.settings, runtime.clock

    def question_post(session: Session, question_id: int, _args: dict[str, Any]) -> SlackCall | None:
        view = asking.post_view(session, question_id)
        if view is None or not view.channel:
            return None
        return SlackCall("chat.postMessage", {"channel": view.channel, "unfurl_links": False,
                                              **blocks.question_post(view)})

    def post_update(session: Session, question_id: int, _args: dict[str, Any]) -> SlackCall | None:
        view = asking.post_view(session, question_id)
        question = session.get(Question, question_id)
        if view is None or question is None or not question.thread_ts or not view.channel:
            return None
        return SlackCall("chat.update", {"channel": view.channel, "ts": question.thread_ts,
                                         **blocks.question_post(view)})

    def answer_notice(session: Session, question_id: int, args: dict[str, Any]) -> SlackCall | None:
        question = session.get(Question, question_id)
        answer = session.get(Answer, int(args["answer_id"]))
        if question is None or answer is None or not question.help_channel or not question.thread_ts:
            return None
        thread = links.message(question.help_channel, answer.message_ts, question.thread_ts)
        payload = blocks.answer_notice(question.id, question.text, answer.id, answer.user_id,
                                       question.help_channel, thread)
        return SlackCall("chat.postMessage", {"channel": question.asker_id, **payload})

    def thread_ping(session: Session, question_id: int, args: dict[str, Any]) -> SlackCall | None:
        question = session.get(Question, question_id)
        if question is None or not question.help_channel:
            return None
        if not question.thread_ts:
            raise NotYet(f"question {question_id} is not posted yet")
        return SlackCall("chat.postMessage", {"channel": question.help_channel, "thread_ts": question.thread_ts,
                                              **blocks.thread_ping(args["reason"], args["users"])})

    def reflect_invite(session: Session, question_id: int, args: dict[str, Any]) -> SlackCall | None:
        question = session.get(Question, question_id)
        if question is None:
            return None
        return SlackCall("chat.postMessage", {"channel": args["user"],
                                              **blocks.reflect_invite(question.id, question.text, args["role"])})

    def andon_card(session: Session, card_id: int, _args: dict[str, Any]) -> SlackCall | None:
        view = andon.card_view(session, settings, card_id)
        if view is None or not settings.andon_channel:
            return None
        return SlackCall("chat.postMessage", {"channel": settings.andon_channel, "unfurl_links": False,
                                              **andon_blocks.card(view, clock.now(), links.message)})

    def posted_card(session: Session, card_id: int) -> andon.CardView | None:
        """The card's view, once its post exists (NotYet before: updates wait for the post)."""
        view = andon.card_view(session, settings, card_id)
        if view is not None and view.card.channel and not view.card.message_ts:
            raise NotYet(f"andon card {card_id} is not posted yet")
        return view if view is not None and view.card.channel else None

    def andon_update(session: Session, card_id: int, _args: dict[str, Any]) -> SlackCall | None:
        view = posted_card(session, card_id)
        return None if view is None else SlackCall("chat.update", {
            "channel": view.card.channel, "ts": view.card.message_ts,
            **andon_blocks.card(view, clock.now(), links.message)})

    def andon_thread(session: Session, card_id: int, args: dict[str, Any]) -> SlackCall | None:
        view = posted_card(session, card_id)
        return None if view is None else SlackCall("chat.postMessage", {
            "channel": view.card.channel, "thread_ts": view.card.message_ts,
            **andon_blocks.thread_note(view, args["kind"])})

    def andon_assigned(session: Session, card_id: int, args: dict[str, Any]) -> SlackCall | None:
        view = andon.card_view(session, settings, card_id)
        return None if view is None else SlackCall("chat.postMessage",
                                                   {"channel": args["user"], **andon_blocks.assigned(view)})

    def andon_resolved(session: Session, card_id: int, args: dict[str, Any]) -> SlackCall | None:
        card = session.get(AndonCard, card_id)
        item = session.get(LibraryItem, card.resolved_item_id) if card and card.resolved_item_id else None
        if card is None or item is None:
            return None
        return SlackCall("chat.postMessage", {"channel": args["user"], **andon_blocks.resolved_notice(
            card.label, item.title, item.url, item.body)})

    def digest_message(session: Session, run_id: int, args: dict[str, Any]) -> SlackCall | None:
        run = session.get(DigestRun, run_id)
        if run is None:
            return None
        channel = args.get("user") or settings.digest_channel
        week = digest.parse_week(run.week, settings.timezone)
        built = digest.build_digest(session, week, settings.timezone, for_managers="user" in args)
        return SlackCall("chat.postMessage", {"channel": channel, "unfurl_links": False,
                                              **digest_blocks.digest(built, links.message, clock.now())})

    def digest_chart(session: Session, run_id: int, _args: dict[str, Any]) -> SlackCall | None:
        run = session.get(DigestRun, run_id)
        if run is None or not settings.digest_channel:
            return None
        weeks = digest.history(session, digest.parse_week(run.week, settings.timezone), settings.timezone)
        return SlackCall(UPLOAD, {"channel": settings.digest_channel, "content": digest_png(weeks),
                                  "filename": f"learnbot-{run.week}.png", "title": f"Learnbot: 8 weeks to {run.week}",
                                  "initial_comment": "Questions asked, answered by the library, answered by "
                                                     "colleagues and escalated, week by week."})

    def expert_note(session: Session, run_id: int, args: dict[str, Any]) -> SlackCall | None:
        run = session.get(DigestRun, run_id)
        if run is None:
            return None
        week = digest.parse_week(run.week, settings.timezone)
        return SlackCall("chat.postMessage", {"channel": args["user"], **digest_blocks.expert_note(
            run.week, digest.expert_week(session, args["user"], week))})

    return {
        digest.DIGEST_CHANNEL: digest_message,
        digest.DIGEST_MANAGER: digest_message,
        digest.DIGEST_CHART: digest_chart,
        digest.EXPERT_NOTE: expert_note,
        andon.ANDON_CARD: andon_card,
        andon.ANDON_UPDATE: andon_update,
        andon.ANDON_THREAD: andon_thread,
        andon.ANDON_ASSIGNED: andon_assigned,
        andon.ANDON_RESOLVED: andon_resolved,
        asking.QUESTION_POST: question_post,
        asking.POST_UPDATE: post_update,
        answers.ANSWER_NOTICE: answer_notice,
        answers.THREAD_PING: thread_ping,
        answers.REFLECT_INVITE: reflect_invite,
    }


ON_SENT: dict[str, OnSent] = {asking.QUESTION_POST: asking.record_post, andon.ANDON_CARD: andon.record_post}

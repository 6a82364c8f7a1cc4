"""Every id a Block Kit builder emits reaches a registered listener, and no stored id ever changes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.andon import CardQuestion, CardView, Resolution
from bot.asking import AskOutcome, Offer, PostView
from bot.home import HomeView
from bot.learning_needs import Course
from bot.sharing import RequestView, TeamItem, Usage
from bot.local.payloads import block_action, message_shortcut, signed_headers, slash_command, view_submission
from handlers import andon_blocks, home_blocks, ids, question_blocks, register_all
from handlers.andon_questions import questions_modal
from handlers.learning_needs_blocks import course_owned, plan_modal
from handlers.library import save_modal
from handlers.reflection import reflection_modal
from handlers.sharing_blocks import approver_dm, decline_modal, drafted_dm, publish_modal, share_modal, team_content
from store.models import AndonCard
from tests.unit.test_manifest import manifest

NOW = datetime(2026, 5, 4, 9, tzinfo=timezone.utc)
SECRET = "test-signing-secret"

STORED = {  # in messages already posted in real workspaces
    "ITEM_ANSWERED": "item_answered", "ASK_COLLEAGUE": "ask_colleague", "PULL_CORD": "pull_cord",
    "ACCEPT_ANSWER": "accept_answer", "STILL_STUCK": "still_stuck", "OPEN_REFLECTION": "open_reflection",
    "CLAIM_QUESTION": "claim_question", "DECLINE_QUESTION": "decline_question", "ANDON_ACK": "andon_ack",
    "ANDON_ASSIGN": "andon_assign", "ANDON_SNOOZE_DAY": "andon_snooze_1d", "ANDON_SNOOZE_WEEK": "andon_snooze_1w", "ANDON_RESOLVE": "andon_resolve",
    "ANDON_BLOCK": "andon", "HOME_ADD_TOPICS": "home_add_topics", "HOME_REMOVE_TOPIC": "home_remove_topic",
    "REFLECTION": "reflection", "SAVE_TO_LIBRARY": "save_to_library", "LEARN": "/learn", "INPUT": "value",
    "ANDON_PLAN_COURSE": "andon_plan_course", "ANDON_QUESTIONS": "andon_questions", "COURSE_SHIPPED": "course_shipped",
    "PUBLISH": "publish", "SHARE_REQUEST": "share_request", "SHARE_APPROVE": "share_approve",
    "SHARE_DECLINE": "share_decline", "SHARE_SEND": "share_send", "SHARE_NOT_NOW": "share_not_now",
}


def built() -> list[dict[str, Any]]:
    """One of every message and modal the bot builds with buttons or a callback."""
    outcome = AskOutcome(7, "How do I reset the VPN?", False, routed_to="C0HELP", experts=["U0BOB"])
    offers = [Offer(1, "VPN", "https://x.example/vpn", "Use the portal.", 90.0, shareable=True)]
    card = AndonCard(id=3, label="vpn", status="open", created_at=NOW)
    view = CardView(card, [CardQuestion("vpn?", "U0ALICE", "C0HELP", "1.2", False, NOW)] * 60, 1, ("U0MANAGER",))
    course = Course(3, "vpn?", "VPN basics", "U0BOB", NOW.date(), "U0MANAGER")
    home = HomeView("U0ALICE", [], [], [("vpn", "declared")], [], may_publish=True,
                    team_items=[TeamItem(1, "VPN", None, "Line A", Usage(2, 1), None)])
    pending = RequestView(4, "pending", 1, "VPN", None, "", "Line A", "Operations", "U0SAM", False, {}, Usage(0, 0),
                          NOW, None, None)
    drafted = RequestView(4, "drafted", 1, "VPN", None, "", "Line A", "Operations", "U0SAM", True,
                          {"other_teams": ["Line B"]}, Usage(0, 0), None, None, None)
    return [
        question_blocks.offered(outcome, offers), question_blocks.routed(outcome, offers),
        question_blocks.question_post(PostView(7, "vpn?", "U0ALICE", "C0HELP", [], "routed", None)),
        question_blocks.answer_notice(7, "vpn?", 5, "U0BOB", "C0HELP", None),
        question_blocks.reflect_invite(7, "vpn?", "asker"), reflection_modal(7),
        andon_blocks.card(view, NOW, lambda *_: None), andon_blocks.resolve_modal(3, "vpn"),
        questions_modal(view, 0, NOW), plan_modal(3, "vpn", None), course_owned(course),
        andon_blocks.assigned(view), andon_blocks.resolved_notice(Resolution(3, 7, "vpn?", 1, "VPN", None, ""), None),
        home_blocks.home(home, NOW, lambda *_: None), home_blocks.add_topics_modal(), save_modal("t", "b", "{}"),
        publish_modal([(1, "Line A")], (1, "Line A")), publish_modal([], None, searched=True),
        share_modal(1, "VPN", "Line A", [("Operations", "2")]),
        approver_dm(pending), drafted_dm(drafted), decline_modal(4, "VPN", "Operations"),
        {"blocks": team_content(home.team_items, True)},
    ]


def emitted(node: Any) -> Iterator[tuple[str, str]]:
    """(kind, id) of every action and modal in a payload; inputs' INPUT action ids are read, not listened to."""
    if isinstance(node, dict):
        if "callback_id" in node:
            yield "view", node["callback_id"]
        if "action_id" in node and node["action_id"] != ids.INPUT:
            yield "action", node["action_id"]
        for value in node.values():
            yield from emitted(value)
    elif isinstance(node, list):
        for value in node:
            yield from emitted(value)


def request(kind: str, id_: str) -> str:
    if kind == "action":
        return block_action("U0ALICE", id_, "1", block_id=f"{ids.ANDON_BLOCK}:1")
    if kind == "view":
        return view_submission("U0ALICE", id_, {})
    if kind == "shortcut":
        return message_shortcut("U0ALICE", id_, channel_id="C0GENERAL", message={"ts": "1.2", "text": "x"})
    return slash_command("U0ALICE", "help", command=id_)


@pytest.fixture(scope="module")
def app() -> App:
    app = App(client=WebClient(token="xoxb-test"), signing_secret=SECRET, token_verification_enabled=False)
    register_all(app, deps=None)  # type: ignore[arg-type]  # matching needs no deps
    return app


def listened(app: App, kind: str, id_: str) -> bool:
    body = request(kind, id_)
    req = BoltRequest(body=body, headers=signed_headers(body, SECRET))
    return any(listener.matches(req=req, resp=BoltResponse(status=200)) for listener in app._listeners)


def test_every_id_a_builder_emits_has_a_listener(app: App) -> None:
    found = {pair for payload in built() for pair in emitted(payload)}
    assert {id_ for _, id_ in found} >= {ids.CLAIM_QUESTION, ids.ANDON_ASSIGN, ids.HOME_ADD_TOPICS, ids.REFLECTION,
                                         ids.ANDON_PLAN_COURSE, ids.ANDON_QUESTIONS, ids.COURSE_SHIPPED,
                                         ids.PUBLISH, ids.SHARE_REQUEST, ids.SHARE_APPROVE, ids.SHARE_DECLINE,
                                         ids.SHARE_SEND, ids.SHARE_NOT_NOW}
    assert [pair for pair in sorted(found) if not listened(app, *pair)] == []


def test_the_manifests_command_and_shortcut_have_listeners(app: App) -> None:
    features = manifest()["features"]
    declared = [("command", c["command"]) for c in features["slash_commands"]]
    declared += [("shortcut", s["callback_id"]) for s in features["shortcuts"]]
    assert [pair for pair in declared if not listened(app, *pair)] == []


def test_an_unknown_id_has_no_listener(app: App) -> None:
    assert not listened(app, "action", "claim_questoin")


def test_stored_ids_keep_their_values() -> None:
    assert {name: getattr(ids, name) for name in STORED} == STORED

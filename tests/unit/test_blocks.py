"""handlers/blocks.py: escaping user text, unbreakable links, Block Kit limits, and the /learn messages."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from bot.asking import AskOutcome, Offer, PostView
from handlers.blocks import BUTTON_LIMIT, SECTION_LIMIT, button, context, escape, link, message, section
from handlers.question_blocks import linked_offers, offered, question_post, routed, too_long
from tests.harness import block_buttons

VPN = Offer(11, "Resetting your VPN password", "https://intranet.example.com/vpn",
            "Open the self-service portal, choose VPN, then Reset password.", 91.0)
WIFI = Offer(12, "Office Wi-Fi", None, "", 70.0)


def texts(payload: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, text) for every text a message carries: fallback, sections, contexts, buttons."""
    yield "fallback", payload["text"]
    for block in payload.get("blocks", []):
        if block["type"] == "section":
            yield "section", block["text"]["text"]
            if "accessory" in block:
                yield "button", block["accessory"]["text"]["text"]
        elif block["type"] == "context":
            for element in block["elements"]:
                yield "context", element["text"]
        elif block["type"] == "actions":
            for element in block["elements"]:
                yield "button", element["text"]["text"]


def all_buttons(payload: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, action_id, value) of every button, in order."""
    return [(b["text"], b["action_id"], b["value"]) for b in block_buttons(payload.get("blocks", []))]


def live_controls(mrkdwn: str) -> list[str]:
    """Every `<...>` Slack would parse as a link, mention or broadcast."""
    return re.findall(r"<[^<>]*>", mrkdwn)


@pytest.mark.parametrize("text", ["<!channel> help", "hi <@U123>", "<!here|here> now", "<!everyone>",
                                  "<https://evil.example.com|click me>", "<#C0GENERAL>"])
def test_escape_neutralises_mentions_and_links(text: str) -> None:
    escaped = escape(text)

    assert live_controls(escaped) == []
    assert "<" not in escaped and ">" not in escaped


def test_escape_ampersand_first_so_entities_are_not_double_decoded() -> None:
    assert escape("R&D <b> &lt;") == "R&amp;D &lt;b&gt; &amp;lt;"


@pytest.mark.parametrize(("url", "label"), [
    ("https://example.com/a|<!channel>", "Doc"),
    ("https://example.com/a>b <!here>", "Doc"),
    ("https://example.com/doc", "Label | with pipe > and <!channel>"),
    ("https://example.com/doc", "a>b|c<@U123>"),
])
def test_link_cannot_be_broken_by_url_or_label(url: str, label: str) -> None:
    rendered = link(url, label)

    assert rendered.startswith("<") and rendered.endswith(">")
    controls = live_controls(rendered)
    assert controls == [rendered], f"{rendered!r} has extra controls"
    inner = rendered[1:-1]
    target, _, shown = inner.partition("|")
    assert "|" not in target and " " not in target
    assert target.startswith(url.split("|")[0].split(">")[0].split(" ")[0])
    assert "<" not in shown and ">" not in shown


def test_link_without_url_is_bold_escaped_label() -> None:
    assert link(None, "Q&A <!channel>") == "*Q&amp;A &lt;!channel&gt;*"


def test_section_text_is_truncated_with_an_ellipsis() -> None:
    block = section("x" * 5000)

    text = block["text"]["text"]
    assert len(text) == SECTION_LIMIT
    assert text.endswith("…")
    assert section("short")["text"]["text"] == "short"
    assert section("y" * SECTION_LIMIT)["text"]["text"] == "y" * SECTION_LIMIT
    assert len(context("z" * 4000)["elements"][0]["text"]) <= SECTION_LIMIT


def test_button_text_is_truncated_to_75_with_an_ellipsis() -> None:
    element = button("b" * 200, "act", "1:2", "primary")

    assert len(element["text"]["text"]) == BUTTON_LIMIT
    assert element["text"]["text"].endswith("…")
    assert element["text"]["type"] == "plain_text"
    assert (element["action_id"], element["value"], element["style"]) == ("act", "1:2", "primary")
    assert button("Short", "act", "v")["text"]["text"] == "Short"
    assert "style" not in button("Short", "act", "v")


def test_message_caps_fallback_and_blocks() -> None:
    payload = message("t" * 4000, [section(str(i)) for i in range(60)])

    assert len(payload["text"]) <= SECTION_LIMIT
    assert len(payload["blocks"]) == 50


def post(question_id: int, text: str, asker: str | None, experts: list[str], status: str = "routed",
         claimed_by: str | None = None) -> PostView:
    return PostView(question_id, text, asker, "C0HELP", experts, status, claimed_by)


def test_question_post_named_asker_mentions_asker_and_experts() -> None:
    payload = question_post(post(7, "How do I reset my <!channel> VPN & token?", "U0ALICE", ["U0BOB", "W0CAROL"]))

    body = "\n".join(text for _, text in texts(payload))
    assert "<@U0ALICE> asked:" in body
    assert "<@U0BOB>" in body and "<@W0CAROL>" in body
    assert "&lt;!channel&gt;" in body and "VPN &amp; token" in body
    assert "<!channel>" not in body
    assert payload["text"].startswith("A colleague asked: ")
    assert "Question #7" in body


def test_question_post_anonymous_never_names_the_asker() -> None:
    payload = question_post(post(8, "Is the payroll late?", None, []))

    body = "\n".join(text for _, text in texts(payload))
    assert "Someone asked:" in body
    assert payload["text"].startswith("Someone asked: ")
    assert "<@" not in body
    assert "Does anyone know?" in body
    assert "Is the payroll late?" in body


def test_offered_has_an_answered_button_per_item_and_ask_a_colleague() -> None:
    outcome = AskOutcome(question_id=42, text="vpn password <@U999>", confident=True, offers=[VPN, WIFI])

    payload = offered(outcome, outcome.offers)

    assert all_buttons(payload) == [
        ("This answered it", "item_answered", "42:11"),
        ("This answered it", "item_answered", "42:12"),
        ("Ask a colleague", "ask_colleague", "42:11"),
    ]
    body = "\n".join(text for _, text in texts(payload))
    assert "<https://intranet.example.com/vpn|Resetting your VPN password>" in body
    assert "*Office Wi-Fi*" in body
    assert "&lt;@U999&gt;" in body and "<@U999>" not in body
    assert "2 items" in payload["text"]


def test_routed_names_the_channel_and_offers_related_items() -> None:
    outcome = AskOutcome(question_id=5, text="who approves travel?", confident=False, offers=[VPN],
                         routed_to="C0HELP", experts=["U0BOB", "U0CAROL"])

    payload = routed(outcome, outcome.offers)

    assert all_buttons(payload) == [("I'm blocked", "pull_cord", "5"), ("This answered it", "item_answered", "5:11")]
    assert "<#C0HELP>" in payload["text"]
    assert "paged 2 experts" in payload["text"]
    assert any(kind == "context" and "might be related" in text for kind, text in texts(payload))


def test_routed_without_help_channel_says_so_and_has_no_buttons() -> None:
    payload = routed(AskOutcome(question_id=6, text="anything?", confident=False))

    assert all_buttons(payload) == []
    assert "LEARNBOT_HELP_CHANNEL" in payload["text"]
    assert len(payload["blocks"]) == 1


@pytest.mark.parametrize("question", [
    "a" * 4000,
    "&" * 4000,
    "<!channel>" * 400,
    ("line with words\n" * 250)[:4000],
    "\n" * 4000,
])
def test_a_4000_char_question_never_breaks_block_kit_limits(question: str) -> None:
    assert len(question) == 4000
    long_offer = Offer(1, "T" * 600, "https://example.com/" + "p" * 1500, "body " * 900, 80.0)
    payloads = [
        question_post(post(1, question, "U0ALICE", ["U0BOB"] * 3)),
        question_post(post(1, question, None, [])),
        offered(AskOutcome(1, question, True), [long_offer, VPN]),
        routed(AskOutcome(1, question, False, routed_to="C0HELP", experts=["U0BOB"]), [long_offer]),
        too_long(len(question)),
    ]

    for payload in payloads:
        for kind, text in texts(payload):
            limit = BUTTON_LIMIT if kind == "button" else SECTION_LIMIT
            assert len(text) <= limit, f"{kind} of {len(text)} chars"
            assert "<!channel>" not in text
        assert len(payload.get("blocks", [])) <= 50


def test_question_post_shows_who_claimed_it_and_drops_buttons_once_resolved() -> None:
    claimed = question_post(post(3, "q?", "U0ALICE", ["U0BOB"], claimed_by="U0BOB"))
    assert ":raising_hand: <@U0BOB> is on it." in "\n".join(text for _, text in texts(claimed))
    assert [label for label, _, _ in all_buttons(claimed)] == ["I'll take it", "Not my area"]
    resolved = question_post(post(3, "q?", "U0ALICE", ["U0BOB"], status="resolved"))
    assert all_buttons(resolved) == []
    assert "Answered and accepted" in "\n".join(text for _, text in texts(resolved))


def test_thread_offers_link_to_the_past_thread() -> None:
    past = Offer(9, "How do I reset the VPN?", None, "Use the portal.", 90.0, ("C0HELP", "1700000000.000001"))
    [linked] = linked_offers([past], lambda channel, ts, thread: f"https://x.slack.com/archives/{channel}/p{ts}")
    payload = offered(AskOutcome(4, "vpn reset?", True), [linked])
    body = "\n".join(text for _, text in texts(payload))
    assert "Asked before: <https://x.slack.com/archives/C0HELP/p1700000000.000001|How do I reset the VPN?>" in body
    assert ("This answered it", "item_answered", "4:") in all_buttons(payload)


def test_a_drafted_share_request_names_a_few_teams_and_counts_the_rest() -> None:
    from datetime import datetime, timezone

    from bot.sharing import RequestView, Usage
    from handlers.sharing_blocks import drafted_dm

    teams = [f"Assembly line {n} & packing" for n in range(200)]
    view = RequestView(4, "drafted", 1, "VPN", None, "", "Line A", "Operations", "U0SAM", True,
                       {"answered": 240, "other_teams": teams}, Usage(0, 0), datetime(2026, 1, 5, tzinfo=timezone.utc),
                       None, None)
    lead = drafted_dm(view)["blocks"][0]["text"]["text"]
    assert lead.endswith("from Assembly line 0 &amp; packing, Assembly line 1 &amp; packing, Assembly line 2 &amp; "
                         "packing, Assembly line 3 &amp; packing, Assembly line 4 &amp; packing, Assembly line 5 &amp; "
                         "packing, Assembly line 6 &amp; packing, Assembly line 7 &amp; packing and 192 more.")

"""The local Slack refuses what Slack refuses (docs.slack.dev: Block Kit limits, chat.postMessage,
conversations.join and conversations.info errors), so a test passing on it would pass on Slack."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.local.slack import BOT_USER_ID, MANIFEST, LocalSlack, manifest_scopes


@pytest.fixture
def local() -> Iterator[LocalSlack]:
    server = LocalSlack().start()
    yield server
    server.stop()


def client(slack: LocalSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def refused(slack: LocalSlack, method: str, **params: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        client(slack).api_call(method, json=params)
    return dict(caught.value.response.data)


def button(action_id: str, text: str = "Go", value: str = "1") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def post(slack: LocalSlack, blocks: list[dict[str, Any]], channel: str = "C0HELP") -> dict[str, Any]:
    return refused(slack, "chat.postMessage", channel=channel, text="t", blocks=blocks)


def test_a_repeated_action_id_in_one_block_is_invalid_blocks(local: LocalSlack) -> None:
    answer = post(local, [{"type": "actions", "elements": [button("snooze"), button("snooze")]}])
    assert answer["error"] == "invalid_blocks"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] duplicate action_id 'snooze' [json-pointer:/blocks/0/elements/1/action_id]"]


def test_the_same_action_id_in_two_blocks_is_fine(local: LocalSlack) -> None:
    blocks = [{"type": "actions", "elements": [button("go")]}, {"type": "actions", "elements": [button("go")]}]
    assert client(local).chat_postMessage(channel="C0HELP", text="t", blocks=blocks)["ok"]


def test_a_repeated_block_id_is_invalid_blocks(local: LocalSlack) -> None:
    assert post(local, [{**section("a"), "block_id": "b"}, {**section("b"), "block_id": "b"}])["error"] == \
        "invalid_blocks"


@pytest.mark.parametrize("blocks, pointer", [
    ([section("x")] * 51, "/blocks"),
    ([section("x" * 3001)], "/blocks/0/text/text"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "/blocks/0/text/text"),
    ([{"type": "actions", "elements": [button("a", text="x" * 76)]}], "/blocks/0/elements/0/text/text"),
    ([{"type": "actions", "elements": [button("a", value="x" * 2001)]}], "/blocks/0/elements/0/value"),
    ([{"type": "actions", "elements": [button("a" * 256)]}], "/blocks/0/elements/0/action_id"),
    ([{**section("x"), "block_id": "b" * 256}], "/blocks/0/block_id"),
    ([{"type": "actions", "elements": [button(f"a{i}") for i in range(26)]}], "/blocks/0/elements"),
    ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}], "/blocks/0/elements"),
    ([{**section("x"), "accessory": button("a", text="x" * 76)}], "/blocks/0/accessory/text/text"),
])
def test_blocks_over_the_documented_limits_are_invalid_blocks(local: LocalSlack, blocks: list[dict[str, Any]],
                                                               pointer: str) -> None:
    answer = post(local, blocks)
    assert answer["error"] == "invalid_blocks"
    assert [m for m in answer["response_metadata"]["messages"] if m.endswith(f"[json-pointer:{pointer}]")]


def test_blocks_at_the_limits_are_accepted(local: LocalSlack) -> None:
    blocks = [section("x" * 3000), {"type": "actions", "elements": [button(f"a{i}", "x" * 75, "v" * 2000)
                                                                     for i in range(25)]}] + [section("x")] * 48
    assert client(local).chat_postMessage(channel="C0HELP", text="x" * 40000, blocks=blocks)["ok"]


def test_a_message_text_over_40000_characters_is_msg_too_long(local: LocalSlack) -> None:
    assert refused(local, "chat.postMessage", channel="C0HELP", text="x" * 40001)["error"] == "msg_too_long"


def test_a_view_holds_100_blocks_and_a_short_title(local: LocalSlack) -> None:
    view = {"type": "home", "blocks": [section("x")] * 100}
    assert client(local).views_publish(user_id="U0ALICE", view=view)["ok"]
    answer = refused(local, "views.publish", user_id="U0ALICE", view={**view, "blocks": [section("x")] * 101})
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must provide no more than 100 items [json-pointer:/view/blocks]"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    assert refused(local, "views.open", trigger_id="t", view=modal)["error"] == "invalid_arguments"


def test_a_menu_holds_100_options_of_75_characters(local: LocalSlack) -> None:
    def modal(options: list[dict[str, Any]]) -> dict[str, Any]:
        menu = {"type": "static_select", "action_id": "value", "options": options}
        return {"type": "modal", "title": {"type": "plain_text", "text": "Menu"},
                "blocks": [{"type": "input", "block_id": "b", "element": menu,
                            "label": {"type": "plain_text", "text": "Pick"}}]}

    def option(text: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text}, "value": text[:10]}

    assert client(local).views_open(trigger_id="t", view=modal([option("x" * 75)] * 100))["ok"]
    assert refused(local, "views.open", trigger_id="t", view=modal([option("x")] * 101))["response_metadata"][
        "messages"] == ["[ERROR] must provide no more than 100 items [json-pointer:/view/blocks/0/element/options]"]
    assert refused(local, "views.open", trigger_id="t", view=modal([option("x" * 76)]))["response_metadata"][
        "messages"] == ["[ERROR] must be less than 76 characters "
                        "[json-pointer:/view/blocks/0/element/options/0/text/text]"]


def test_a_method_needs_its_scope() -> None:
    slack = LocalSlack(scopes=frozenset({"commands"})).start()
    try:
        answer = refused(slack, "chat.postMessage", channel="C0HELP", text="hi")
        assert (answer["error"], answer["needed"]) == ("missing_scope", "chat:write")
        assert client(slack).auth_test()["ok"]  # auth.test needs no scope
    finally:
        slack.stop()


def test_the_default_scopes_are_the_manifests() -> None:
    declared = yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"]
    assert manifest_scopes() == frozenset(declared) and LocalSlack().scopes == frozenset(declared)


def test_posting_in_a_public_channel_the_bot_is_not_in_needs_chat_write_public(local: LocalSlack) -> None:
    local.add_channel("C0OUTSIDE", "outside")
    assert client(local).chat_postMessage(channel="C0OUTSIDE", text="hi")["ok"]
    narrow = LocalSlack(scopes=frozenset({"chat:write"})).start()
    try:
        narrow.add_channel("C0OUTSIDE", "outside")
        assert refused(narrow, "chat.postMessage", channel="C0OUTSIDE", text="hi")["error"] == "not_in_channel"
        assert client(narrow).chat_postMessage(channel="C0HELP", text="hi")["ok"]  # a member
    finally:
        narrow.stop()


def test_a_private_channel_needs_membership(local: LocalSlack) -> None:
    local.add_channel("G0SECRET", "secret", private=True)
    assert refused(local, "chat.postMessage", channel="G0SECRET", text="hi")["error"] == "channel_not_found"
    local.channels["G0SECRET"].members.add(BOT_USER_ID)
    assert client(local).chat_postMessage(channel="G0SECRET", text="hi")["ok"]


def test_archived_unknown_and_direct_messages(local: LocalSlack) -> None:
    local.add_channel("C0OLD", "old", archived=True, member=True)
    assert refused(local, "chat.postMessage", channel="C0OLD", text="hi")["error"] == "is_archived"
    assert refused(local, "chat.update", channel="C0NOWHERE", ts="1.2", text="hi")["error"] == "channel_not_found"
    assert refused(local, "chat.postMessage", channel="", text="hi")["error"] == "channel_not_found"
    assert client(local).chat_postMessage(channel="U0ALICE", text="a DM")["ok"]


def test_conversations_join_and_info_answer_like_slack(local: LocalSlack) -> None:
    web = client(local)
    local.add_channel("C0NEW", "new")
    assert web.conversations_info(channel="C0NEW")["channel"]["is_member"] is False
    joined = web.conversations_join(channel="C0NEW")
    assert joined["channel"]["is_member"] is True and "warning" not in joined.data
    assert web.conversations_join(channel="C0NEW")["warning"] == "already_in_channel"
    assert web.conversations_info(channel="C0NEW")["channel"]["is_member"] is True
    local.add_channel("G0SECRET", "secret", private=True)
    assert refused(local, "conversations.join", channel="G0SECRET")["error"] == "channel_not_found"
    assert refused(local, "conversations.info", channel="G0SECRET")["error"] == "channel_not_found"
    local.add_channel("C0OLD", "old", archived=True)
    assert refused(local, "conversations.join", channel="C0OLD")["error"] == "is_archived"
    assert refused(local, "conversations.join", channel="C0NOWHERE")["error"] == "channel_not_found"


def test_joining_and_reading_channels_need_their_scopes() -> None:
    slack = LocalSlack(scopes=frozenset({"chat:write"})).start()
    try:
        assert refused(slack, "conversations.join", channel="C0HELP")["needed"] == "channels:join"
        assert refused(slack, "conversations.info", channel="C0HELP")["needed"] == "channels:read"
        slack.add_channel("G0MINE", "mine", private=True, member=True)
        assert refused(slack, "conversations.info", channel="G0MINE")["needed"] == "groups:read"
    finally:
        slack.stop()

"""`learnbot run` as a real process: signed HTTP requests in, the fake Slack hears the answers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.config import Settings
from bot.encoder_settings import stored_model
from bot.local.payloads import event_callback, signed_headers, slash_command
from bot.local.slack import LocalSlack
from tests.e2e.helpers import LEARNBOT, env_for, free_port, learnbot, wait_healthy

SECRET = "e2e-signing-secret"
SEMANTIC = stored_model(Settings()) is not None
LIBRARY = """title,url,body,tags
Resetting your VPN password,https://intranet.example.com/vpn,"Open the self-service portal, choose VPN, then Reset password.",vpn; password
Booking time off,https://intranet.example.com/time-off,"Request holidays in the HR portal under Absence.",holiday; leave
"""


@pytest.fixture
def running(tmp_path: Path, slack: LocalSlack) -> Iterator[int]:
    """A `learnbot run` process on a free port, with a library imported; yields the port."""
    (tmp_path / "library.csv").write_text(LIBRARY)
    assert learnbot(tmp_path, "import", "content", "library.csv").returncode == 0
    port = free_port()
    slack.channels["C0HELP"].members.clear()  # public, not joined yet: `learnbot run` joins it
    slack.add_channel("G0ANDON", "andon", private=True)  # private, and nobody invited the bot
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-e2e", SLACK_SIGNING_SECRET=SECRET,
                  SLACK_API_URL=slack.api_url, LEARNBOT_HELP_CHANNEL="C0HELP", LEARNBOT_ANDON_CHANNEL="G0ANDON")
    process = subprocess.Popen([*LEARNBOT, "run", "--host", "127.0.0.1", "--port", str(port)], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = wait_healthy(port, process)
        embeddings = health.pop("embeddings", None)  # with the semantic extra: how far the embedding is
        assert health == {
            "status": "ok", "database": True, "outbox": {"pending": 0, "failed": 0},
            "channels": {"help": "member",
                         "andon": "channel_not_found: check the ID, or invite @learnbot if the channel is private"}}
        if SEMANTIC:
            assert embeddings is not None and embeddings["items"] == 2
        else:
            assert embeddings is None
        assert [c.params["channel"] for c in slack.calls_to("conversations.join")] == ["C0HELP"]
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def post(port: int, body: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_leader_embeds_the_library_in_the_background(running: int) -> None:
    if not SEMANTIC:
        pytest.skip("without the semantic extra there is nothing to embed")
    deadline = time.monotonic() + 60
    while (embeddings := _health(running)["embeddings"])["embedded"] < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert embeddings == {"items": 2, "embedded": 2, "first_pass": 0, "pending": 0}


def _health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return dict(json.loads(response.read()))


def test_signed_slash_command_is_answered_with_the_matching_item(running: int, slack: LocalSlack) -> None:
    body = slash_command("U0ALICE", "how do I reset my vpn password", response_url=slack.response_url("e2e"))

    assert post(running, body, signed_headers(body, SECRET)) == 200

    [reply] = slack.wait_for("response_url")
    assert reply.params["response_type"] == "ephemeral"
    assert "<https://intranet.example.com/vpn|Resetting your VPN password>" in reply.blocks[1]["text"]["text"]


def test_unanswerable_question_is_posted_to_the_help_channel(running: int, slack: LocalSlack) -> None:
    body = slash_command("U0ALICE", "who signs off forklift licences?", response_url=slack.response_url("e2e"))
    assert post(running, body, signed_headers(body, SECRET)) == 200
    [question_post] = slack.wait_for("chat.postMessage")
    assert question_post.channel == "C0HELP" and "who signs off forklift licences?" in question_post.blocks[0]["text"]["text"]
    [reply] = slack.wait_for("response_url")
    assert "<#C0HELP>" in reply.text


def test_forged_signature_gets_401_and_nothing_is_said(running: int, slack: LocalSlack) -> None:
    body = slash_command("U0ALICE", "how do I reset my vpn password", response_url=slack.response_url("e2e"))
    assert post(running, body, signed_headers(body, "wrong-secret")) == 401
    assert slack.calls_to("response_url") == []


def test_run_without_a_bot_token_points_at_the_console(tmp_path: Path) -> None:
    result = learnbot(tmp_path, "run")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "learnbot console" in result.stderr


def wait_recorded(tmp_path: Path, thread_ts: str) -> None:
    """Until the bot has stored its post's ts (a person can only reply once the post is there)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with closing(sqlite3.connect(tmp_path / "learnbot.db")) as db:
            if db.execute("SELECT 1 FROM questions WHERE thread_ts = ?", (thread_ts,)).fetchone():
                return
        time.sleep(0.05)
    raise AssertionError(f"the bot never recorded its post {thread_ts}")


def test_thread_reply_event_over_http_notifies_the_asker_once_even_when_slack_retries(
        running: int, slack: LocalSlack, tmp_path: Path) -> None:
    posted: list[str] = []
    slack.on_call = lambda call, answer: posted.append(answer["ts"]) if call.method == "chat.postMessage" else None
    body = slash_command("U0ALICE", "who signs off forklift licences?", response_url=slack.response_url("e2e"))
    post(running, body, signed_headers(body, SECRET))
    slack.wait_for("response_url")
    question_post = slack.wait_for("chat.postMessage")[0]
    root_ts = posted[0]  # the ts LocalSlack gave the question's post
    wait_recorded(tmp_path, root_ts)
    event = event_callback({"type": "message", "channel": "C0HELP", "user": "U0BOB", "text": "Ask the site safety lead.",
                            "ts": "1800000000.000100", "thread_ts": root_ts}, event_id="Ev0E2E")
    headers = {**signed_headers(event, SECRET), "Content-Type": "application/json"}

    assert post(running, event, headers) == 200
    assert post(running, event, {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}) == 200

    [notice] = slack.wait_for("chat.postMessage", count=2)[1:]
    assert notice.channel == "U0ALICE" and "<@U0BOB> answered your question" in notice.blocks[0]["text"]["text"]
    assert question_post.channel == "C0HELP"
    with pytest.raises(AssertionError):  # and no second notice arrives
        slack.wait_for("chat.postMessage", count=3, timeout=1.0)

"""`learnbot run` over Socket Mode as a real process: envelopes in through a fake WebSocket endpoint,
acks back on the socket, answers heard by the fake Slack Web API."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qsl

import pytest

from bot.local.payloads import slash_command
from bot.local.slack import LocalSlack
from tests.e2e.helpers import LEARNBOT, env_for, free_port, learnbot
from tests.fake_socket_mode import Connection, FakeSocketMode, wait_until

BOT_TOKEN = "xoxb-e2e"
APP_TOKEN = "xapp-1-A0LEARN-1-e2e"
LIBRARY = """title,url,body,tags
Resetting your VPN password,https://intranet.example.com/vpn,"Open the self-service portal, choose VPN, then Reset password.",vpn; password
Booking time off,https://intranet.example.com/time-off,"Request holidays in the HR portal under Absence.",holiday; leave
"""
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass
class SocketBot:
    process: subprocess.Popen[str]
    server: FakeSocketMode
    connection: Connection
    slack: LocalSlack
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def slash(self, text: str, *, token: str = "sm") -> str:
        """Send `/learn TEXT` as a slash_commands envelope; returns the envelope id."""
        form = slash_command("U0ALICE", text, response_url=self.slack.response_url(token))
        payload: dict[str, Any] = dict(parse_qsl(form))  # Socket Mode carries the form fields as JSON
        return self.server.send_slash_command(payload)

    def ack(self, envelope_id: str) -> dict[str, Any]:
        try:
            return self.server.wait_for_ack(envelope_id, timeout=5)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- learnbot run output ---\n{self.log()}") from None


def _wait_connected(server: FakeSocketMode, process: subprocess.Popen[str], log_path: Path,
                    timeout: float = 15.0) -> Connection:
    """The bot's WebSocket connection, failing early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"learnbot run exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            return server.wait_connected(timeout=0.1)
        except AssertionError:
            continue
    raise AssertionError(f"learnbot run did not connect by Socket Mode within {timeout}s:\n{log_path.read_text()}")


@pytest.fixture
def socket_bot(tmp_path: Path, slack: LocalSlack) -> Iterator[SocketBot]:
    """A `learnbot run` process connected to a fake Socket Mode endpoint, with a library imported."""
    (tmp_path / "library.csv").write_text(LIBRARY)
    assert learnbot(tmp_path, "import", "content", "library.csv").returncode == 0
    server = FakeSocketMode().start()
    slack.socket_mode_url = server.url
    env = env_for(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=slack.api_url,
                  LEARNBOT_HELP_CHANNEL="C0HELP")
    for name in PROXY_VARIABLES:  # slack_sdk would tunnel the WebSocket through a proxy (and always use TLS)
        env.pop(name, None)
    log_path = tmp_path / "learnbot-run.log"
    with log_path.open("w") as log:  # a file, not a pipe: a chatty process can never block on a full pipe
        process = subprocess.Popen([*LEARNBOT, "run", "--host", "127.0.0.1", "--port", str(free_port())],
                                   cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        connection = _wait_connected(server, process, log_path)
        yield SocketBot(process, server, connection, slack, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        server.stop()


def test_connects_to_the_url_from_apps_connections_open_and_answers_pings(socket_bot: SocketBot) -> None:
    # (the app token travels in the Authorization header, which LocalSlack does not record)
    assert len(socket_bot.slack.calls_to("apps.connections.open")) == 1
    assert socket_bot.connection.handshake.path.startswith("/link/?ticket=")
    assert wait_until(lambda: socket_bot.connection.pings, timeout=5), "the client never pinged"
    assert socket_bot.server.protocol_errors == []


def test_slash_command_envelope_is_acked_and_answered_with_the_matching_item(socket_bot: SocketBot) -> None:
    envelope_id = socket_bot.slash("how do I reset my vpn password")

    ack = socket_bot.ack(envelope_id)
    assert ack["envelope_id"] == envelope_id and not ack.get("payload")  # a bare ack; the answer follows

    [reply] = socket_bot.slack.wait_for("response_url", timeout=10)
    assert reply.path == "/response/sm"
    assert reply.params["response_type"] == "ephemeral"
    assert "<https://intranet.example.com/vpn|Resetting your VPN password>" in reply.blocks[1]["text"]["text"], \
        socket_bot.log()


def test_unanswerable_question_over_socket_mode_is_posted_to_the_help_channel(socket_bot: SocketBot) -> None:
    envelope_id = socket_bot.slash("who signs off forklift licences?")
    assert socket_bot.ack(envelope_id)["envelope_id"] == envelope_id

    [reply] = socket_bot.slack.wait_for("response_url", timeout=10)
    assert "<#C0HELP>" in reply.text, socket_bot.log()
    [question_post] = socket_bot.slack.wait_for("chat.postMessage", timeout=5)  # or by the outbox job
    assert question_post.channel == "C0HELP"
    assert "who signs off forklift licences?" in question_post.blocks[0]["text"]["text"]


def test_usage_comes_back_in_the_ack_payload(socket_bot: SocketBot) -> None:
    envelope_id = socket_bot.slash("help")

    ack = socket_bot.ack(envelope_id)
    assert "/learn" in ack["payload"]["text"] and ack["payload"]["blocks"]
    assert socket_bot.slack.calls_to("response_url") == []

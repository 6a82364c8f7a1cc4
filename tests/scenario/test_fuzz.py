"""Signed but malformed Slack requests never crash the bot: no 5xx, no traceback, no ERROR logged.

Slack only sends well-formed requests, but a bug on either side, a replayed old button or a proxy
mangling bodies must cost one refused request, not a stack trace. Payloads are built from the real
shapes (bot.local.payloads) and broken at random (seeded, so a failure replays): fields missing or
of the wrong type, huge or non-UTF-8 strings, unknown ids, values like "x:y", invalid JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import make_server

import pytest
from bot.clock import ManualClock
from bot.jobs import sweep
from bot.local.payloads import (block_action, event_callback, message_shortcut, slash_command,
                                view_submission)
from bot.local.slack import LocalSlack
from bot.run.http import wsgi_app
from handlers import ids
from tests.conftest import make_settings
from tests.harness import Harness

IN_PROCESS = 10_000
OVER_HTTP = 300
USERS = ["U0ALICE", "U0BOB", "U0MANAGER"]
ACTION_IDS = [v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)] + ["nope", "", "x" * 300]
GARBAGE: list[Any] = [None, 0, -1, 10**30, 1.5, True, "", "x:y", "1:", ":1", "-1", "1:x", "99999999999999999999",
                      "1e3", " 1 ", "\u0000", "\ud800", "ñ🙂", "<!channel>", [], {}, [None], {"a": [{"b": None}]},
                      "A" * 70_000, "1:2:3", "NaN"]
RAW_BODIES = [b"\xff\xfe\xfa", b"payload=%FF%FE", b"payload={bad", b"{not json", b"payload=[1]", b"payload=null",
              b'payload="x"', b"[]", b"123", b"", b"payload=", b"=&=&", b'{"type": "event_callback", "event": 3}',
              b"command=/learn&text=%FF", "text=caf\u00e9".encode("latin-1"), b"payload=%7B%7D", b"{}",
              b'{"type": "url_verification"}', b'{"type": "url_verification", "challenge": []}']


def _pick(rng: random.Random, items: list[Any]) -> Any:
    return items[rng.randrange(len(items))]


def _mutate(rng: random.Random, node: Any, depth: int = 0) -> Any:
    """`node` with one random part deleted, replaced with garbage, or mutated further down."""
    if not isinstance(node, (dict, list)) or not node or depth > 6:
        return _pick(rng, GARBAGE)
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    key = _pick(rng, keys)
    copy = dict(node) if isinstance(node, dict) else list(node)
    choice = rng.random()
    if choice < 0.2 and isinstance(copy, dict):
        del copy[key]
    elif choice < 0.45:
        copy[key] = _pick(rng, GARBAGE)
    else:
        copy[key] = _mutate(rng, copy[key], depth + 1)
    return copy


class Fuzzer:
    """Malformed request bodies, each with its content type."""

    def __init__(self, rng: random.Random, response_url: Callable[[], str]) -> None:
        self.rng, self.response_url = rng, response_url

    def _value(self) -> str:
        return str(_pick(self.rng, ["1", "1:1", "1:", "2:1d", "1:1w", "1:1y", "x:y", "", "1:2:3", "-5", "abc",
                                    "A" * 3000, "\ud800", "99999999999999999999"]))

    def command(self) -> tuple[bytes, str]:
        form = dict(parse_qsl(slash_command(_pick(self.rng, USERS), _pick(self.rng, [
            "how do I reset the vpn", "anon why", "expert add x", "expert remove", "away tomorrow", "away 31/02",
            "away x" * 50, "digest off", "help", "A" * 5000, "", "back"]),
            response_url=self.response_url())))
        for _ in range(self.rng.randint(1, 3)):
            key = _pick(self.rng, list(form))
            if self.rng.random() < 0.4:
                form.pop(key)
            else:
                form[key] = str(_pick(self.rng, GARBAGE))
        return urlencode(form, errors="surrogatepass").encode(), "application/x-www-form-urlencoded"

    def _interactive(self, body: str) -> tuple[bytes, str]:
        payload = json.loads(dict(parse_qsl(body))["payload"])
        for _ in range(self.rng.randint(0, 3)):
            payload = _mutate(self.rng, payload)
        text = json.dumps(payload) if self.rng.random() > 0.02 else json.dumps(payload)[:-3]
        return urlencode({"payload": text}).encode(), "application/x-www-form-urlencoded"

    def action(self) -> tuple[bytes, str]:
        rng = self.rng
        return self._interactive(block_action(
            _pick(rng, USERS), _pick(rng, ACTION_IDS), self._value(), channel_id=_pick(rng, ["C0HELP", "C0ANDON"]),
            message_ts=_pick(rng, [None, "1700000000.000001", "x"]), response_url=self.response_url(),
            block_id=_pick(rng, ["b", "andon:1", "andon:x", "andon:", "andon"]),
            selected_user=_pick(rng, [None, "U0BOB", ""])))

    def submission(self) -> tuple[bytes, str]:
        rng = self.rng
        blocks = [ids.TITLE, ids.URL, ids.SUMMARY, ids.BODY, ids.TAGS, ids.TOPICS, ids.REFLECTION, ids.COMPETENCY,
                  ids.AUDIENCE, ids.TARGET, ids.NOTE, ids.REASON]
        values = {b: str(_pick(rng, ["vpn", "", "https://x.example", "ftp://x", "A" * 5000, "\ud800"]))
                  for b in blocks if rng.random() < 0.7}
        callback = _pick(rng, [ids.REFLECTION, ids.SAVE_TO_LIBRARY, ids.HOME_ADD_TOPICS, ids.ANDON_RESOLVE, ids.PUBLISH,
                               ids.SHARE_REQUEST, ids.SHARE_DECLINE, "nope"])
        metadata = _pick(rng, ["1", "x", "", "{}", '{"channel": "C0HELP", "ts": "1.2"}', '{"channel": 3}', "[]",
                               '"s"', "99999999999999999999"])
        return self._interactive(view_submission(_pick(rng, USERS), callback, values, private_metadata=metadata))

    def shortcut(self) -> tuple[bytes, str]:
        message = {"ts": "1700000000.000001", "text": _pick(self.rng, ["How to", "", "A" * 5000]),
                   "user": "U0BOB", "type": "message"}
        body = message_shortcut(_pick(self.rng, USERS), ids.SAVE_TO_LIBRARY, channel_id="C0HELP", message=message)
        return self._interactive(body)

    def event(self) -> tuple[bytes, str]:
        rng = self.rng
        event = _pick(rng, [
            {"type": "message", "channel": "C0HELP", "user": "U0BOB", "text": "try this", "ts": "1700000001.1",
             "thread_ts": "1700000000.000001"},
            {"type": "message", "subtype": "message_changed", "channel": "C0HELP",
             "message": {"ts": "1700000001.1", "text": "edited"}},
            {"type": "message", "subtype": "message_deleted", "channel": "C0HELP", "deleted_ts": "1700000001.1"},
            {"type": "reaction_added", "user": "U0ALICE", "reaction": "white_check_mark",
             "item": {"type": "message", "channel": "C0HELP", "ts": "1700000001.1"}},
            {"type": "reaction_removed", "user": "U0ALICE", "reaction": "white_check_mark", "item": {}},
            {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"},
        ])
        envelope = json.loads(event_callback(event))
        for _ in range(rng.randint(1, 3)):
            inner = isinstance(envelope, dict) and rng.random() < 0.7
            envelope = {**envelope, "event": _mutate(rng, envelope.get("event"))} if inner else _mutate(rng, envelope)
        return json.dumps(envelope).encode(), "application/json"

    def raw(self) -> tuple[bytes, str]:
        return _pick(self.rng, RAW_BODIES), _pick(self.rng, ["application/x-www-form-urlencoded", "application/json",
                                                              "text/plain", ""])

    def any(self) -> tuple[bytes, str]:
        kinds = [self.command, self.action, self.action, self.submission, self.shortcut, self.event, self.raw]
        return _pick(self.rng, kinds)()


def signed(raw: bytes, rng: random.Random) -> dict[str, str]:
    """Valid signature headers for `raw`, now and then broken the way a proxy or an attacker would."""
    timestamp = str(int(time.time()))
    digest = hmac.new(Harness.SECRET.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    signature = "v0=" + digest.hexdigest()
    roll = rng.random()
    if roll < 0.9:
        return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    return _pick(rng, [{}, {"X-Slack-Request-Timestamp": "x", "X-Slack-Signature": signature},
                       {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=zz"},
                       {"X-Slack-Request-Timestamp": "1.5", "X-Slack-Signature": "é"},
                       {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": ""}])


def environ(raw: bytes, content_type: str, headers: dict[str, str]) -> dict[str, Any]:
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "SERVER_PROTOCOL": "HTTP/1.1",
           "QUERY_STRING": "", "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(raw)),
           "wsgi.input": io.BytesIO(raw)}
    env.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    return env


@pytest.fixture
def fuzzed(sqlite_url: str, slack: LocalSlack) -> Iterator[Harness]:
    """A bot with a routed question, an answer in its thread and an andon card, so ids point somewhere."""
    bot = Harness(make_settings(sqlite_url, slack, semantic=False), slack, ManualClock())
    bot.command("U0ALICE", "how often is the torque wrench calibrated?")
    bot.runtime.clock.advance(timedelta(hours=5))
    sweep(bot.runtime, bot.outbox.deliver_due)
    yield bot
    bot.runtime.engine.dispose()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()[:300]}" for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_malformed_requests_in_process(fuzzed: Harness, caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(13)
    app = wsgi_app(fuzzed.app, fuzzed.runtime.engine)
    fuzzer = Fuzzer(rng, fuzzed.response_url)
    statuses: dict[str, int] = {}
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for n in range(IN_PROCESS):
            raw, content_type = fuzzer.any()
            got: list[str] = []
            b"".join(app(environ(raw, content_type, signed(raw, rng)), lambda status, _h, *_: got.append(status)))
            statuses[got[0][:3]] = statuses.get(got[0][:3], 0) + 1
            assert not got[0].startswith("5"), f"request {n}: {got[0]} for {raw[:300]!r}"
            assert errors(caplog) == [], f"request {n}: {raw[:300]!r}"
    assert time.monotonic() - started < 60
    assert statuses.get("200", 0) > IN_PROCESS // 3  # most were read and answered, not bounced at the door


def test_malformed_requests_over_http(fuzzed: Harness, caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(31)
    server = make_server("127.0.0.1", 0, wsgi_app(fuzzed.app, fuzzed.runtime.engine))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    fuzzer = Fuzzer(rng, fuzzed.response_url)
    try:
        with caplog.at_level(logging.WARNING):
            for n in range(OVER_HTTP):
                raw, content_type = fuzzer.raw() if n % 3 == 0 else fuzzer.any()
                headers = {"Content-Type": content_type, **signed(raw, rng)}
                request = urllib.request.Request(url, data=raw, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                assert status < 500, f"request {n}: {status} for {raw[:300]!r}"
            assert errors(caplog) == []
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("action_id, value", [(ids.ANDON_ACK, "x:y"), (ids.PULL_CORD, ""), (ids.CLAIM_QUESTION, "1:x"),
                                              (ids.OPEN_REFLECTION, "99999999999999999999")])
def test_a_garbled_button_value_is_out_of_date(bot: Harness, action_id: str, value: str) -> None:
    bot.click("U0MANAGER", {"action_id": action_id, "value": value}, channel="C0ANDON")
    assert bot.last_reply().text == "That button is out of date."


def test_a_malformed_press_is_answered_out_of_date_and_changes_nothing(bot: Harness) -> None:
    body = json.loads(dict(parse_qsl(block_action("U0ALICE", ids.PULL_CORD, "1", response_url=bot.response_url())))
                      ["payload"])
    body["user"] = "U0ALICE"  # a string where Slack sends an object
    assert bot.dispatch(urlencode({"payload": json.dumps(body)})).status == 200
    assert bot.last_reply().text == "That button is out of date."

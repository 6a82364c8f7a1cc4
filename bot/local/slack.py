"""A stand-in for Slack's Web API on loopback HTTP: the console's Slack, and the tests' fake.

It answers the Web API methods the bot uses the way Slack does, keeps the messages it was sent
(channels, threads, ephemerals, response_url replies) and records every call with its parameters.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlparse

BOT_USER_ID = "UBOTLEARN"


@dataclass
class Call:
    """One request the bot made: the Web API method (or `response_url`) and its parameters."""

    method: str
    params: dict[str, Any]
    path: str = ""

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """A message's blocks, or those of the view it publishes or opens."""
        return list(self.params.get("blocks") or (self.params.get("view") or {}).get("blocks") or [])

    @property
    def channel(self) -> str | None:
        return self.params.get("channel")


@dataclass
class Upload:
    """A file the bot uploaded (files_upload_v2): its bytes, and where it was shared."""

    filename: str
    content: bytes = b""
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None


@dataclass
class Fault:
    """A failure to return for the next calls of a method."""

    error: str
    status: int = 200
    retry_after: int | None = None
    times: int = 1


@dataclass
class LocalSlack:
    """The server; `start()` it, point the bot's SLACK_API_URL at `api_url`, read `calls`."""

    users: dict[str, str] = field(default_factory=dict)  # user id -> display name
    socket_mode_url: str | None = None  # what apps.connections.open hands out
    on_call: Callable[[Call, dict[str, Any]], None] | None = None  # sees each call and its answer
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)  # by file id

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._ts_lock = threading.Lock()
        self._last_ts = 0  # microseconds since the epoch of the last `ts` handed out
        self._faults: dict[str, list[Fault]] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "LocalSlack":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, token: str = "r") -> str:
        """A response_url to put in a slash command or click payload; replies land in `calls`."""
        return f"{self.base_url}/response/{token}"

    # -- test helpers ------------------------------------------------------------------------
    def fail_next(self, method: str, error: str, status: int = 200, retry_after: int | None = None,
                  times: int = 1) -> None:
        """Make the next `times` calls of `method` fail as Slack would."""
        with self._lock:
            self._faults.setdefault(method, []).append(Fault(error, status, retry_after, times))

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0,
                 where: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        """Block until `count` matching calls were made; return them (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method and where(c)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {count} {method} call(s), saw {len(found)}; all calls: {seen}")
                self._lock.wait(remaining)

    def next_ts(self) -> str:
        """A fresh message timestamp, as Slack's `ts` ("seconds.micro"): the current time, always increasing,
        so a second run on the same database never hands out a `ts` the first one stored."""
        with self._ts_lock:
            self._last_ts = max(self._last_ts + 1, time.time_ns() // 1000)
            return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    # -- the API -----------------------------------------------------------------------------
    def handle(self, method: str, params: dict[str, Any], path: str = "") -> tuple[int, dict[str, Any], dict[str, str]]:
        """Record a call and answer it: (status, body, extra headers)."""
        call = Call(method, params, path)
        with self._lock:
            self.calls.append(call)
            fault = self._take_fault(method)
            self._lock.notify_all()
        if fault:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return fault.status, {"ok": False, "error": fault.error}, headers
        answer = self._answer(method, params)
        if self.on_call:
            self.on_call(call, answer)
        return 200, answer, {}

    def receive_upload(self, file_id: str, content: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The bytes of a file, POSTed to the upload_url that files.getUploadURLExternal gave."""
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is not None:
                upload.content = content
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(content)}, f"/upload/{file_id}"))
            self._lock.notify_all()
        return (200, {"ok": True}, {}) if upload else (404, {"ok": False, "error": "file_not_found"}, {})

    def _take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "user": "learnbot", "team_id": "T0LOCAL",
                    "bot_id": "B0LEARN", "url": "https://local.slack/"}
        if method == "chat.postMessage":
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            ts = self.next_ts()
            return {"ok": True, "channel": channel, "ts": ts,
                    "message": {"text": p.get("text", ""), "user": BOT_USER_ID, "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": p.get("ts"), "text": p.get("text", "")}
        if method == "chat.getPermalink":
            ts = str(p.get("message_ts", "")).replace(".", "")
            return {"ok": True, "channel": channel, "permalink": f"https://local.slack/archives/{channel}/p{ts}"}
        if method == "conversations.open":
            users = str(p.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}
        if method == "users.info":
            user = str(p.get("user", ""))
            name = self.users.get(user, user.lower())
            return {"ok": True, "user": {"id": user, "name": name, "real_name": name,
                                         "profile": {"display_name": name, "real_name": name}}}
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V" + self.next_ts().replace(".", ""), **(p.get("view") or {})}}
        if method == "files.getUploadURLExternal":
            file_id = "F" + self.next_ts().replace(".", "")
            self.uploads[file_id] = Upload(filename=str(p.get("filename", "")))
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(p.get("files") or "[]")
            for f in files:
                upload = self.uploads.get(f.get("id", ""))
                if upload is None:
                    return {"ok": False, "error": "file_not_found"}
                upload.title, upload.channel = f.get("title"), p.get("channel_id")
                upload.initial_comment = p.get("initial_comment")
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            if not self.socket_mode_url:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_mode_url}
        if method in ("reactions.add", "chat.delete", "response_url"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


def _handler_for(slack: LocalSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlparse(self.path).path
            if path.startswith("/upload/"):
                self._reply(*slack.receive_upload(path[len("/upload/"):], body))
                return
            raw = body.decode("utf-8")
            params = _decode_body(raw, self.headers.get("Content-Type", ""))
            params.update(dict(parse_qsl(urlparse(self.path).query)))
            if path.startswith("/response/"):
                status, answer, headers = slack.handle("response_url", params, path)
            elif path.startswith("/api/"):
                status, answer, headers = slack.handle(path[len("/api/"):], params)
            else:
                status, answer, headers = 404, {"ok": False, "error": "not_found"}, {}
            self._reply(status, answer, headers)

        def _reply(self, status: int, answer: dict[str, Any], headers: dict[str, str]) -> None:
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _decode_body(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return dict(json.loads(raw))
    params: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
    for key in ("blocks", "attachments", "view"):
        if isinstance(params.get(key), str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                pass
    return params

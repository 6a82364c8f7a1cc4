"""A stand-in for Slack's Web API on loopback HTTP: the console's Slack, and the tests' fake.

It answers the Web API methods the bot uses the way Slack does, keeps the messages it was sent
(channels, threads, ephemerals, response_url replies) and records every call with its parameters.
It refuses what Slack refuses: Block Kit over Slack's documented limits or with a repeated id
(`invalid_blocks`, with `response_metadata.messages`), a method the token has no scope for
(`missing_scope`; the scopes are the manifest's unless given), and a post in a channel that is
unknown, archived, or one the bot is not in (`not_in_channel`, unless it is public and the bot has
`chat:write.public`; a private channel the bot is not in does not exist for it).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlparse

BOT_USER_ID = "UBOTLEARN"
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

# The scope each method needs (docs.slack.dev/reference/methods/<method>); conversations.info's
# depends on the channel's kind and is decided in `_needed_scope`.
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None, "chat.getPermalink": None, "apps.connections.open": None,
    "conversations.info": "channels:read",
    "chat.postMessage": "chat:write", "chat.postEphemeral": "chat:write", "chat.update": "chat:write",
    "chat.delete": "chat:write", "conversations.join": "channels:join", "conversations.open": "im:write",
    "users.info": "users:read", "reactions.add": "reactions:write",
    "files.getUploadURLExternal": "files:write", "files.completeUploadExternal": "files:write",
    "views.publish": None, "views.open": None, "views.update": None, "views.push": None,
    "usergroups.users.list": "usergroups:read",
}
POSTING = {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete"}
VIEWS = {"views.publish", "views.open", "views.update", "views.push"}
MAX_TEXT = 40000  # a message's `text`; Slack answers msg_too_long beyond it
MAX_BLOCKS = {"message": 50, "view": 100}
# (block or element type, field path) -> most characters (docs.slack.dev/reference/block-kit)
MAX_CHARS: dict[tuple[str, str], int] = {
    ("section", "text.text"): 3000, ("header", "text.text"): 150, ("button", "text.text"): 75,
    ("button", "value"): 2000, ("button", "url"): 3000, ("input", "label.text"): 2000,
    ("context", "text"): 3000, ("*", "action_id"): 255, ("*", "block_id"): 255,
}
MAX_ELEMENTS = {"actions": 25, "context": 10}
MAX_OPTIONS = 100  # a static_select's options (docs.slack.dev/reference/block-kit/block-elements/select-menu-element)
MAX_OPTION_TEXT = 75
MAX_FIELDS = 10  # a section's fields, each up to 2,000 characters
MAX_VIEW_CHARS = {"title.text": 24, "submit.text": 24, "close.text": 24, "private_metadata": 3000,
                  "callback_id": 255}


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str] | None:
    """The bot scopes `manifest.yml` declares (None when there is no manifest: every scope granted)."""
    if not path.is_file():
        return None
    scopes: set[str] = set()
    section: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        depth = (len(stripped) - len(stripped.lstrip())) // 2
        if stripped.strip().startswith("- "):
            if section[:3] == ["oauth_config", "scopes", "bot"] and len(section) == 3:
                scopes.add(stripped.strip()[2:].strip())
            continue
        section = section[:depth] + [stripped.strip().rstrip(":")]
    return frozenset(scopes)


def _too_long(obj: dict[str, Any], kind: str, at: str) -> list[str]:
    problems = []
    for (owner, path), limit in MAX_CHARS.items():
        if owner not in (kind, "*"):
            continue
        value: Any = obj
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and len(value) > limit:
            problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{at}/{path.replace('.', '/')}]")
    return problems


def _elements(block: dict[str, Any], kind: str, at: str) -> list[str]:
    """An actions or context block's elements: how many, their lengths, no action_id twice."""
    elements = block.get("elements")
    if not isinstance(elements, list):
        return [f"[ERROR] must be an array [json-pointer:{at}/elements]"]
    problems = []
    if len(elements) > MAX_ELEMENTS[kind]:
        problems.append(f"[ERROR] must provide no more than {MAX_ELEMENTS[kind]} items [json-pointer:{at}/elements]")
    seen: set[str] = set()
    for j, element in enumerate(elements):
        if not isinstance(element, dict):
            problems.append(f"[ERROR] must be an object [json-pointer:{at}/elements/{j}]")
            continue
        element_kind = "context" if kind == "context" else str(element.get("type"))
        problems += _too_long(element, element_kind, f"{at}/elements/{j}")
        action_id = element.get("action_id")
        if action_id is not None and action_id in seen:
            problems.append(f"[ERROR] duplicate action_id {action_id!r} [json-pointer:{at}/elements/{j}/action_id]")
        seen.add(action_id)
    return problems


def _option_problems(element: dict[str, Any], at: str) -> list[str]:
    """A menu's options: at most MAX_OPTIONS, each text at most MAX_OPTION_TEXT characters."""
    options = element.get("options")
    if not isinstance(options, list):
        return []
    problems = [f"[ERROR] must provide no more than {MAX_OPTIONS} items [json-pointer:{at}/options]"] \
        if len(options) > MAX_OPTIONS else []
    return problems + [f"[ERROR] must be less than {MAX_OPTION_TEXT + 1} characters "
                       f"[json-pointer:{at}/options/{j}/text/text]"
                       for j, o in enumerate(options)
                       if isinstance(o, dict) and len(str((o.get("text") or {}).get("text", ""))) > MAX_OPTION_TEXT]


def block_problems(blocks: Any, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """What Slack says of `blocks` (JSON text or a list) when it refuses them; [] when they are fine."""
    if blocks in (None, ""):
        return []
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return [f"[ERROR] invalid JSON [json-pointer:{pointer}]"]
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems = [f"[ERROR] must provide no more than {max_blocks} items [json-pointer:{pointer}]"] \
        if len(blocks) > max_blocks else []
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict):
            problems.append(f"[ERROR] must be an object [json-pointer:{at}]")
            continue
        kind, block_id = str(block.get("type")), block.get("block_id")
        if block_id is not None and block_id in block_ids:
            problems.append(f"[ERROR] duplicate block_id {block_id!r} [json-pointer:{at}/block_id]")
        block_ids.add(block_id)
        problems += _too_long(block, kind, at)
        if kind in MAX_ELEMENTS:
            problems += _elements(block, kind, at)
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                problems += _too_long(block[key], str(block[key].get("type")), f"{at}/{key}")
                problems += _option_problems(block[key], f"{at}/{key}")
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            problems.append(f"[ERROR] must provide no more than {MAX_FIELDS} items [json-pointer:{at}/fields]")
        problems += [f"[ERROR] must be less than 2001 characters [json-pointer:{at}/fields/{j}/text]"
                     for j, f in enumerate(fields) if isinstance(f, dict) and len(str(f.get("text", ""))) > 2000]
    return problems


def view_problems(view: Any) -> list[str]:
    """What Slack says of a view (a modal or the Home tab) when it refuses it; [] when it is fine."""
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return ["[ERROR] invalid JSON [json-pointer:/view]"]
    if not isinstance(view, dict):
        return ["[ERROR] must be an object [json-pointer:/view]"]
    problems = []
    for path, limit in MAX_VIEW_CHARS.items():
        value: Any = view
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and len(value) > limit:
            problems.append(f"[ERROR] must be less than {limit + 1} characters "
                            f"[json-pointer:/view/{path.replace('.', '/')}]")
    return problems + block_problems(view.get("blocks"), MAX_BLOCKS["view"], "/view/blocks")


@dataclass
class Channel:
    """A conversation in the local workspace."""

    id: str
    name: str
    private: bool = False
    archived: bool = False
    members: set[str] = field(default_factory=set)

    def info(self) -> dict[str, Any]:
        """The conversation object Slack returns for it, as the bot sees it."""
        return {"id": self.id, "name": self.name, "is_channel": not self.private, "is_group": self.private,
                "is_im": False, "is_private": self.private, "is_archived": self.archived,
                "is_member": BOT_USER_ID in self.members, "num_members": len(self.members)}


def default_channels() -> dict[str, Channel]:
    """The tests' and the console's workspace: public channels, the bot in help, andon and digest."""
    return {"C0GENERAL": Channel("C0GENERAL", "general"),
            **{cid: Channel(cid, name, members={BOT_USER_ID}) for cid, name in
               (("C0HELP", "help"), ("C0ANDON", "andon"), ("C0DIGEST", "digest"))}}


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
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # user-group id -> its members' user ids
    socket_mode_url: str | None = None  # what apps.connections.open hands out
    on_call: Callable[[Call, dict[str, Any]], None] | None = None  # sees each call and its answer
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)  # by file id
    channels: dict[str, Channel] = field(default_factory=default_channels)
    scopes: frozenset[str] | None = field(default_factory=manifest_scopes)  # the bot token's; None: all

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

    def add_channel(self, channel_id: str, name: str = "", *, private: bool = False, archived: bool = False,
                    member: bool = False) -> Channel:
        """A channel in the workspace, with the bot in it if `member`."""
        channel = Channel(channel_id, name or channel_id.lower(), private, archived,
                          {BOT_USER_ID} if member else set())
        with self._lock:
            self.channels[channel_id] = channel
        return channel

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
        answer = self._refusal(method, params) or self._answer(method, params)
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

    def _refusal(self, method: str, p: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's answer to a call it refuses, or None."""
        needed = self._needed_scope(method, p)
        if needed and self.scopes is not None and needed not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(sorted(self.scopes))}
        if method in POSTING or method == "response_url":
            if len(str(p.get("text") or "")) > MAX_TEXT:
                return {"ok": False, "error": "msg_too_long"}
            problems = block_problems(p.get("blocks"), MAX_BLOCKS["message"])
            if problems:
                return {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": problems}}
        if method in VIEWS:
            problems = view_problems(p.get("view"))
            if problems:
                return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        target = p.get("channel_id") if method == "files.completeUploadExternal" else p.get("channel")
        if method in POSTING or (method == "files.completeUploadExternal" and target):
            return self._cannot_post(str(target or ""))
        return None

    def _needed_scope(self, method: str, p: dict[str, Any]) -> str | None:
        if method == "conversations.info":
            channel = self.channels.get(str(p.get("channel", "")))
            return "groups:read" if channel and channel.private else "channels:read"
        return METHOD_SCOPES.get(method)

    def _cannot_post(self, channel_id: str) -> dict[str, Any] | None:
        """Why the bot cannot post in `channel_id` (a DM to a user always works), or None."""
        if channel_id[:1] in ("U", "W", "D"):
            return None
        channel = self.channels.get(channel_id)
        if channel is None or (channel.private and BOT_USER_ID not in channel.members):
            return {"ok": False, "error": "channel_not_found"}
        if channel.archived:
            return {"ok": False, "error": "is_archived"}
        if BOT_USER_ID not in channel.members and "chat:write.public" not in (self.scopes or {"chat:write.public"}):
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _conversation(self, method: str, channel_id: str) -> dict[str, Any]:
        """conversations.info and conversations.join."""
        with self._lock:
            channel = self.channels.get(channel_id)
            if channel is None or (channel.private and BOT_USER_ID not in channel.members):
                return {"ok": False, "error": "channel_not_found"}
            if method == "conversations.info":
                return {"ok": True, "channel": channel.info()}
            if channel.archived:
                return {"ok": False, "error": "is_archived"}
            if channel.private:
                return {"ok": False, "error": "method_not_supported_for_channel_type"}
            already = BOT_USER_ID in channel.members
            channel.members.add(BOT_USER_ID)
            warning = {"warning": "already_in_channel",
                       "response_metadata": {"warnings": ["already_in_channel"]}} if already else {}
            return {"ok": True, "channel": channel.info(), **warning}

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "user": "learnbot", "team_id": "T0LOCAL",
                    "bot_id": "B0LEARN", "url": "https://local.slack/"}
        if method == "chat.postMessage":
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
        if method in ("conversations.info", "conversations.join"):
            return self._conversation(method, str(p.get("channel", "")))
        if method == "conversations.open":
            users = str(p.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}
        if method == "usergroups.users.list":
            users = self.usergroups.get(str(p.get("usergroup", "")))
            return {"ok": True, "users": list(users)} if users is not None else {"ok": False, "error": "no_such_subteam"}
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

"""A stand-in for Slack's Socket Mode WebSocket endpoint on loopback, in the standard library only.

Point LocalSlack's `socket_mode_url` at `url` (what `apps.connections.open` hands out), let the bot
connect, then push envelopes and read the acks. It speaks just enough RFC 6455: the opening
handshake with Sec-WebSocket-Accept, text frames both ways (client frames are masked, server frames
are not), fragmentation, ping/pong and the close handshake.

Notes on slack_sdk's builtin client (slack_sdk/socket_mode/builtin): it picks TLS by *port*, not by
scheme (only port 443 is wrapped in TLS), so `ws://127.0.0.1:<port>/...` works; it sends the request
line as `GET {path}?{query}`, so the URL needs a path (as Slack's `wss://.../link/?ticket=...` has);
it appends no query parameters of its own; and it pings right after connecting and every
`ping_interval` seconds with a `"<session id>:<unix time>"` payload, which it expects echoed back in a
pong (without pongs it does not disconnect, it only logs).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key.strip() + GUID).encode("ascii")).digest()).decode("ascii")


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = None) -> bytes:
    """One frame; servers send unmasked frames, pass `mask` (4 bytes) to build a client frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    n = len(payload)
    if n <= 125:
        head += bytes([mask_bit | n])
    elif n <= 0xFFFF:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


class ConnectionClosed(Exception):
    pass


@dataclass
class Handshake:
    """The client's opening request."""

    path: str
    headers: dict[str, str]  # lower-cased names


@dataclass
class Connection:
    """One accepted WebSocket client."""

    sock: socket.socket
    handshake: Handshake
    server: "FakeSocketMode"
    pings: list[bytes] = field(default_factory=list)
    pongs: list[bytes] = field(default_factory=list)
    close_code: int | None = None
    closed: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._send_lock = threading.Lock()

    # -- sending -----------------------------------------------------------------------------
    def send_frame(self, opcode: int, payload: bytes = b"") -> None:
        with self._send_lock:
            if self.closed.is_set():
                raise ConnectionClosed("connection is closed")
            self.sock.sendall(encode_frame(opcode, payload))

    def send_text(self, text: str) -> None:
        self.send_frame(OP_TEXT, text.encode("utf-8"))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message))

    def ping(self, payload: bytes = b"") -> None:
        self.send_frame(OP_PING, payload)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the close handshake; the reader closes the socket when the client answers (or drops)."""
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))
        except (OSError, ConnectionClosed):
            self._drop()

    def _drop(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.server._notify()

    # -- receiving ---------------------------------------------------------------------------
    def _recv_exact(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionClosed("peer closed the connection")
            data += chunk
        return bytes(data)

    def _read_frame(self) -> tuple[bool, int, bytes]:
        b1, b2 = self._recv_exact(2)
        fin, opcode = bool(b1 & 0x80), b1 & 0x0F
        masked, length = bool(b2 & 0x80), b2 & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._recv_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._recv_exact(8))
        mask = self._recv_exact(4) if masked else b""
        payload = self._recv_exact(length)
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        else:
            self.server.protocol_errors.append("unmasked frame from client")
        return fin, opcode, payload

    def _run(self) -> None:
        fragments: list[bytes] = []
        fragment_opcode = OP_TEXT
        try:
            while True:
                fin, opcode, payload = self._read_frame()
                if opcode == OP_PING:
                    self.pings.append(payload)
                    self.send_frame(OP_PONG, payload)
                elif opcode == OP_PONG:
                    self.pongs.append(payload)
                elif opcode == OP_CLOSE:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    try:
                        self.send_frame(OP_CLOSE, payload[:2])
                    except (OSError, ConnectionClosed):
                        pass
                    break
                elif opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
                    if opcode != OP_CONTINUATION:
                        fragments, fragment_opcode = [], opcode
                    fragments.append(payload)
                    if fin:
                        data = b"".join(fragments)
                        fragments = []
                        if fragment_opcode == OP_TEXT:
                            self.server._record(self, data.decode("utf-8"))
                else:
                    self.server.protocol_errors.append(f"unknown opcode {opcode}")
        except (OSError, ConnectionClosed, ValueError):
            pass
        finally:
            self._drop()


class FakeSocketMode:
    """The server: `start()` it, hand `url` to the bot, `wait_connected()`, `send_slash_command()`,
    `wait_for_ack()`. Every text message clients send is kept in `received` (parsed JSON)."""

    def __init__(self, *, app_id: str = "A0LEARN", send_hello: bool = True) -> None:
        self.app_id = app_id
        self.send_hello = send_hello
        self.connections: list[Connection] = []
        self.received: list[dict[str, Any]] = []
        self.protocol_errors: list[str] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "FakeSocketMode":
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._listener:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
            except OSError:
                pass
            self._listener.close()
        for conn in list(self.connections):
            conn._drop()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> "FakeSocketMode":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener, "start() first"
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """Shaped like Slack's: the builtin client needs a path; it sends the query back unchanged."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket=fake-{uuid.uuid4().hex[:8]}&app_id={self.app_id}"

    # -- talking to the client ---------------------------------------------------------------
    @property
    def current(self) -> Connection:
        with self._cond:
            live = [c for c in self.connections if not c.closed.is_set()]
        if not live:
            raise ConnectionClosed("no client is connected")
        return live[-1]

    def wait_connected(self, timeout: float = 10.0, count: int = 1) -> Connection:
        """Block until `count` clients have completed the handshake; return the newest live one."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.connections) >= count, timeout):
                raise AssertionError(f"no Socket Mode client connected within {timeout}s")
        return self.current

    def send(self, message: dict[str, Any]) -> None:
        self.current.send_json(message)

    def send_envelope(self, type_: str, payload: dict[str, Any], *, envelope_id: str | None = None,
                      accepts_response_payload: bool = True, **extra: Any) -> str:
        """Push an envelope as Slack does; returns its envelope_id."""
        envelope_id = envelope_id or f"env-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        self.send({"envelope_id": envelope_id, "type": type_, "accepts_response_payload": accepts_response_payload,
                   "payload": payload, **extra})
        return envelope_id

    def send_slash_command(self, payload: dict[str, Any], **kwargs: Any) -> str:
        return self.send_envelope("slash_commands", payload, **kwargs)

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        self.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-socket-mode"}})

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's acknowledgement of an envelope (AssertionError on timeout)."""
        def find() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        with self._cond:
            if not self._cond.wait_for(lambda: find() is not None, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acked within {timeout}s; "
                                     f"received: {self.received}")
            ack = find()
        assert ack is not None
        return ack

    # -- internals ---------------------------------------------------------------------------
    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="fake-socket-mode")
        self._threads.append(thread)
        thread.start()

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _record(self, conn: Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = {"_raw": text}
        with self._cond:
            self.received.append(message if isinstance(message, dict) else {"_raw": message})
            self._cond.notify_all()

    def _accept_loop(self) -> None:
        assert self._listener
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self._spawn(self._serve, sock)

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(5)
        try:
            handshake = self._handshake(sock)
        except (OSError, ValueError, ConnectionClosed) as error:
            self.protocol_errors.append(f"handshake failed: {error}")
            sock.close()
            return
        sock.settimeout(None)
        conn = Connection(sock, handshake, self)
        with self._cond:
            self.connections.append(conn)
            self._cond.notify_all()
        if self.send_hello:
            try:
                conn.send_json({"type": "hello", "num_connections": len(self.connections),
                                "debug_info": {"host": "fake-socket-mode", "build_number": 1,
                                               "approximate_connection_time": 18060},
                                "connection_info": {"app_id": self.app_id}})
            except (OSError, ConnectionClosed):
                pass
        conn._run()

    def _handshake(self, sock: socket.socket) -> Handshake:
        raw = bytearray()
        while b"\r\n\r\n" not in raw:  # read byte by byte: nothing after the headers is consumed
            chunk = sock.recv(1)
            if not chunk:
                raise ConnectionClosed("closed during handshake")
            raw += chunk
            if len(raw) > 16384:
                raise ValueError("handshake request too large")
        request_line, *lines = raw.decode("latin-1").split("\r\n")
        method, path, _version = request_line.split(" ", 2)
        headers = {}
        for line in lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key", "")
        if (method != "GET" or headers.get("upgrade", "").lower() != "websocket"
                or "upgrade" not in headers.get("connection", "").lower() or not key
                or headers.get("sec-websocket-version") != "13"):
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            raise ValueError(f"not a WebSocket upgrade: {request_line!r} {headers}")
        sock.sendall((
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(key)}\r\n"
            "\r\n"
        ).encode("ascii"))
        return Handshake(path, headers)


def wait_until(predicate: Any, timeout: float, interval: float = 0.02) -> bool:
    """Poll `predicate` until true or `timeout`; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return bool(predicate())
        time.sleep(interval)

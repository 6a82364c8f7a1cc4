"""Serving the Bolt app over HTTP: `POST /slack/events` for Slack, `GET /healthz` for load balancers."""

from __future__ import annotations

import io
import json
import logging
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable, Mapping
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import outbox
from bot.run.verification import readable
from bot.search.embedder import embedding_status
from store.db import is_reachable, session_factory

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]


def health(engine: Engine, channels: Mapping[str, str], embedding_model: str | None = None) -> dict[str, Any]:
    """What /healthz says: the database, each channel's state at start, the outbox's pending and failed
    rows and, with semantic matching (vectors of ``embedding_model``), how many items are embedded."""
    database = is_reachable(engine)
    report: dict[str, Any] = {"status": "ok" if database else "degraded", "database": database,
                              "channels": dict(channels)}
    if database:
        try:
            with session_factory(engine, read_only=True)() as session:  # SQLite: writers need not wait
                report["outbox"] = outbox.counts(session)
                if embedding_model is not None:
                    status = embedding_status(session, embedding_model)
                    report["embeddings"] = {"items": status.items, "embedded": status.embedded,
                                            "first_pass": status.first_pass, "pending": status.pending}
        except SQLAlchemyError:
            report["status"] = "degraded"
    return report


def wsgi_app(app: App, engine: Engine, channels: Mapping[str, str] | None = None,
             embedding_model: str | None = None) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A WSGI application: Slack's endpoint plus a health check (usable under any WSGI server);
    `channels` is each channel's state as checked at start, `embedding_model` the model id of the
    stored vectors (None without semantic matching)."""
    slack = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events" and method == "POST":
            raw = _body(environ)
            if raw is None or not readable(raw, WsgiHttpRequest(environ).get_headers()):
                return _plain(start_response, "400 Bad Request", b"unreadable request\n")
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(raw), str(len(raw))
            return slack(environ, start_response)
        if path == "/healthz" and method == "GET":
            report = health(engine, channels or {}, embedding_model)
            body = json.dumps(report).encode()
            start_response("200 OK" if report["status"] == "ok" else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return _plain(start_response, "404 Not Found", b"not found\n")

    return application


def _body(environ: dict[str, Any]) -> bytes | None:
    """The request's body, or None when its Content-Length is not a number."""
    length = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not length.isdigit():
        return None
    return environ["wsgi.input"].read(int(length)) if int(length) else b""


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        log.info("%s %s", self.address_string(), format % args)


def serve(app: App, engine: Engine, host: str, port: int, on_ready: Callable[[int], None] | None = None,
          channels: Mapping[str, str] | None = None, embedding_model: str | None = None) -> None:
    """Serve until interrupted; `on_ready` gets the bound port (useful with port 0)."""
    server = make_server(host, port, wsgi_app(app, engine, channels, embedding_model), server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    if on_ready:
        on_ready(server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()

"""Durable Slack messages: written with the state change, delivered with retries, never twice.

A use case calls `enqueue(purpose, ref_id, args)` inside its transaction: plain values, no Slack.
`Outbox.deliver_due` (called right after the commit, and by a periodic job) claims due rows one at
a time with a conditional UPDATE, so two threads or processes never send the same row; it asks the
renderer registered for the purpose for the Web API call (built from the state at sending time),
makes it, and records Slack's answer through the purpose's `on_sent` hook or schedules a retry.
A message Slack refuses for good (or after MAX_ATTEMPTS) is marked failed and handed to the
purpose's `on_failed` hook, which may queue messages of its own in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from store.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(seconds=60)
RETRYABLE = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}



@dataclass(frozen=True)
class SlackCall:
    """A Web API method and its JSON arguments."""

    method: str
    params: dict[str, Any]


UPLOAD = "files.upload_v2"  # not a Web API method: slack_sdk's three-step file upload, for a rendered file

Renderer = Callable[[Session, int, dict[str, Any]], "SlackCall | None"]
OnSent = Callable[[Session, int, dict[str, Any]], None]
OnFailed = Callable[[Session, int, str, datetime], None]  # (session, ref_id, Slack's error, now)


def _dedupe_key(purpose: str, ref_id: int, key: str | None) -> str:
    return f"{purpose}:{ref_id}" + (f":{key}" if key else "")


def enqueue(session: Session, purpose: str, ref_id: int, now: datetime, *, args: dict[str, Any] | None = None,
            key: str | None = None) -> bool:
    """Queue one message; False (nothing queued) if the same `purpose:ref_id[:key]` was queued before."""
    dedupe_key = _dedupe_key(purpose, ref_id, key)
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return False
    try:
        with session.begin_nested():
            session.add(OutboxMessage(dedupe_key=dedupe_key, purpose=purpose, ref_id=ref_id, args=args or {},
                                      next_attempt_at=now, created_at=now))
    except IntegrityError:  # another transaction queued it first
        return False
    return True


def enqueue_new(session: Session, purpose: str, ref_id: int, now: datetime, people: Iterable[str]) -> int:
    """Queue one message per person about a ref just created (so none was queued before): one INSERT,
    keyed and deduped as `enqueue(..., key=person, args={"user": person})` would be; returns how many."""
    rows = [{"dedupe_key": _dedupe_key(purpose, ref_id, person), "purpose": purpose, "ref_id": ref_id,
             "args": {"user": person}, "next_attempt_at": now, "created_at": now} for person in dict.fromkeys(people)]
    if rows:
        session.execute(insert(OutboxMessage), rows)
    return len(rows)


def counts(session: Session) -> dict[str, int]:
    """How many messages wait to be sent (`pending`) and how many Slack refused for good (`failed`)."""
    pending = session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None),
                                                        OutboxMessage.failed_at.is_(None)))
    failed = session.scalar(select(func.count()).where(OutboxMessage.failed_at.is_not(None)))
    return {"pending": pending or 0, "failed": failed or 0}


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 30 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 1800))


class Outbox:
    """Delivers queued messages through `client` with the renderer and hook of each purpose."""

    def __init__(self, sessions: sessionmaker[Session], client: WebClient, clock: Clock,
                 renderers: dict[str, Renderer], on_sent: dict[str, OnSent] | None = None,
                 on_failed: dict[str, OnFailed] | None = None) -> None:
        self._sessions = sessions
        self._client = client
        self._clock = clock
        self._renderers = renderers
        self._on_sent = on_sent or {}
        self._on_failed = on_failed or {}

    def deliver_due(self, limit: int = 100) -> int:
        """Send what is due now, oldest first; returns how many were sent."""
        now = self._clock.now()
        with self._sessions() as session:
            due = session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                       OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.id).limit(limit)
            ).all()
        return sum(self._deliver_one(message_id, now) for message_id in due)

    def _claim(self, message_id: int, now: datetime) -> OutboxMessage | None:
        with self._sessions() as session:
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
                       OutboxMessage.failed_at.is_(None), OutboxMessage.next_attempt_at <= now)
                .values(next_attempt_at=now + CLAIM_LEASE, attempts=OutboxMessage.attempts + 1)
            ).rowcount
            session.commit()
            return session.get(OutboxMessage, message_id) if claimed else None

    def _deliver_one(self, message_id: int, now: datetime) -> bool:
        message = self._claim(message_id, now)
        if message is None:
            return False
        try:
            with self._sessions() as session:
                call = self._renderers[message.purpose](session, message.ref_id, message.args)
        except Exception as exc:  # a renderer that cannot render yet (or a bug): try again later
            log.warning("cannot render outbox %s (%s) yet: %s", message.id, message.purpose, exc)
            self._retry_later(message.id, f"render: {exc}", backoff(message.attempts), now, message.attempts)
            return False
        if call is None:  # nothing left to say (e.g. the question is gone)
            return self._mark_sent(message, {}, now)
        try:
            if call.method == UPLOAD:
                response = self._client.files_upload_v2(**call.params)
            else:
                response = self._client.api_call(call.method, json=call.params)
            data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            self._record_failure(message, exc, now)
            return False
        except OSError as exc:  # network trouble: always worth another try
            self._retry_later(message.id, f"network: {exc}", backoff(message.attempts), now, message.attempts)
            return False
        return self._mark_sent(message, data, now)

    def _mark_sent(self, message: OutboxMessage, data: dict[str, Any], now: datetime) -> bool:
        with self._sessions() as session:
            row = session.get_one(OutboxMessage, message.id)
            row.sent_at = now
            row.last_error = None
            row.result_channel = data.get("channel") if isinstance(data.get("channel"), str) else None
            row.result_ts = data.get("ts")
            hook = self._on_sent.get(message.purpose)
            if hook and data:
                hook(session, message.ref_id, data)
            session.commit()
        return True

    def _record_failure(self, message: OutboxMessage, exc: SlackApiError, now: datetime) -> None:
        error = str(exc.response.get("error", "unknown"))
        status = exc.response.status_code
        if error in RETRYABLE or status == 429 or status >= 500:
            retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            delay = timedelta(seconds=int(retry_after)) if retry_after else backoff(message.attempts)
            self._retry_later(message.id, error, delay, now, message.attempts)
            return
        log.error("Slack refused %s (outbox %s): %s", message.purpose, message.id, error)
        with self._sessions() as session:
            self._fail(session, session.get_one(OutboxMessage, message.id), error, now)
            session.commit()

    def _retry_later(self, message_id: int, error: str, delay: timedelta, now: datetime, attempts: int) -> None:
        with self._sessions() as session:
            row = session.get_one(OutboxMessage, message_id)
            if attempts >= MAX_ATTEMPTS:
                log.error("giving up on outbox %s after %s attempts: %s", message_id, attempts, error)
                self._fail(session, row, error, now)
            else:
                row.last_error = error[:500]
                row.next_attempt_at = now + delay
            session.commit()

    def _fail(self, session: Session, row: OutboxMessage, error: str, now: datetime) -> None:
        """Mark `row` failed for good and run its purpose's `on_failed` hook in the same transaction."""
        row.failed_at, row.last_error = now, error[:500]
        hook = self._on_failed.get(row.purpose)
        if hook:
            hook(session, row.ref_id, error, now)

"""Permalinks to Slack messages, built from the workspace URL (one auth.test per process)."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class Permalinks:
    """`message(channel, ts, thread_ts)` -> the message's permalink, or None if Slack can't be asked."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._base: str | None = None
        self._lock = threading.Lock()

    def _workspace_url(self) -> str | None:
        with self._lock:
            if self._base is None:
                try:
                    self._base = str(self._client.auth_test()["url"])
                except (SlackApiError, OSError, KeyError) as exc:
                    log.warning("cannot read the workspace URL yet: %s", exc)
            return self._base

    def message(self, channel: str, ts: str, thread_ts: str | None = None) -> str | None:
        base = self._workspace_url()
        if not base:
            return None
        link = f"{base.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel}"
        return link

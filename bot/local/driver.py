"""Drives a Bolt app as Slack would: signed requests dispatched into it, replies to the local Slack.

The console and the tests send everything through one `Driver`; each request gets a fresh
response_url on the `LocalSlack`, where the bot's replies to it are recorded.
"""

from __future__ import annotations

import itertools
import json
from concurrent.futures import Executor, Future
from typing import Any, Callable, ClassVar, Mapping

from slack_bolt import App, BoltRequest, BoltResponse

from bot.local.payloads import (block_action, block_suggestion, event_callback, message_shortcut, signed_headers,
                                slash_command, view_submission)
from bot.local.slack import LocalSlack

GENERAL = "C0GENERAL"


class ImmediateExecutor(Executor):
    """Runs listeners inline, so every reply is made before `dispatch` returns."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future, as a pool would
            future.set_exception(exc)
        return future


class Driver:
    """Signs requests with `SECRET` (the app must verify with it) and dispatches them into `app`."""

    SECRET: ClassVar[str] = "local-signing-secret"

    def __init__(self, app: App, slack: LocalSlack) -> None:
        self.app, self.slack = app, slack
        self._responses = itertools.count(1)

    def response_url(self, kind: str = "r") -> str:
        """A new response_url on the local Slack."""
        return self.slack.response_url(f"{kind}{next(self._responses)}")

    def dispatch(self, body: str, headers: dict[str, str] | None = None) -> BoltResponse:
        """Send a raw body, signed unless `headers` are given."""
        return self.app.dispatch(BoltRequest(body=body, headers=headers or signed_headers(body, self.SECRET)))

    def command(self, user: str, text: str, channel: str = GENERAL, *,
                response_url: str | None = None) -> BoltResponse:
        """`/learn <text>` typed by `user` in `channel`."""
        url = response_url or self.response_url("cmd")
        return self.dispatch(slash_command(user, text, channel_id=channel, response_url=url))

    def click(self, user: str, button: Mapping[str, str], channel: str = GENERAL, message_ts: str | None = None,
              *, ephemeral: bool = False, response_url: str | None = None) -> BoltResponse:
        """Press a button, given as {action_id, value}, on a message (`message_ts`) or an ephemeral one."""
        url = response_url or self.response_url("click")
        return self.dispatch(block_action(user, button["action_id"], button["value"], channel_id=channel,
                                          message_ts=message_ts, response_url=url, ephemeral=ephemeral))

    def pick_user(self, user: str, action_id: str, block_id: str, picked: str, channel: str) -> BoltResponse:
        """Choose `picked` in a users_select menu of a message."""
        return self.dispatch(block_action(user, action_id, "", channel_id=channel, block_id=block_id,
                                          selected_user=picked, response_url=self.response_url("pick")))

    def event(self, event: dict[str, Any], event_id: str | None = None) -> BoltResponse:
        """Deliver an Events API event."""
        return self.dispatch(event_callback(event, event_id=event_id))

    def submit(self, user: str, view: Mapping[str, Any], values: dict[str, str]) -> BoltResponse:
        """Submit a modal the bot opened (as sent in views.open) with `values` by block_id (a user id or
        an ISO date for its pickers)."""
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        types = {b["block_id"]: b["element"]["type"] for b in inputs}
        for block in inputs:  # a static_select's option may be given by its text, as a person sees it
            options = {o["text"]["text"].lower(): o["value"] for o in block["element"].get("options", [])}
            if block["block_id"] in values:
                values = {**values, block["block_id"]: options.get(values[block["block_id"]].lower(),
                                                                   values[block["block_id"]])}
        return self.dispatch(view_submission(user, view["callback_id"], values,
                                             private_metadata=view.get("private_metadata", ""), types=types))

    def suggest(self, user: str, view: Mapping[str, Any], block_id: str, query: str) -> list[dict[str, Any]]:
        """Type `query` in the external_select of the block `block_id` of an open modal: the options offered."""
        element = next(b["element"] for b in view.get("blocks", []) if b.get("block_id") == block_id)
        response = self.dispatch(block_suggestion(user, block_id, element["action_id"], query,
                                                  callback_id=view.get("callback_id", "")))
        return list(json.loads(response.body or "{}").get("options", [])) if response.status == 200 else []

    def shortcut(self, user: str, callback_id: str, channel: str, message: dict[str, Any]) -> BoltResponse:
        """Run a message shortcut on `message`."""
        return self.dispatch(message_shortcut(user, callback_id, channel_id=channel, message=message))

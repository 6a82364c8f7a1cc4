"""Slack request payloads built and signed as Slack sends them: for the console and the tests."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any, Mapping
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0LOCAL"
_ids = itertools.count(1)


def signed_headers(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds to a request: timestamp and v0 signature of the raw body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_command(user_id: str, text: str, *, channel_id: str = "C0GENERAL", response_url: str = "",
                  command: str = "/learn") -> str:
    """The form body of a slash command invocation."""
    return urlencode({
        "token": "legacy", "team_id": TEAM_ID, "channel_id": channel_id, "channel_name": "general",
        "user_id": user_id, "user_name": user_id.lower(), "command": command, "text": text,
        "response_url": response_url, "trigger_id": f"trigger.{next(_ids)}", "api_app_id": "A0LEARN",
    })


def block_action(user_id: str, action_id: str, value: str, *, channel_id: str = "C0GENERAL",
                 message_ts: str | None = None, response_url: str = "", ephemeral: bool = False,
                 block_id: str = "b", selected_user: str | None = None, view_id: str | None = None) -> str:
    """The form body of a button press (`block_actions`), or of a user picked in a users_select; in the
    modal `view_id` when given, else on a message."""
    container: dict[str, Any] = {"type": "view", "view_id": view_id} if view_id else \
        {"type": "message", "channel_id": channel_id, "is_ephemeral": ephemeral}
    if message_ts:
        container["message_ts"] = message_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0LEARN",
        "trigger_id": f"trigger.{next(_ids)}",
        "container": container,
        "channel": {"id": channel_id},
        "response_url": response_url,
        "actions": [{
            "type": "button", "action_id": action_id, "block_id": block_id, "value": value,
            "action_ts": f"{time.time():.6f}",
        } if selected_user is None else {
            "type": "users_select", "action_id": action_id, "block_id": block_id, "selected_user": selected_user,
            "action_ts": f"{time.time():.6f}",
        }],
    }
    if message_ts:
        payload["message"] = {"ts": message_ts, "type": "message"}
    if view_id:
        payload["view"] = {"id": view_id, "type": "modal"}
    return urlencode({"payload": json.dumps(payload)})


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> str:
    """The JSON body of an Events API delivery."""
    return json.dumps({
        "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0LEARN", "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}", "event_time": int(time.time()), "event": event,
    })


SELECTED = {"users_select": "selected_user", "datepicker": "selected_date"}  # where a picked value goes


MENUS = ("static_select", "external_select")  # their pick is an option: {"selected_option": {"value": ...}}


def _state(element: str, text: str) -> dict[str, Any]:
    """An input element's state as Slack submits it."""
    if element in MENUS:
        return {"type": element, "selected_option": {"value": text, "text": {"type": "plain_text", "text": text}}
                if text else None}
    return {"type": element, SELECTED.get(element, "value"): text}


def view_submission(user_id: str, callback_id: str, values: Mapping[str, str], *, private_metadata: str = "",
                    types: Mapping[str, str] | None = None) -> str:
    """The form body of a modal's submission; `values` maps block_id to what was typed or picked, in
    an element of the type `types` gives (plain_text_input unless said: users_select, datepicker, or a
    static or external select, given the picked option's value)."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0LEARN",
        "trigger_id": f"trigger.{next(_ids)}",
        "view": {
            "id": f"V{next(_ids):08d}", "type": "modal", "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": {block: {"value": _state((types or {}).get(block, "plain_text_input"), text)}
                                 for block, text in values.items()}},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def message_shortcut(user_id: str, callback_id: str, *, channel_id: str, message: dict[str, Any]) -> str:
    """The form body of a message shortcut ("Save to learning library" on a message)."""
    payload = {
        "type": "message_action", "callback_id": callback_id, "team": {"id": TEAM_ID},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "channel": {"id": channel_id, "name": "general"}, "message": message,
        "message_ts": message.get("ts"), "trigger_id": f"trigger.{next(_ids)}", "response_url": "",
    }
    return urlencode({"payload": json.dumps(payload)})


def block_suggestion(user_id: str, block_id: str, action_id: str, query: str, *, callback_id: str = "") -> str:
    """The form body of an external_select asking for its options as someone types `query` in a modal."""
    payload = {
        "type": "block_suggestion", "team": {"id": TEAM_ID},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID}, "api_app_id": "A0LEARN",
        "block_id": block_id, "action_id": action_id, "value": query,
        "container": {"type": "view", "view_id": f"V{next(_ids):08d}"},
        "view": {"id": f"V{next(_ids):08d}", "type": "modal", "callback_id": callback_id},
    }
    return urlencode({"payload": json.dumps(payload)})

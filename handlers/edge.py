"""The listeners' edge: a payload without the shape Slack gives it is turned away here, before any
listener reads it. It is acknowledged (so Slack does not retry it) and dropped; where a person
pressed something and Slack said where to reply, they hear that the button is out of date.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable

from slack_bolt import BoltContext, BoltResponse

from handlers import blocks

log = logging.getLogger(__name__)
Payload = dict[str, Any]
Spec = dict[str, tuple[type, bool]]  # dotted path -> (type, required)

EVENT_TEXTS = ("user", "channel", "ts", "thread_ts", "text", "subtype", "deleted_ts", "reaction", "bot_id", "tab")
SPECS: dict[str, Spec] = {  # what the listeners read of each payload type they listen to
    "block_actions": {"user.id": (str, True), "actions": (list, True), "trigger_id": (str, True),
                      "container": (dict, False), "channel": (dict, False), "channel.id": (str, False),
                      "message": (dict, False), "message.ts": (str, False), "view": (dict, False)},
    "view_submission": {"user.id": (str, True), "view": (dict, True), "view.callback_id": (str, True),
                        "view.private_metadata": (str, False), "view.state.values": (dict, True)},
    "message_action": {"user.id": (str, True), "callback_id": (str, True), "trigger_id": (str, True),
                       "message": (dict, True), "message.ts": (str, False), "message.text": (str, False),
                       "channel.id": (str, True)},
    "event_callback": {"event": (dict, True), "event.type": (str, True), "event_id": (str, False),
                       **{f"event.{key}": (str, False) for key in EVENT_TEXTS},
                       "event.message": (dict, False), "event.message.ts": (str, False),
                       "event.message.text": (str, False), "event.item": (dict, False),
                       "event.item.type": (str, False), "event.item.channel": (str, False),
                       "event.item.ts": (str, False)},
    "block_suggestion": {"user.id": (str, True), "block_id": (str, True), "action_id": (str, True),
                         "value": (str, False)},  # an external_select's options, as someone types
    "command": {"user_id": (str, True), "command": (str, True), "text": (str, False), "channel_id": (str, False),
                "trigger_id": (str, True)},  # the question's request id: stored once per slash command
}
ACTION: Spec = {"action_id": (str, True), "block_id": (str, False), "value": (str, False),
                "selected_user": (str, False)}
USER_CHANGE: Spec = {"event.type": (str, True), "event_id": (str, False), "event.user": (dict, True),
                     "event.user.id": (str, True), "event.user.deleted": (bool, False)}  # a user object, not an id
EVENT_NEEDS = {"app_home_opened": ("user",), "reaction_added": ("user", "item"), "message": ("channel",)}
# A channel id; a DM is also addressed by the user's id (`chat.postMessage(channel=U…)`, as the console shows it).
USER, CHANNEL, TS = (re.compile(p) for p in (r"^[UW][A-Z0-9]{1,20}$", r"^[CGDUW][A-Z0-9]{1,20}$",
                                             r"^\d{1,12}\.\d{1,8}$"))
FORMATS = {"user.id": USER, "user_id": USER, "user": USER, "channel.id": CHANNEL, "channel_id": CHANNEL,
           "channel": CHANNEL, "ts": TS, "thread_ts": TS, "deleted_ts": TS, "message.ts": TS}
FREE_TEXT = {"text", "value", "private_metadata", "message.text"}  # any length; other strings are ids
MAX_ID = 255
_MISSING = object()


def _get(payload: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(payload, dict) or key not in payload:
            return _MISSING
        payload = payload[key]
    return payload


def _fits(payload: Any, spec: Spec) -> bool:
    """Every required path present (a string not empty), every present one of its type and shape."""
    for path, (kind, required) in spec.items():
        value = _get(payload, path)
        if value is _MISSING or value is None or value == "":
            if required:
                return False
        elif not isinstance(value, kind) or (isinstance(value, str) and not _shaped(path, value)):
            return False
    return True


def _shaped(path: str, value: str) -> bool:
    """A user id, channel id or timestamp as Slack writes them; any other id no longer than Slack's."""
    short = path.removeprefix("event.").removeprefix("item.")
    if short in FORMATS:
        return bool(FORMATS[short].match(value))
    return short in FREE_TEXT or len(value) <= MAX_ID


def kind_of(body: Payload) -> str | None:
    """The payload type: a slash command has none of its own."""
    return "command" if "command" in body else body.get("type") if isinstance(body.get("type"), str) else None


def _unicode(body: Payload) -> bool:
    """No lone surrogates: JSON can spell them (\\ud800), UTF-8 and the database cannot store them."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def well_formed(body: Payload) -> bool:
    """Whether `body` is a payload type the bot listens to, with every field listeners read of its type."""
    kind = kind_of(body)
    user_change = kind == "event_callback" and _get(body, "event.type") == "user_change"
    spec = USER_CHANGE if user_change else SPECS.get(kind or "")
    if spec is None or not _fits(body, spec) or not isinstance(body.get("response_url", ""), str):
        return False
    if kind == "block_actions" and not (body["actions"] and all(isinstance(a, dict) and _fits(a, ACTION)
                                                                for a in body["actions"])):
        return False
    if kind == "view_submission" and not all(isinstance(block, dict) and all(_input(field) for field in block.values())
                                             for block in body["view"]["state"]["values"].values()):
        return False
    if kind == "event_callback" and not all(body["event"].get(key)
                                            for key in EVENT_NEEDS.get(body["event"]["type"], ())):
        return False
    return _unicode(body)


def _input(field: Any) -> bool:
    """A submitted input: {"type": ..., "value": text or null}."""
    return isinstance(field, dict) and isinstance(field.get("value"), (str, type(None)))


def _reply_url(body: Payload) -> str | None:
    url = body.get("response_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _nowhere(*_args: Any, **_kwargs: Any) -> None:
    log.info("a reply was dropped: the request had no response_url")


def turn_away_malformed(body: Payload, context: BoltContext, next_: Callable[[], None]) -> BoltResponse | None:
    """Middleware: drop a malformed payload with a 200, telling the presser when there is somewhere to."""
    if well_formed(body):
        if _reply_url(body) is None:
            context["respond"] = _nowhere  # a listener's reply has nowhere to go: dropped, not a traceback
        next_()
        return None
    kind = kind_of(body)
    log.warning("ignored a malformed %s request", kind or "unknown")
    if kind in ("block_actions", "message_action", "view_submission") and _reply_url(body):
        context.respond(response_type="ephemeral", replace_original=False, **blocks.notice(blocks.OUT_OF_DATE))
    return BoltResponse(status=200, body="")

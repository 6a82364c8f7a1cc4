"""Block Kit primitives: the one place that escapes user text and respects Slack's limits."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from bot.refusal import Refusal
from handlers import ids

Block = dict[str, Any]

SECTION_LIMIT = 3000
BUTTON_LIMIT = 75
OPTION_LIMIT = 75  # an option's text
MAX_OPTIONS = 100  # a static_select's, and an external_select's per query
MAX_BLOCKS = 50
OUT_OF_DATE = "That button is out of date."

def escape(text: str) -> str:
    """Make user text inert in mrkdwn: `&`, `<`, `>` can no longer form links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(url: str) -> str:
    """A URL that cannot break out of `<url|label>`."""
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")


def link(url: str | None, label: str) -> str:
    label = escape(label)
    return f"<{safe_url(url)}|{label}>" if url else f"*{label}*"


def quote(text: str, limit: int = 1500) -> str:
    """User text as a mrkdwn block quote, escaped and truncated."""
    return "\n".join("> " + line for line in escape(truncate(text, limit)).splitlines() or [""])


def section(text: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}
    if accessory:
        block["accessory"] = accessory
    return block


def from_teams(counts: Sequence[tuple[str, int]]) -> str:
    """`from Support (3), Sales (1)`: where a gap comes from, as (team, askers); empty without teams."""
    return "from " + ", ".join(f"{escape(name)} ({n})" for name, n in counts) if counts else ""


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {"type": "button", "text": {"type": "plain_text", "text": truncate(label, BUTTON_LIMIT)},
                      "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def message(text: str, blocks: Sequence[Block] = ()) -> dict[str, Any]:
    """A message payload: `text` is the notification fallback."""
    payload: dict[str, Any] = {"text": truncate(text, SECTION_LIMIT)}
    if blocks:
        payload["blocks"] = list(blocks)[:MAX_BLOCKS]
    return payload


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>"


def plain_input(block_id: str, label: str, *, initial: str = "", multiline: bool = False, max_length: int = 3000,
                optional: bool = False) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": ids.INPUT, "multiline": multiline,
                      "max_length": max_length}
    if initial:
        element["initial_value"] = truncate(initial, max_length)
    return {"type": "input", "block_id": block_id, "optional": optional, "element": element,
            "label": {"type": "plain_text", "text": label}}


def option(text: str, value: str) -> Block:
    """A menu's option: its text cut to Slack's 75 characters."""
    return {"text": {"type": "plain_text", "text": truncate(text, OPTION_LIMIT)}, "value": value}


def external_input(block_id: str, label: str, placeholder: str, *, initial: tuple[str, str] | None = None,
                   optional: bool = False) -> Block:
    """An external_select whose options the `app.options` listener of `block_id` (see `in_block`) gives as
    one types, `initial` (text, value) preselected."""
    element: Block = {"type": "external_select", "action_id": ids.INPUT, "min_query_length": 1,
                      "placeholder": {"type": "plain_text", "text": placeholder}}
    if initial:
        element["initial_option"] = option(*initial)
    return {"type": "input", "block_id": block_id, "optional": optional, "element": element,
            "label": {"type": "plain_text", "text": label}}


def typed(payload: dict[str, Any]) -> str:
    """What was typed in an external_select, from its `app.options` request."""
    value = payload.get("value")
    return value if isinstance(value, str) else ""


def team_menu(find: Callable[[Any, Any, str, str], Sequence[Any]]) -> Callable[..., None]:
    """An `app.options` listener offering, as one types, the teams ``find(session, settings, presser,
    typed)`` returns (each who may be offered is `find`'s rule)."""
    def team_options(ack: Any, body: dict[str, Any], payload: dict[str, Any], deps: Any) -> None:
        with deps.runtime.sessions() as session:
            found = find(session, deps.runtime.settings, body["user"]["id"], typed(payload))
            ack(options=[option(team.name, str(team.id)) for team in found])
    return team_options


def in_block(block_id: str) -> Callable[[dict[str, Any]], bool]:
    """Matches an external_select of `block_id`: Bolt's `app.options` matches the action_id alone."""
    def matches(body: dict[str, Any]) -> bool:
        return body.get("block_id") == block_id
    return matches


def users_input(block_id: str, label: str, *, initial: str | None = None) -> Block:
    element: Block = {"type": "users_select", "action_id": ids.INPUT}
    if initial:
        element["initial_user"] = initial
    return {"type": "input", "block_id": block_id, "element": element, "label": {"type": "plain_text", "text": label}}


def date_input(block_id: str, label: str, *, optional: bool = False) -> Block:
    return {"type": "input", "block_id": block_id, "optional": optional,
            "element": {"type": "datepicker", "action_id": ids.INPUT}, "label": {"type": "plain_text", "text": label}}


def modal(callback_id: str, title: str, submit: str, blocks: Sequence[Block], metadata: str) -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "private_metadata": metadata,
            "title": {"type": "plain_text", "text": truncate(title, 24)},
            "submit": {"type": "plain_text", "text": submit},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": list(blocks)}


def submitted(view: dict[str, Any], block_id: str) -> str:
    """The stripped text a modal's `plain_input(block_id, ...)` was submitted with ("" if it is missing)."""
    field = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(ids.INPUT) or {}
    return str(field.get("value") or "").strip()


def number(text: Any) -> int:
    """The id a button's value or a modal's metadata carries; anything else raises Refusal (out of date)."""
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise Refusal(OUT_OF_DATE)


def picked(view: dict[str, Any], block_id: str, key: str) -> str | None:
    """What a modal's `users_input` or `date_input` was submitted with (`key`: selected_user, selected_date)."""
    return view["state"]["values"].get(block_id, {}).get(ids.INPUT, {}).get(key) or None


def read_only_modal(title: str, blocks: Sequence[Block]) -> dict[str, Any]:
    """A modal that only shows something: no callback, no submit."""
    return {"type": "modal", "title": {"type": "plain_text", "text": truncate(title, 24)},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": list(blocks)}


def notice(text: str) -> dict[str, Any]:
    """A one-line message (already safe text)."""
    return message(text)


def chosen(view: dict[str, Any], block_id: str) -> str | None:
    """The value of the option picked in a modal's select `block_id` (static or external), or None."""
    values = ((view.get("state") or {}).get("values") or {}).get(block_id)
    field = next(iter(values.values()), None) if isinstance(values, dict) and values else None
    option = field.get("selected_option") if isinstance(field, dict) else None
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) and value else None

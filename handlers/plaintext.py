"""Block Kit as plain text: what the console prints and what `learnbot digest --dry-run` shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Names:
    """Display names for user and channel ids (unknown ids are shown as they are)."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)


EMOJI = {"rotating_light": "🚨", "white_check_mark": "✅", "octagonal_sign": "🛑", "large_orange_diamond": "🔶",
         "raising_hand": "🙋"}


def readable(mrkdwn: str, names: Names) -> str:
    """mrkdwn as terminal text: links, mentions and channel links spelled out, escapes undone."""
    text = re.sub(r"<@(\w+)>", lambda m: "@" + names.user(m.group(1)), mrkdwn)
    text = re.sub(r"<#(\w+)(\|[^>]*)?>", lambda m: "#" + names.channels.get(m.group(1), m.group(1)), text)
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r":([a-z_]+):", lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _no_buttons(label: str, _action_id: str, _value: str) -> str:
    return f"[{label}]"


def render_blocks(payload: dict[str, Any], names: Names,
                  add_button: Callable[[str, str, str], str] = _no_buttons) -> list[str]:
    """Block Kit as lines of text; `add_button` labels each button (the console numbers them)."""
    blocks = payload.get("blocks") or []
    if not blocks:
        return readable(str(payload.get("text", "")), names).splitlines()
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            lines += readable(block.get("text", {}).get("text", ""), names).splitlines()
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                lines.append("    " + add_button(accessory["text"]["text"], accessory["action_id"],
                                                 accessory.get("value", "")))
        elif kind == "context":
            lines.append("· " + " ".join(readable(e.get("text", ""), names) for e in block.get("elements", [])))
        elif kind == "actions":
            lines.append("  ".join(add_button(e["text"]["text"], e["action_id"], e.get("value", ""))
                                   if e.get("type") == "button" else f"[{e.get('placeholder', {}).get('text', '…')}]"
                                   for e in block.get("elements", [])))
        elif kind == "header":
            lines.append(block["text"]["text"].upper())
        elif kind == "divider":
            lines.append("─" * 20)
    return lines

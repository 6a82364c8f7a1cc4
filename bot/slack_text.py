"""Slack's message text, decoded on the way in: what a person wrote, as plain readable text.

Slack sends `&`, `<` and `>` as entities and wraps links, mentions and channels in angle brackets
(`<https://x|label>`, `<@U123>`, `<#C123|general>`, `<!here>`). Stored raw, that markup would be
escaped again on display and reach the next reader as literal `&lt;https://…&gt;` with dead links.
Decoded once here, text is escaped once on the way out (`handlers.blocks.escape`), so a link stays a
link (Slack links plain URLs itself) and a mention or `@channel` never pings anyone again.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<([^<>]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))  # `&amp;` last: `&amp;lt;` means a literal "&lt;"
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def _entities(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _token(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    label = _entities(label)
    if target.startswith("@"):  # a user: <@U123> or <@U123|bob>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # a channel: <#C123|general>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S123|@team>, <!date^…|fallback>
        name = target[1:].split("^", 1)[0]
        return label or _SPECIAL.get(name, "@" + name)
    url = _entities(target)
    if url.startswith("mailto:"):
        return label or url[len("mailto:"):]
    return f"{label} ({url})" if label and label != url else url


def decode(text: str) -> str:
    """Slack's wire format -> plain text: entities undone, links as "label (url)", mentions as @name."""
    parts, end = [], 0
    for match in _TOKEN.finditer(text):
        parts += [_entities(text[end:match.start()]), _token(match)]
        end = match.end()
    return "".join(parts + [_entities(text[end:])])

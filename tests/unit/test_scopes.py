"""The manifest asks for exactly the scopes the code needs: every Web API method called and every
event subscribed maps to its scope (from Slack's method and event reference pages)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

METHOD_SCOPES: dict[str, set[str]] = {  # docs.slack.dev/reference/methods/<method>: "Required scopes"
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.join": {"channels:join"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
    "usergroups.users.list": {"usergroups:read"},
}
EVENT_SCOPES: dict[str, set[str]] = {
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.im": {"im:history"},
    "reaction_added": {"reactions:read"},
    "app_home_opened": set(),
    "user_change": {"users:read"},
}
# Scopes no single call needs but a behaviour does: /learn itself, and posting in a public channel
# the bot has not joined (chat.postMessage answers not_in_channel without it).
FEATURE_SCOPES = {"commands", "chat:write.public"}
UPLOAD = {"files.getUploadURLExternal", "files.completeUploadExternal"}  # what files_upload_v2 calls

_CALLS = (
    re.compile(r"client\.(?!api_call)([a-z]+)_([A-Za-z_]+)\("),  # client.chat_postMessage(...), client.views_open(...)
    re.compile(r"SlackCall\(\s*\"([a-z]+)\.([A-Za-z]+)\""),  # durable messages rendered for the outbox
    re.compile(r"api_call\(\s*\"([a-z]+)\.([A-Za-z]+)\""),
)


def methods_called() -> set[str]:
    """Every Web API method named in the bot's own code (the local stand-in for Slack excluded)."""
    found: set[str] = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        if "local" in path.relative_to(ROOT).parts[:2] or path.name == "local_slack.py":
            continue
        source = path.read_text(encoding="utf-8")
        for pattern in _CALLS:
            found.update(f"{family}.{name.replace('_', '.')}" for family, name in pattern.findall(source))
        if "files_upload_v2(" in source:
            found |= UPLOAD
    return found


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_every_method_the_code_calls_has_a_known_scope() -> None:
    assert methods_called() - METHOD_SCOPES.keys() == set(), "add the new method's scope to METHOD_SCOPES"


def test_the_manifest_declares_every_needed_scope_and_nothing_unused() -> None:
    m = manifest()
    declared = set(m["oauth_config"]["scopes"]["bot"])
    events = set(m["settings"]["event_subscriptions"]["bot_events"])
    needed = set().union(*(METHOD_SCOPES[method] for method in methods_called()),
                         *(EVENT_SCOPES[event] for event in events)) | FEATURE_SCOPES
    assert sorted(needed - declared) == [], "missing from manifest.yml"
    assert sorted(declared - needed) == [], "declared but unused"


def test_the_digest_chart_upload_is_seen_and_needs_files_write() -> None:
    assert UPLOAD <= methods_called()
    assert "files:write" in manifest()["oauth_config"]["scopes"]["bot"]


def test_the_local_slack_asks_for_the_same_scopes() -> None:
    """bot.local.slack refuses a call without its scope (missing_scope): its map must agree with this one."""
    from bot.local.slack import METHOD_SCOPES as LOCAL

    for method, needed in METHOD_SCOPES.items():
        assert (LOCAL.get(method) in needed) if needed else LOCAL.get(method) is None, method

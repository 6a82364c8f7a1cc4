"""manifest.yml is a valid Slack app manifest that declares what the app uses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "fixtures" / "manifest.schema.1.0.0.json"  # Slack's public schema, see fixtures


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema() -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = sorted(validator.iter_errors(manifest()), key=str)
    assert errors == []


def test_manifest_declares_the_command_scopes_and_transport_the_app_uses() -> None:
    m = manifest()
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/learn"]
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "chat:write.public"} <= scopes
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True
    assert {"channels:history", "groups:history", "reactions:read"} <= scopes  # thread answers, ✅ reactions
    assert {"message.channels", "message.groups", "reaction_added", "app_home_opened"} <= \
        set(m["settings"]["event_subscriptions"]["bot_events"])
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert [s["callback_id"] for s in m["features"]["shortcuts"]] == ["save_to_library"]
    interactivity = m["settings"]["interactivity"]
    urls = {c["url"] for c in m["features"]["slash_commands"]} | {
        interactivity["request_url"], interactivity["message_menu_options_url"],  # the latter: external menus
        m["settings"]["event_subscriptions"]["request_url"]}
    assert all(u.endswith("/slack/events") for u in urls)


def test_an_invalid_manifest_is_caught() -> None:
    broken = manifest()
    broken["features"]["slash_commands"][0].pop("description")
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    assert list(validator.iter_errors(broken))

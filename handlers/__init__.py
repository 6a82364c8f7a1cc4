"""Slack listeners: thin. Parse the payload, ack, call a use case, render, send."""

from __future__ import annotations

from slack_bolt import App

from handlers import actions, andon, commands, events, home, views
from handlers.deps import Deps


def register_all(app: App, deps: Deps) -> None:
    """Attach every listener module to the app (the one place that lists them)."""
    for module in (commands, actions, andon, events, home, views):
        module.register(app, deps)

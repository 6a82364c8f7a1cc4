"""Slack listeners: thin. Parse the payload, ack, call a use case, render, send."""

from __future__ import annotations

from slack_bolt import App

from bot.outbox import Outbox
from bot.runtime import Runtime
from handlers import actions, commands


def register_all(app: App, runtime: Runtime, outbox: Outbox) -> None:
    """Attach every listener module to the app (the one place that lists them)."""
    for module in (commands, actions):
        module.register(app, runtime, outbox)

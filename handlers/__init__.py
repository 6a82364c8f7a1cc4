"""Slack listeners: thin. Parse the payload, ack, call a use case, render, send.

Listeners are module-level functions; Bolt injects their arguments by name, `deps` included (set on
every request's context by the one middleware below). Each feature module's `register(app)` attaches
its own listeners; `register_all` is the one place that lists the modules.
"""

from __future__ import annotations

from typing import Callable

from slack_bolt import App, BoltContext

from handlers import andon, andon_questions, answers, home, learn, learning_needs, library, paths, publishing, \
    questions, reflection, sharing, trust
from handlers.deps import Deps
from handlers.edge import turn_away_malformed

FEATURES = (learn, questions, answers, andon, andon_questions, learning_needs, home, library, reflection, trust, paths,
            publishing, sharing)


def register_all(app: App, deps: Deps) -> None:
    """Turn away malformed payloads, give every request `context["deps"]`, attach every feature's listeners."""
    app.middleware(turn_away_malformed)

    @app.middleware
    def provide_deps(context: BoltContext, next_: Callable[[], None]) -> None:
        context["deps"] = deps
        next_()

    for feature in FEATURES:
        feature.register(app)

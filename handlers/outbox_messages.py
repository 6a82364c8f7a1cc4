"""The outbox's renderers and hooks: what each feature contributes, merged for the composition root."""

from __future__ import annotations

import functools

from bot.outbox import OnFailed, OnSent, Renderer
from bot.runtime import Runtime
from handlers import andon, answers, digest, learn, learning_needs, paths, questions, sharing, trust
from handlers.links import Permalinks
from handlers.rendering import Rendering

FEATURES = (learn, questions, answers, andon, learning_needs, digest, trust, paths, sharing)


def renderers(runtime: Runtime, links: Permalinks) -> dict[str, Renderer]:
    """The renderer of each outbox purpose, bound to the runtime's settings and clock and to `links`."""
    rendering = Rendering(runtime.settings, runtime.clock, links)
    return {purpose: functools.partial(render, rendering)
            for feature in FEATURES for purpose, render in feature.RENDERERS.items()}


ON_SENT: dict[str, OnSent] = {**questions.ON_SENT, **andon.ON_SENT}


def on_failed(runtime: Runtime) -> dict[str, OnFailed]:
    """The hook of each purpose whose permanent failure someone must hear about, bound to the settings."""
    return {purpose: functools.partial(hook, runtime.settings) for purpose, hook in questions.ON_FAILED.items()}

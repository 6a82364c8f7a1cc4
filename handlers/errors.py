"""One failure policy for lazy listeners (Bolt's @app.error does not see them)."""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong on my side and nothing was saved. Please try again in a minute."


def reply_on_failure(listener: Callable[..., None]) -> Callable[..., None]:
    """Log the failure and tell the user (through `respond`, if the listener takes it)."""

    @functools.wraps(listener)
    def guarded(**kwargs: Any) -> None:
        try:
            listener(**kwargs)
        except Exception:
            log.exception("%s failed", listener.__name__)
            respond = kwargs.get("respond")
            if respond is not None:
                respond(response_type="ephemeral", replace_original=False, text=SORRY)

    return guarded

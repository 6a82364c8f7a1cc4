"""How a listener ends: a Refusal is told privately and changes nothing; a change is settled here, once.

`@settles` runs the listener and then `deps.settle(presser, *returned people)`, unless it refused or
returned UNCHANGED; a listener that fails (a Slack error once its change committed) settles the
presser. `@refuses` only tells refusals (for listeners whose change needs no settling).
Both hand Bolt the listener's own arguments plus `context`, which carries `deps` and the presser.
"""

from __future__ import annotations

import functools
import inspect
from enum import Enum
from typing import Any, Callable, Iterable

from slack_bolt import BoltContext

from bot.refusal import Refusal
from handlers import blocks


class Unchanged(Enum):
    """Returned by a listener with nothing to settle (invalid input, an ignored event, a private setting)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED
Returned = Iterable[str] | Unchanged | None  # the other people whose Home changes, or UNCHANGED
Listener = Callable[..., Returned]
Wrapper = Callable[[Listener], Callable[..., None]]


def refuse(context: BoltContext, refusal: Refusal, field: str | None = None) -> None:
    """Tell the presser why nothing happened: under the modal's input `field`, else in an ephemeral reply."""
    if field:
        context.ack(response_action="errors", errors={field: str(refusal)})
    elif context.respond is not None:
        context.respond(response_type="ephemeral", replace_original=False, **blocks.notice(str(refusal)))


def _wrapper(settle: bool, field: str | None) -> Wrapper:
    def wrap(listener: Listener) -> Callable[..., None]:
        signature = inspect.signature(listener)
        takes_context = "context" in signature.parameters

        @functools.wraps(listener)
        def wrapped(context: BoltContext, **kwargs: Any) -> None:
            returned: Returned = None  # kept if the listener fails: a Slack error after its change committed
            try:
                returned = listener(**kwargs, **({"context": context} if takes_context else {}))
            except Refusal as refusal:
                refuse(context, refusal, field)
                returned = UNCHANGED
            finally:
                if settle and returned is not UNCHANGED:
                    context["deps"].settle(*filter(None, [context.user_id, *(returned or ())]))

        # Bolt injects by the names it reads from the unwrapped function: the listener's, plus `context`.
        del wrapped.__wrapped__
        if not takes_context:
            first = inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD)
            signature = signature.replace(parameters=[first, *signature.parameters.values()])
        wrapped.__signature__ = signature  # type: ignore[attr-defined]
        return wrapped

    return wrap


def settles(listener: Listener | None = None, *, field: str | None = None) -> Any:
    """`@settles` or `@settles(field=...)` (a modal: refusals shown under that input)."""
    wrap = _wrapper(True, field)
    return wrap if listener is None else wrap(listener)


def refuses(listener: Listener | None = None, *, field: str | None = None) -> Any:
    """`@refuses` or `@refuses(field=...)`: refusals told privately, nothing settled."""
    wrap = _wrapper(False, field)
    return wrap if listener is None else wrap(listener)

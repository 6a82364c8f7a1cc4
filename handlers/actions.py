"""Button presses on the bot's messages."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import asking
from bot.outbox import Outbox
from bot.runtime import Runtime
from handlers import blocks


def _ids(value: str) -> tuple[int, int | None]:
    """`"12:34"` -> (12, 34); `"12:"` -> (12, None). A malformed value raises QuestionError."""
    first, _, second = value.partition(":")
    try:
        return int(first), int(second) if second else None
    except ValueError:
        raise asking.QuestionError("That button is out of date.") from None


def register(app: App, runtime: Runtime, outbox: Outbox) -> None:
    """Attach the question buttons to the app."""
    settings, clock = runtime.settings, runtime.clock

    @app.action("item_answered")
    def item_answered(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            question_id, item_id = _ids(action.get("value", ""))
            with runtime.sessions() as session:
                title = asking.accept_item(session, clock.now(), question_id=question_id,
                                           user_id=body["user"]["id"], item_id=item_id or 0)
        except asking.QuestionError as refusal:
            respond(response_type="ephemeral", replace_original=False, **blocks.notice(str(refusal)))
            return
        runtime.index.refresh(clock.now())
        respond(replace_original=True, **blocks.feedback_thanks(title))

    @app.action("ask_colleague")
    def ask_colleague(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            question_id, rejected = _ids(action.get("value", ""))
            with runtime.sessions() as session:
                outcome = asking.ask_colleague(session, runtime.index, settings, clock.now(),
                                               question_id=question_id, user_id=body["user"]["id"],
                                               rejected_item=rejected)
        except asking.QuestionError as refusal:
            respond(response_type="ephemeral", replace_original=False, **blocks.notice(str(refusal)))
            return
        runtime.index.refresh(clock.now())
        outbox.deliver_due()
        respond(replace_original=True, **blocks.routed(outcome))

"""Button presses on the bot's messages."""

from __future__ import annotations

from typing import Any, Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import answers, asking
from bot.refusal import Refusal
from handlers import blocks
from handlers.deps import Deps

Click = Callable[[int, int | None, str], "dict[str, Any] | None"]


def _ids(value: str) -> tuple[int, int | None]:
    """`"12:34"` -> (12, 34); `"12:"` or `"12"` -> (12, None). A malformed value raises Refusal."""
    first, _, second = value.partition(":")
    try:
        return int(first), int(second) if second else None
    except ValueError:
        raise Refusal("That button is out of date.") from None


def register(app: App, deps: Deps) -> None:
    """Attach every button of the question's life: offers, the help-channel post, the asker's notice."""
    runtime = deps.runtime
    settings = runtime.settings

    def on_click(action_id: str, run: Click, *, replace_original: bool = True) -> None:
        """Ack, run the use case with (question id, second id, who pressed), settle, reply to the presser.

        A Refusal is told privately to the presser and changes nothing.
        """

        @app.action(action_id)
        def listener(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
            ack()
            try:
                first, second = _ids(action.get("value", ""))
                reply = run(first, second, body["user"]["id"])
            except Refusal as refusal:
                respond(response_type="ephemeral", replace_original=False, **blocks.notice(str(refusal)))
                return
            deps.settle(body["user"]["id"])
            if reply is not None:
                respond(replace_original=replace_original, **reply)

    def item_answered(question_id: int, item_id: int | None, user_id: str) -> dict[str, Any]:
        with runtime.sessions() as session:
            title = asking.accept_item(session, deps.now(), question_id=question_id, user_id=user_id,
                                       item_id=item_id)
        return blocks.feedback_thanks(title)

    def ask_colleague(question_id: int, rejected: int | None, user_id: str) -> dict[str, Any]:
        with runtime.sessions() as session:
            outcome = asking.ask_colleague(session, runtime.index, settings, deps.now(), question_id=question_id,
                                           user_id=user_id, rejected_item=rejected)
        return blocks.routed(outcome)

    def claim(question_id: int, _: int | None, user_id: str) -> dict[str, Any]:
        with runtime.sessions() as session:
            holder = answers.claim(session, deps.now(), question_id=question_id, user_id=user_id)
        text = ("Thanks for taking it! Reply in the thread when you have an answer." if holder == user_id
                else f"{blocks.mention(holder)} is already on it, but your answer is welcome in the thread too.")
        return {"response_type": "ephemeral", **blocks.notice(text)}

    def decline(question_id: int, _: int | None, user_id: str) -> dict[str, Any]:
        with runtime.sessions() as session:
            answers.decline(session, runtime.index, settings, deps.now(), question_id=question_id, user_id=user_id)
        return {"response_type": "ephemeral",
                **blocks.notice("Thanks, I'll ask someone else and send you fewer questions like this one.")}

    def accept(question_id: int, answer_id: int | None, user_id: str) -> dict[str, Any]:
        with runtime.sessions() as session:
            accepted = answers.accept(session, deps.now(), deps.links.message, question_id=question_id,
                                      user_id=user_id, answer_id=answer_id)
        return blocks.notice(f"You accepted {blocks.mention(accepted.answerer)}'s answer. It's in the library now, "
                             "so the next person with this question gets it at once.")

    def stuck(question_id: int, _: int | None, user_id: str) -> dict[str, Any]:
        with runtime.sessions() as session:
            pinged = answers.still_stuck(session, runtime.index, settings, deps.now(), question_id=question_id,
                                         user_id=user_id)
        text = (f"I've asked {len(pinged)} more colleague(s) in the thread." if pinged else
                "I've told the thread you're still stuck.")
        return {"response_type": "ephemeral", **blocks.notice(text)}

    on_click("item_answered", item_answered)
    on_click("ask_colleague", ask_colleague)
    on_click("claim_question", claim, replace_original=False)
    on_click("decline_question", decline, replace_original=False)
    on_click("accept_answer", accept)
    on_click("still_stuck", stuck, replace_original=False)

    @app.action("open_reflection")
    def open_reflection(ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=blocks.reflection_modal(int(action["value"])))

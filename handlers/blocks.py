"""Pure Block Kit builders: the one place that escapes user text and respects Slack's limits."""

from __future__ import annotations

from typing import Any, Sequence

from bot.asking import AskOutcome, MAX_QUESTION_CHARS, Offer

Block = dict[str, Any]

SECTION_LIMIT = 3000
BUTTON_LIMIT = 75
SNIPPET_LIMIT = 200
MAX_BLOCKS = 50

USAGE = (
    "*Learnbot* helps you learn from the library and from colleagues.\n"
    "• `/learn <your question>`: find an answer, or ask the colleagues who know\n"
    "• `/learn anon <your question>`: the same, without your name on it\n"
    "• `/learn expert add <topics>` · `/learn expert remove <topics>` · `/learn expert list`: "
    "the topics colleagues may ask you about\n"
    "• `/learn help`: this message"
)


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: `&`, `<`, `>` can no longer form links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(url: str) -> str:
    """A URL that cannot break out of `<url|label>`."""
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")


def link(url: str | None, label: str) -> str:
    label = escape(label)
    return f"<{safe_url(url)}|{label}>" if url else f"*{label}*"


def quote(text: str, limit: int = 1500) -> str:
    """User text as a mrkdwn block quote, escaped and truncated."""
    return "\n".join("> " + line for line in escape(truncate(text, limit)).splitlines() or [""])


def section(text: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}
    if accessory:
        block["accessory"] = accessory
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {"type": "button", "text": {"type": "plain_text", "text": truncate(label, BUTTON_LIMIT)},
                      "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def message(text: str, blocks: Sequence[Block] = ()) -> dict[str, Any]:
    """A message payload: `text` is the notification fallback."""
    payload: dict[str, Any] = {"text": truncate(text, SECTION_LIMIT)}
    if blocks:
        payload["blocks"] = list(blocks)[:MAX_BLOCKS]
    return payload


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>"


# -- /learn replies ----------------------------------------------------------------------------

def usage() -> dict[str, Any]:
    return message(USAGE, [section(USAGE)])


def too_long(length: int) -> dict[str, Any]:
    text = (f"That question is {length:,} characters long; please keep it under {MAX_QUESTION_CHARS:,} "
            "so colleagues can read it at a glance. The gist is enough, details can go in the thread.")
    return message(text)


def snippet(body: str) -> str:
    return escape(truncate(" ".join(body.split()), SNIPPET_LIMIT))


def _offer_block(question_id: int, offer: Offer) -> Block:
    text = link(offer.url, offer.title)
    if offer.body:
        text += "\n" + snippet(offer.body)
    return section(text, button("This answered it", "item_answered", f"{question_id}:{offer.item_id}", "primary"))


def offered(outcome: AskOutcome) -> dict[str, Any]:
    """The asker's ephemeral answer: the best items, each with "This answered it", and a way to a person."""
    top = outcome.offers[0].item_id if outcome.offers else ""
    blocks = [section(f"Here is what I found for:\n{quote(outcome.text, 500)}")]
    blocks += [_offer_block(outcome.question_id, o) for o in outcome.offers]
    blocks.append(actions(button("Ask a colleague", "ask_colleague", f"{outcome.question_id}:{top}")))
    return message(f"I found {len(outcome.offers)} item(s) that may answer your question.", blocks)


def routed(outcome: AskOutcome) -> dict[str, Any]:
    """Tells the asker where the question went (and what the library had, if anything)."""
    if outcome.routed_to:
        where = f"I've asked your colleagues in {channel_link(outcome.routed_to)}"
        where += f" and paged {len(outcome.experts)} expert(s)." if outcome.experts else "."
        where += " Answers will come in the thread there, and I'll let you know."
    else:
        where = ("I couldn't find an answer, and no help channel is configured. "
                 "Ask your admin to set LEARNBOT_HELP_CHANNEL.")
    blocks = [section(f"{where}\n{quote(outcome.text, 500)}")]
    if outcome.offers:
        blocks.append(context("Meanwhile, these might be related:"))
        blocks += [_offer_block(outcome.question_id, o) for o in outcome.offers]
    return message(where, blocks)


def question_post(question_id: int, text: str, asker: str | None, experts: Sequence[str]) -> dict[str, Any]:
    """The help-channel post for a routed question (`asker` None when asked anonymously)."""
    who = mention(asker) if asker else "Someone"
    blocks = [section(f"*{who} asked:*\n{quote(text)}")]
    if experts:
        blocks.append(section("Could you help, " + ", ".join(mention(e) for e in experts)
                              + "? Reply in this thread."))
    else:
        blocks.append(section("Does anyone know? Reply in this thread."))
    blocks.append(context(f"Question #{question_id} · asked with /learn"))
    return message(f"{'Someone' if asker is None else 'A colleague'} asked: {escape(truncate(text, 200))}",
                   blocks)


def feedback_thanks(title: str) -> dict[str, Any]:
    return message(f"Glad it helped! I'll remember that {escape(title)} answers questions like yours.")


def notice(text: str) -> dict[str, Any]:
    """A one-line message (already safe text)."""
    return message(text)

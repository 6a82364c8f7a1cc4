"""Block Kit for a question's life: /learn replies, offers, the help-channel post, the asker's notices."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

from bot.asking import MAX_QUESTION_CHARS, AskOutcome, Offer, PostView
from bot.trust import Trust
from bot.wording import plural
from handlers import ids
from handlers.blocks import Block, actions, button, channel_link, context, escape, link, mention, message, number, \
    quote, section, truncate
from handlers.learning_needs_blocks import due_text

SNIPPET_LIMIT = 200

USAGE = (
    "*Learnbot* helps you learn from the library and from colleagues.\n"
    "• `/learn <your question>`: find an answer, or ask the colleagues who know\n"
    "• `/learn anon <your question>`: the same, without your name on it\n"
    "• `/learn expert add <topics>` · `/learn expert remove <topics>` · `/learn expert list`: "
    "the topics colleagues may ask you about\n"
    "• `/learn away [until]`: pause questions to you (e.g. `/learn away 2026-12-01`); `/learn back` resumes\n"
    "• `/learn digest off` / `on`: your weekly expert note\n"
    "• `/learn path`: my learning paths · `/learn path new`: give a team a path (supervisors, learning managers)\n"
    "• `/learn publish`: publish content for your team (supervisors and content owners)\n"
    "• `/learn help`: this message"
)
DIGEST_HINT = "`/learn digest off` stops your weekly expert note; `/learn digest on` brings it back."
EXPERT_HINT = ("`/learn expert add <topics>` · `/learn expert remove <topics>` · `/learn expert list`: "
               "the topics colleagues may ask you about.")
JUNK = ("That doesn't look like a question yet. Tell me what you want to know, "
        "e.g. `/learn how do I reset my VPN password?`")


def question_ids(value: str) -> tuple[int, int | None]:
    """A button value: `"12:34"` -> (12, 34); `"12:"` or `"12"` -> (12, None). A malformed one raises Refusal."""
    first, _, second = value.partition(":")
    return number(first), number(second) if second else None


def usage() -> dict[str, Any]:
    return message(USAGE, [section(USAGE)])


def hint(line: str) -> dict[str, Any]:
    """A mistyped or incomplete subcommand: one line on what was meant, then the usage."""
    return message(line, [section(line), section(USAGE)])


def did_you_mean(command: str) -> dict[str, Any]:
    return hint(f"Did you mean `/learn {escape(command)}`?")


def junk() -> dict[str, Any]:
    return message(JUNK)


def too_long(length: int) -> dict[str, Any]:
    text = (f"That question is {length:,} characters long; please keep it under {MAX_QUESTION_CHARS:,} "
            "so colleagues can read it at a glance. The gist is enough, details can go in the thread.")
    return message(text)


def snippet(body: str) -> str:
    return escape(truncate(" ".join(body.split()), SNIPPET_LIMIT))


def linked_offers(offers: Sequence[Offer], permalink: Callable[[str, str, str | None], str | None]) -> list[Offer]:
    """Offers of past threads get the thread's permalink as their link."""
    return [replace(o, url=permalink(o.thread[0], o.thread[1], None)) if o.thread else o for o in offers]


def trust_line(trust: Trust) -> str:
    """"Verified by @x on 2 Dec 2026", or a warning that it is not (or is obsolete)."""
    if trust.obsolete:
        return ":no_entry: Obsolete: kept for reference, it no longer answers questions"
    if trust.verified_by:
        return f":white_check_mark: Verified by {mention(trust.verified_by)} on {due_text(trust.on)}"
    return f":warning: Not verified since {due_text(trust.on)}"


def _offer_blocks(question_id: int, offer: Offer) -> list[Block]:
    """An offered item (with its verification and "Flag as outdated") or past thread, and "This answered it"."""
    if offer.thread:
        text = "Asked before: " + link(offer.url, offer.title)
        if offer.body:
            text += "\nAnswer: " + snippet(offer.body)
        return [section(text, button("This answered it", ids.ITEM_ANSWERED, f"{question_id}:", "primary"))]
    text = link(offer.url, offer.title) + ("\n" + snippet(offer.body) if offer.body else "")
    answered = section(text, button("This answered it", ids.ITEM_ANSWERED, f"{question_id}:{offer.item_id}", "primary"))
    if offer.trust is None:
        return [answered]
    share = [button("Request to share with…", ids.SHARE_REQUEST, str(offer.item_id))] if offer.shareable else []
    return [answered, context(trust_line(offer.trust)),
            actions(button("Flag as outdated", ids.FLAG_OUTDATED, str(offer.item_id)), *share)]


def offered(outcome: AskOutcome, offers: Sequence[Offer]) -> dict[str, Any]:
    """The asker's ephemeral answer: the best items, each with "This answered it", and a way to a person."""
    top = next((o.item_id for o in offers if not o.thread), "")
    blocks = [section(f"Here is what I found for:\n{quote(outcome.text, 500)}")]
    blocks += [b for o in offers for b in _offer_blocks(outcome.question_id, o)]
    blocks.append(actions(button("Ask a colleague", ids.ASK_COLLEAGUE, f"{outcome.question_id}:{top}")))
    return message(f"I found {plural(len(offers), 'item')} that may answer your question.", blocks)


def routed(outcome: AskOutcome, offers: Sequence[Offer] = ()) -> dict[str, Any]:
    """Tells the asker where the question went (and what the library had, if anything)."""
    if outcome.routed_to:
        where = f"I've asked your colleagues in {channel_link(outcome.routed_to)}"
        where += f" and paged {plural(len(outcome.experts), 'expert')}." if outcome.experts else "."
        where += " Answers will come in the thread there, and I'll let you know."
    else:
        where = ("I couldn't find an answer, and no help channel is configured. "
                 "Ask your admin to set LEARNBOT_HELP_CHANNEL.")
    blocks = [section(f"{where}\n{quote(outcome.text, 500)}")]
    if outcome.routed_to:
        blocks.append(actions(button("I'm blocked", ids.PULL_CORD, str(outcome.question_id), "danger")))
        blocks.append(context("Blocked and can't wait? The button tells the learning managers now."))
    if offers:
        blocks.append(context("Meanwhile, these might be related:"))
        blocks += [b for o in offers for b in _offer_blocks(outcome.question_id, o)]
    return message(where, blocks)


def ask_reply(outcome: AskOutcome, permalink: Callable[[str, str, str | None], str | None]) -> dict[str, Any]:
    """The asker's private answer to `/learn`: the offers if confident, else where the question went."""
    offers = linked_offers(outcome.offers, permalink)
    return (offered if outcome.confident else routed)(outcome, offers)


def post_failed(text: str, channel: str, managers_told: bool) -> dict[str, Any]:
    """The asker's DM when Slack refused their question's help-channel post for good."""
    told = ("The learning managers have been told and will follow up." if managers_told else
            "Please tell whoever runs Learnbot.")
    note = (f"Sorry: I couldn't post your question in {channel_link(channel)}, so your colleagues haven't seen it. "
            + told)
    return message(note, [section(f"{note}\n{quote(text, 500)}")])


def post_failed_manager(view: PostView, error: str) -> dict[str, Any]:
    """A learning manager's DM when Slack refused a question's help-channel post for good."""
    who = mention(view.asker) if view.asker else "someone (anonymously)"
    note = (f":warning: I couldn't post a question in {channel_link(view.channel or '')}: Slack answered "
            f"`{escape(error)}`. Check the channel exists, is not archived and has @learnbot in it "
            "(`/invite @learnbot`), or set LEARNBOT_HELP_CHANNEL to another one.")
    return message(note, [section(f"{note}\nThe question, from {who}:\n{quote(view.text, 1000)}")])


def question_post(view: PostView) -> dict[str, Any]:
    """The help-channel post for a routed question (no name when asked anonymously), with its state."""
    who = mention(view.asker) if view.asker else "Someone"
    blocks = [section(f"*{who} asked:*\n{quote(view.text)}")]
    if view.resolution:
        title, url = view.resolution
        blocks.append(section(f":white_check_mark: Resolved by the learning team: {link(url, title)}"))
    elif view.resolved:
        blocks.append(section(":white_check_mark: Answered and accepted: thank you! It's in the library now."))
    else:
        if view.experts:
            blocks.append(section("Could you help, " + ", ".join(mention(e) for e in view.experts)
                                  + "? Reply in this thread."))
        else:
            blocks.append(section("Does anyone know? Reply in this thread."))
        if view.claimed_by:
            blocks.append(context(f":raising_hand: {mention(view.claimed_by)} is on it."))
        blocks.append(_claim_buttons(view.question_id))
    blocks.append(context(f"Question #{view.question_id} · asked with /learn"))
    fallback = f"{'Someone' if view.asker is None else 'A colleague'} asked: {escape(truncate(view.text, 200))}"
    return message(fallback, blocks)


def _claim_buttons(question_id: int) -> Block:
    return actions(button("I'll take it", ids.CLAIM_QUESTION, str(question_id), "primary"),
                   button("Not my area", ids.DECLINE_QUESTION, str(question_id)))


def expert_page(view: PostView, thread_link: str | None) -> dict[str, Any]:
    """A paged expert's DM: the question, a link to its thread, and the post's buttons."""
    who = mention(view.asker) if view.asker else "Someone"
    where = link(thread_link, "Answer in the thread") if thread_link else f"Answer in {channel_link(view.channel)}"
    return message(f"Could you help? {'Someone' if view.asker is None else 'A colleague'} asked a question.", [
        section(f"*Could you help? {who} asked:*\n{quote(view.text)}\n{where}"),
        _claim_buttons(view.question_id),
        context("You were asked because your expertise matches. \"Not my area\" sends it to someone else."),
    ])


def answer_notice(question_id: int, question: str, answer_id: int, answerer: str, channel: str,
                  thread_link: str | None) -> dict[str, Any]:
    """The asker's DM when the first answer arrives."""
    where = link(thread_link, "See the thread") if thread_link else f"See the thread in {channel_link(channel)}"
    text = f"{mention(answerer)} answered your question:\n{quote(question, 500)}\n{where}"
    return message(f"{mention(answerer)} answered your question.", [
        section(text),
        actions(button("Accept answer", ids.ACCEPT_ANSWER, f"{question_id}:{answer_id}", "primary"),
                button("Still stuck", ids.STILL_STUCK, str(question_id))),
        context("You can also react with :white_check_mark: to the reply that answered it."),
    ])


THREAD_PING_TEXT = {
    "nudge": "Still looking for an answer here. {who}, could you help?",
    "reroute": "{who}, could you take this one?",
    "stuck": "The asker is still stuck. {who}, could you help?",
}


NOBODY_TEXT = {
    "unmatched": "No one else I know of matches this question. Can anyone help? If it stays unanswered, "
                 "the learning managers will see it.",
}


def thread_ping(reason: str, users: Sequence[str]) -> dict[str, Any]:
    """A follow-up in the question's thread, mentioning the next experts (or asking anyone, when there are none)."""
    who = ", ".join(mention(u) for u in users)
    if not who:
        return message(NOBODY_TEXT.get(reason, "The asker is still stuck. Can anyone else help?"))
    return message(THREAD_PING_TEXT[reason].format(who=who))


def reflect_invite(question_id: int, question: str, role: str) -> dict[str, Any]:
    """After a question is resolved: an optional one-line reflection."""
    lead = ("Your question is resolved:" if role == "asker" else "Your answer was accepted, thank you! The question:")
    ask = ("What did you learn? One line helps you remember it." if role == "asker" else
           "What did this question teach you? One line is enough.")
    return message(f"{lead} what did you learn?", [
        section(f"{lead}\n{quote(question, 500)}\n{ask}"),
        actions(button("Add a reflection", ids.OPEN_REFLECTION, str(question_id))),
    ])


def feedback_thanks(title: str) -> dict[str, Any]:
    return message(f"Glad it helped! I'll remember that {escape(title)} answers questions like yours.")

"""Block Kit for planned courses: the "Plan a course" modal and the DMs about a course."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.learning_needs import Course
from handlers import ids
from handlers.blocks import (actions, button, context, date_input, escape, mention, message, modal, plain_input, quote,
                             section, users_input)


def due_text(due: date) -> str:
    """`20 Dec 2026`."""
    return f"{due.day} {due:%b %Y}"


def course_state(need: str, owner: str, due: date, shipped: bool) -> str:
    """The card's state line about its course."""
    return f"course “{escape(need)}” by {mention(owner)}, due {due_text(due)}" + (" · shipped" if shipped else "")


def plan_modal(card_id: int, label: str, owner: str | None) -> dict[str, Any]:
    """What the learning need is (the card's label to start with), who makes the course, by when."""
    return modal(ids.ANDON_PLAN_COURSE, "Plan a course", "Plan", [
        plain_input(ids.NEED, "What people need to learn", initial=label, max_length=500),
        users_input(ids.OWNER, "Owner", initial=owner),
        date_input(ids.DUE, "Due date"),
    ], str(card_id))


def course_coming(course: Course) -> dict[str, Any]:
    """Each asker's DM: their question is waiting for a course."""
    return message(f"A course is coming: “{escape(course.need)}”",
                   [section(f"Nobody could answer your question yet:\n{quote(course.question)}\nso a course is being "
                            f"made: *{escape(course.need)}*, by {mention(course.owner)}, due {due_text(course.due)}. "
                            "I'll send it to you when it ships.")])


def course_owned(course: Course) -> dict[str, Any]:
    """The owner's DM: the need, and the button to press when the content is ready."""
    return message(f"You own the course “{escape(course.need)}”, due {due_text(course.due)}", [
        section(f"{mention(course.planned_by)} planned a course for the questions colleagues could not resolve, such "
                f"as:\n{quote(course.question)}\nYou own it: *{escape(course.need)}*, due {due_text(course.due)}."),
        actions(button("Content shipped", ids.COURSE_SHIPPED, str(course.card_id), "primary"),
                button("Publish a path", ids.PATH_FOR_NEED, str(course.card_id))),
        context("When it is ready, press *Content shipped*: it joins the library and everyone who asked gets it. "
                "Or *Publish a path*: library items in order, and everyone who asked can start it."),
    ])

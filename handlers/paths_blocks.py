"""Block Kit for learning paths: the path modal, My path, the reflection, the supervisor's view and the DMs."""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from bot.paths import MyPath, Step, TeamProgress, Trend, TeamCompletion
from bot.wording import first_few, plural
from handlers import ids
from handlers.blocks import (MAX_OPTIONS, SECTION_LIMIT, Block, actions, button, context, date_input, escape,
                             external_input, link, mention, message, modal, option, plain_input, quote, section,
                             truncate)
from handlers.learning_needs_blocks import due_text

SHOWN_PATHS = 3  # on App Home; `/learn path` shows them all
SHOWN_NAMES = 8


def _select(block_id: str, label: str, options: Sequence[tuple[str, str]], *, optional: bool,
            searched: str) -> Block:
    """A static_select of (value, text) options; with more than Slack allows (or none), an external_select
    searched as one types (`searched` is its placeholder)."""
    if len(options) > MAX_OPTIONS or not options:
        return external_input(block_id, label, searched, optional=optional)
    element = {"type": "static_select", "action_id": ids.INPUT, "options": [option(text, value) for value, text in options]}
    return {"type": "input", "block_id": block_id, "optional": optional, "element": element,
            "label": {"type": "plain_text", "text": label}}


def path_modal(teams: Sequence[tuple[int, str]], competencies: Sequence[tuple[str, str]], *, card_id: int | None = None,
               title: str = "") -> dict[str, Any]:
    """Title, competency, the steps (one item a line), the team, the due date; a menu of more than Slack's 100
    options is searched as one types (`app.options`). For an andon card's course (`card_id`), the team is
    optional: without one, only the card's askers are told."""
    fields: list[Block] = [plain_input(ids.TITLE, "Title", initial=title, max_length=200)]
    if competencies:
        fields.append(_select(ids.PATH_COMPETENCY, "Competency", competencies, optional=True,
                              searched="Type to search L&D's framework"))
    fields.append(plain_input(ids.PATH_STEPS, "Steps: one library item per line, its exact title or its link",
                              multiline=True, max_length=3000))
    if teams or card_id is None:
        fields.append(_select(ids.PATH_TEAM, "Team", [(str(i), name) for i, name in teams],
                              optional=card_id is not None, searched="Type to search your teams"))
    fields.append(date_input(ids.DUE, "Due date"))
    return modal(ids.PATH_NEW, "New learning path", "Publish", fields, "" if card_id is None else str(card_id))


def _step_line(step: Step, linked: bool = True) -> str:
    mark = ":white_check_mark:" if step.done else "◻️"
    return f"{mark} {step.position}. {link(step.url if linked else None, truncate(step.title, 150))}"


def _path_text(head: str, steps: Sequence[Step]) -> str:
    """The head and a line per step, each item linked while the whole fits a section; past that the last
    steps go by title only, rather than a link cut in the middle showing its markup."""
    for linked in range(len(steps), -1, -1):
        text = "\n".join([head, *(_step_line(step, n < linked) for n, step in enumerate(steps))])
        if len(text) <= SECTION_LIMIT:
            break
    return text


def my_path(path: MyPath) -> list[Block]:
    """A path: its title, progress and due date, its steps (each item linked), Done on the next undone step."""
    due = f" · due {due_text(path.due)}" if path.due else ""
    head = f"*{escape(path.title)}* · {path.done} of {len(path.steps)} done{due}"
    found: list[Block] = [section(_path_text(head, path.steps))]
    following = path.next_step
    if following is not None:
        found.append(actions(button(f"Done: {following.title}", ids.PATH_DONE, str(following.id), "primary"),
                             block_id=f"path:{path.id}"))
    else:
        found.append(context("Finished :tada:"))
    return found


def my_paths(paths: Sequence[MyPath], limit: int = 20) -> list[Block]:
    """My path: every path (up to `limit`), or a line saying there is none."""
    if not paths:
        return [context("No learning paths for you yet. When your team is given one, it shows here.")]
    found = [block for path in paths[:limit] for block in my_path(path)]
    if len(paths) > limit:
        found.append(context(f"And {plural(len(paths) - limit, 'more path')}: `/learn path` shows them all."))
    return found


def my_paths_reply(paths: Sequence[MyPath]) -> dict[str, Any]:
    """`/learn path`'s ephemeral answer."""
    return message("My learning paths", [section("*My path*"), *my_paths(paths)])


def started(new: bool, paths: Sequence[MyPath]) -> dict[str, Any]:
    """"Start this path" pressed: said so, and My path as it is now."""
    text = "Started: it is in your My path (Home tab, `/learn path`)." if new else "It is in your My path already."
    return message(text, [section(text), *my_paths(paths)])


def reflection_modal(step_id: int, title: str) -> dict[str, Any]:
    return modal(ids.PATH_REFLECT, "Reflect on the step", "Save", [
        section(f"Done: *{escape(truncate(title, 200))}*. One line, for you and your supervisor:"),
        plain_input(ids.PATH_REFLECT, "What will you do differently?", max_length=500)], str(step_id))


def _names(people: Sequence[str]) -> str:
    return first_few([mention(p) for p in people], SHOWN_NAMES)


def team_lines(team: TeamProgress) -> str:
    """A team's paths: who is done, behind, overdue; then its latest reflections, as many as fit one section
    whole (a mention cut in the middle would show its markup)."""
    lines = [f"*{escape(truncate(team.name, 100))}*"]
    for p in team.paths:
        lines.append(f"• {escape(truncate(p.title, 80))} (due {due_text(p.due)}): {len(p.done)} of {p.people} done")
        lines += [f"    {what}: {_names(people)}" for what, people in
                  (("done", p.done), ("behind", p.behind), ("overdue", p.overdue)) if people]
    lines += [f"{quote(r.text, 150)} — {mention(r.user_id)} on {escape(truncate(r.step, 40))}"
              for r in team.reflections]
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > SECTION_LIMIT:
            break
        kept.append(line)
    return "\n".join(kept)


def home_paths(paths: Sequence[MyPath], led: Sequence[TeamProgress], may_create: bool) -> list[Block]:
    """App Home's sections: My path, and for supervisors and managers their teams' completion."""
    head = section("*My path*", button("New learning path", ids.PATH_NEW, "new") if may_create else None)
    found = [head, *my_paths(paths, SHOWN_PATHS)]
    if led:
        found.append(section("*My teams' learning paths*"))
        found += [section(team_lines(team)) for team in led]
    return found


def assigned(path: MyPath, by: str) -> dict[str, Any]:
    """A member's DM: a new path for their team, due …, with its first step."""
    due = f", due {due_text(path.due)}" if path.due else ""
    return message(f"New learning path: {escape(path.title)}{due}", [
        section(f"{mention(by)} gave your team a learning path: *{escape(path.title)}*{due}, "
                f"{plural(len(path.steps), 'step')}."),
        *my_path(path),
        context("Your paths are in the bot's Home tab and `/learn path`."),
    ])


def finished(path: MyPath) -> dict[str, Any]:
    return message(f"You finished “{escape(path.title)}”", [section(
        f":tada: You finished *{escape(path.title)}*: all {plural(len(path.steps), 'step')} done. Well done!")])


def team_note(week: str, led: Sequence[TeamProgress]) -> dict[str, Any]:
    """A supervisor's weekly note on their teams' paths."""
    return message(f"Your teams' learning paths ({week})", [
        section(f"*Your teams' learning paths · {week}*"), *[section(team_lines(team)) for team in led[:10]],
        context("The Home tab shows the latest at any time.")])


def path_for_asker(question: str, title: str, steps: int, path_id: int, due: date | None) -> dict[str, Any]:
    """An andon card's asker: the course they waited for is published as a path; Start this path."""
    due_line = f", due {due_text(due)}" if due else ""
    return message(f"The course you waited for is here: {escape(title)}", [
        section(f"You asked:\n{quote(question)}\nA learning path answers it now: *{escape(title)}*, "
                f"{plural(steps, 'step')}{due_line}."),
        actions(button("Start this path", ids.PATH_START, str(path_id), "primary")),
    ])


def completion_lines(rows: Sequence[TeamCompletion]) -> list[str]:
    """The digest: completion per team."""
    return [f"• {escape(t.name)}: {t.finished} of {t.people} finished" + (f", {t.overdue} overdue" if t.overdue else "")
            for t in rows]


def trend_lines(rows: Sequence[Trend]) -> list[str]:
    """The digest: did questions on a card's topic go down once its path was published?"""
    return [f"• {escape(t.label)}: {plural(t.before, 'question')} in the 4 weeks before the path “{escape(t.title)}”, "
            f"{t.since} since ({plural(t.weeks_since, 'week')})" for t in rows]

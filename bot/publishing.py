"""Publishing for a team: a supervisor (or a content owner in the team) adds an item that only that
team sees, aligned with a competency of L&D's framework. It goes live at once in every process (the
index follows the change log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import access, teams, trust
from bot.config import Settings
from bot.importing import MAX_TITLE, MAX_URL
from bot.library import Draft, item_key, upsert_item
from bot.refusal import Refusal
from store.models import Competency, LibraryItem, Team
from store.queries import contains_ignoring_case

MAX_SUMMARY = 3000
MAX_TEAMS_SHOWN = 100  # a static_select holds at most 100 options
MAX_COMPETENCIES_SHOWN = 100  # an external_select's options, per query
NO_FRAMEWORK = ("L&D hasn't imported a competency framework yet, and every published item needs a competency. "
                "Ask a learning manager to import one.")
NO_TEAM = "You can publish for the teams you supervise (or, as a content owner, the teams you're in); you have none."


def publishable_teams(session: Session, settings: Settings, user_id: str, query: str = "",
                      limit: int = MAX_TEAMS_SHOWN) -> list[Team]:
    """The teams `user_id` may publish for (`access.may_publish`) whose name contains `query` (case
    ignored), by name, at most `limit`: any team for a learning manager; else every team under the ones
    they supervise and, as a content owner, their own teams."""
    if access.is_learning_manager(session, settings, user_id):
        return teams.search(session, query, None, limit)
    allowed: set[int] = set()
    for team in teams.supervised_teams(session, user_id):
        allowed |= teams.below(session, team.id)
    if access.is_content_owner(session, user_id):
        allowed |= set(teams.team_ids_of(session, user_id))
    return teams.search(session, query, allowed, limit) if allowed else []


def may_publish_somewhere(session: Session, settings: Settings, user_id: str) -> bool:
    return bool(publishable_teams(session, settings, user_id, limit=1))


def has_framework(session: Session) -> bool:
    return session.scalar(select(Competency.id).limit(1)) is not None


@dataclass(frozen=True)
class PublishForm:
    """What the publish modal's team menu offers: `teams` (by name), or a menu searched as one types for
    a learning manager (any team) and for more than MAX_TEAMS_SHOWN teams; `default` preselected."""

    teams: list[Team]
    searched: bool
    default: Team | None


def publish_form(session: Session, settings: Settings, user_id: str) -> PublishForm:
    """The publish modal's team menu; a Refusal when there is nothing to publish for or with."""
    if not has_framework(session):
        raise Refusal(NO_FRAMEWORK)
    found = publishable_teams(session, settings, user_id, limit=MAX_TEAMS_SHOWN + 1)
    if not found:
        raise Refusal(NO_TEAM)
    home = teams.home_team(session, user_id)
    default = session.get(Team, home) if home is not None and access.may_publish(
        session, settings, user_id, home) else None
    if len(found) > MAX_TEAMS_SHOWN or access.is_learning_manager(session, settings, user_id):
        return PublishForm([], True, default)
    return PublishForm(found, False, default or found[0])


def competencies(session: Session, query: str, limit: int = MAX_COMPETENCIES_SHOWN) -> list[Competency]:
    """The framework's competencies whose name or id contains `query` (case ignored), by name, at most `limit`."""
    query = query.strip()
    return list(session.scalars(select(Competency).where(
        contains_ignoring_case(Competency.name, query) | contains_ignoring_case(Competency.id, query))
        .order_by(Competency.name).limit(limit)))


def competency_name(session: Session, competency_id: str | None) -> str:
    found = session.get(Competency, competency_id) if competency_id else None
    return found.name if found else ""


@dataclass(frozen=True)
class Submitted:
    """What the publish modal was submitted with (None where nothing was picked)."""

    title: str
    url: str
    summary: str
    competency: str | None
    audience: int | None


def _in_library(session: Session, key: str) -> bool:
    return session.scalar(select(LibraryItem.id).where(LibraryItem.key == key)) is not None


def publish_errors(session: Session, form: Submitted) -> dict[str, str]:
    """What is wrong, by field (title, url, summary, competency, audience); empty when it can be published.
    The rules are the library's (bot.importing): a title, an optional http(s) link."""
    errors = {}
    if not form.title:
        errors["title"] = "A title, please."
    elif len(form.title) > MAX_TITLE:
        errors["title"] = f"At most {MAX_TITLE} characters, please."
    if form.url and (len(form.url) > MAX_URL or not form.url.lower().startswith(("http://", "https://"))):
        errors["url"] = "A link starting with http:// or https://."
    elif form.url and _in_library(session, item_key(form.title, form.url)):
        errors["url"] = "The library has this already: that link is in it."
    # an item of that title without a link is refused with a link too: the library would update that item
    if form.title and "title" not in errors and _in_library(session, item_key(form.title, None)):
        errors["title"] = "The library has this already: an item with that title is in it."
    if len(form.summary) > MAX_SUMMARY:
        errors["summary"] = f"At most {MAX_SUMMARY} characters, please."
    if form.competency is None or session.get(Competency, form.competency) is None:
        errors["competency"] = "Choose a competency from L&D's framework."
    if form.audience is None:
        errors["audience"] = "Choose the team it is for."
    return errors


def publish(session: Session, settings: Settings, now: datetime, *, user_id: str, form: Submitted) -> LibraryItem:
    """Add the item for the team, owned by its publisher and verified by them now, live at once; commits.

    Refused for anyone who may not publish for that team, and for an invalid form (`publish_errors`)."""
    if form.audience is None or not access.may_publish(session, settings, user_id, form.audience) \
            or session.get(Team, form.audience) is None:
        raise Refusal("You can only publish for a team you supervise (or, as a content owner, one you're in).")
    errors = publish_errors(session, form)
    if errors:
        raise Refusal(next(iter(errors.values())))
    draft = Draft(form.title, form.url or None, form.summary, owner=user_id, audience=form.audience,
                  competency=form.competency)
    item, _ = upsert_item(session, draft, now, source="published", created_by=user_id)
    if user_id in access.item_verifiers(session, settings, item.owner_id, item.audience_id):
        trust.mark_verified(item, user_id, now)
    session.commit()
    return item

"""Learning paths: an ordered list of library items, assigned to a team with a due date, done step by step.

A learning manager (any team) or a supervisor (their teams) publishes a path for a team: every member
of the team (and of the teams under it, for a department), now and later, has it in "My path" and is
told once. A person marks a step done (once, however often they press), then reflects on it in one
line; the last step done finishes the path. A person may also start a path outside their teams'
assignments (an enrolment): the askers of an andon card whose course was published as a path.

A person on a path is *done* (every step), *overdue* (not done, past the due date) or *behind* (not
done yet, not overdue). Supervisors see this per team in App Home and once a week in a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from bot import access, andon, teams
from bot.config import Settings
from bot.learning_needs import Course, planned_course, shippable
from bot.outbox import enqueue, enqueue_new
from bot.refusal import Refusal
from store.models import (AndonCard, Competency, ItemState, LearningNeed, LearningPath, LibraryItem, OutboxMessage,
                          PathAssignment, PathEnrolment, PathStep, Question, StepCompletion, Team, TeamMember, TeamRole)
from store.queries import equals_ignoring_case

PATH_ASSIGNED = "path_assigned"  # each member's DM: a new path, due …, its first step
PATH_FINISHED = "path_finished"  # the congratulation when a person's last step is done
PATH_TEAM_NOTE = "path_team_note"  # a supervisor's weekly note (ref: the ISO week as 202649)
PATH_FOR_ASKER = "path_for_asker"  # an andon card's asker: the course they waited for is a path now (ref: the need)
MAX_STEPS = 10
MAX_REFLECTION = 500
TREND_WEEKS = 4


@dataclass(frozen=True)
class PathDraft:
    """What the path modal was submitted with: the steps are lines, each an item's exact title or link."""

    title: str
    competency_id: str | None
    steps: str
    team_id: int | None
    due: date | None


# -- who may create paths, for which teams ---------------------------------------------------------

def leadable_teams(session: Session, settings: Settings, user_id: str, query: str = "",
                   limit: int | None = None) -> list[Team]:
    """The teams `user_id` may assign paths to whose name contains `query`, by name, at most `limit`: any team
    for a learning manager, else the teams they supervise and every team under those."""
    if access.is_learning_manager(session, settings, user_id):
        return teams.search(session, query, None, limit)
    led: set[int] = set()
    for team in teams.supervised_teams(session, user_id):
        led |= teams.below(session, team.id)
    return teams.search(session, query, led, limit) if led else []


def may_create(session: Session, settings: Settings, user_id: str) -> bool:
    """Whether the person may create paths at all: a learning manager, or a supervisor of some team."""
    return access.is_learning_manager(session, settings, user_id) or bool(teams.supervised_teams(session, user_id))


def require_may_create(session: Session, settings: Settings, user_id: str, limit: int | None = None) -> list[Team]:
    """The teams `user_id` leads (at most `limit`); refused for anyone who leads none."""
    found = leadable_teams(session, settings, user_id, limit=limit)
    if not found and not access.is_learning_manager(session, settings, user_id):
        raise Refusal("Only learning managers and team supervisors can create learning paths.")
    return found


def learners(session: Session, team_id: int) -> list[str]:
    """Who learns a path given to the team: its members and those of every team under it (supervisors lead)."""
    return list(dict.fromkeys(session.scalars(select(TeamMember.user_id).where(
        TeamMember.team_id.in_(teams.below(session, team_id)), TeamMember.role == TeamRole.MEMBER)
        .order_by(TeamMember.id))))


# -- the draft's checks ----------------------------------------------------------------------------

def _visible_to(session: Session, team_id: int | None) -> ColumnElement[bool]:
    """Items the team's members all see (its own, its departments', the organisation's); without a team,
    the organisation's only."""
    if team_id is None:
        return LibraryItem.audience_id.is_(None)
    return or_(LibraryItem.audience_id.is_(None),
               LibraryItem.audience_id.in_(teams.with_departments(session, [team_id])))


def match_steps(session: Session, team_id: int | None, text: str) -> tuple[list[int], list[str]]:
    """Each non-blank line matched to one active item the team (without one: everyone) can see, by its link
    or its exact title (ignoring case, `equals_ignoring_case`): the item ids in order, and a problem per line
    that matched none or several."""
    found: list[int] = []
    problems: list[str] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    visible, who = _visible_to(session, team_id), "everyone" if team_id is None else "the team"
    for number, line in enumerate(lines, start=1):
        wanted = line.strip("<>").split("|")[0]  # a link Slack formatted as <url|label>
        rows = session.scalars(select(LibraryItem.id).where(
            LibraryItem.state == ItemState.ACTIVE, visible,
            or_(LibraryItem.url == wanted, equals_ignoring_case(LibraryItem.title, line))).limit(2)).all()
        if not rows:
            problems.append(f"line {number} “{line[:60]}”: no item {who} can see has that title or link")
        elif len(rows) > 1:
            problems.append(f"line {number} “{line[:60]}”: several items match; paste its link instead")
        else:
            found.append(rows[0])
    return found, problems


def draft_errors(session: Session, settings: Settings, now: datetime, user_id: str, draft: PathDraft, *,
                 for_card: bool = False) -> tuple[dict[str, str], list[int]]:
    """What is wrong with a draft, by field (title, competency, steps, team, due), and the steps' items.

    `for_card`: the course planned for an andon card, told to its askers, who come from any team: the team
    is optional and every step must be an item the whole organisation sees."""
    errors: dict[str, str] = {}
    if not draft.title.strip():
        errors["title"] = "Give the path a title."
    if draft.competency_id and session.get(Competency, draft.competency_id) is None:
        errors["competency"] = "That competency is not in the framework."
    if draft.team_id is None:
        if not for_card:
            errors["team"] = "Choose the team."
    elif session.get(Team, draft.team_id) is None:
        errors["team"] = "I can't find that team any more."
    elif not access.may_lead_team(session, settings, user_id, draft.team_id):
        errors["team"] = "You can only assign paths to the teams you lead."
    if draft.due is None:
        errors["due"] = "Choose a due date."
    elif draft.due < now.astimezone(settings.timezone).date():
        errors["due"] = "The due date is in the past; choose today or later."
    if sum(1 for line in draft.steps.splitlines() if line.strip()) > MAX_STEPS:  # told before a query per line
        errors["steps"] = f"At most {MAX_STEPS} steps, please."
        return errors, []
    items, problems = match_steps(session, None if for_card or "team" in errors else draft.team_id, draft.steps)
    if problems:
        errors["steps"] = "; ".join(problems)[:1000]
    elif not items:
        errors["steps"] = "List the items, one per line: each item's exact title or its link."
    return errors, items


# -- publishing ------------------------------------------------------------------------------------

def publish(session: Session, settings: Settings, now: datetime, *, user_id: str, draft: PathDraft,
            card_id: int | None = None) -> LearningPath:
    """Publish the path and assign it to the draft's team; every member is told once; commits.

    With `card_id`, the path is the course planned for that andon card: only its owner or a learning
    manager publishes it, the team is optional, the card counts as shipped, and every asker on it is told.
    """
    need, card = None, None
    if card_id is not None:
        card = shippable(session, settings, card_id=card_id, user_id=user_id)
        need = andon.learning_need(session, card_id)
    else:
        require_may_create(session, settings, user_id, limit=1)  # a check: one team is enough
    errors, items = draft_errors(session, settings, now, user_id, draft, for_card=need is not None)
    if errors:
        raise Refusal(next(iter(errors.values())))
    path = LearningPath(title=draft.title.strip()[:200], competency_id=draft.competency_id or None,
                        created_by=user_id, created_at=now, published_at=now)
    session.add(path)
    session.flush()
    session.add_all(PathStep(path_id=path.id, position=n, item_id=item) for n, item in enumerate(items, start=1))
    if draft.team_id is not None:
        session.add(PathAssignment(path_id=path.id, team_id=draft.team_id, assigned_by=user_id, assigned_at=now,
                                   due_on=draft.due))
        enqueue_new(session, PATH_ASSIGNED, path.id, now, learners(session, draft.team_id))  # a new path: one INSERT
    if need is not None and card is not None:
        need.path_id = path.id
        andon.ship(session, card, user_id, now, items[0])
        askers = session.scalars(select(Question.asker_id).where(Question.andon_card_id == need.card_id).distinct())
        for asker in sorted(askers):
            enqueue(session, PATH_FOR_ASKER, need.id, now, key=asker, args={"user": asker, "due": str(draft.due)})
        andon.changed(session, card, now)
    session.commit()
    return path


def created_by(session: Session, path_id: int) -> str:
    return session.get_one(LearningPath, path_id).created_by


def need_title(session: Session, card_id: int) -> str:
    """What the course planned for the card is to teach: the path's title to start with."""
    need = andon.learning_need(session, card_id)
    return need.need if need else ""


def need_path(session: Session, need_id: int, reader: str) -> tuple[Course | None, MyPath | None]:
    """The course planned on a card (named by `reader`'s question) and the path published for it."""
    need = session.get(LearningNeed, need_id)
    path = session.get(LearningPath, need.path_id) if need and need.path_id else None
    if path is None:
        return None, None
    return planned_course(session, need_id, reader), MyPath(path.id, path.title, None, steps_of(session, path.id))


def start(session: Session, now: datetime, *, user_id: str, path_id: int, due: date | None = None) -> bool:
    """"Start this path": it joins the person's My path (an enrolment); False if it was there already. Commits."""
    path = session.get(LearningPath, path_id)
    if path is None or path.published_at is None:
        raise Refusal("I can't find that path any more.")
    if path_id in _path_ids(session, user_id):
        return False
    try:
        with session.begin_nested():
            session.add(PathEnrolment(path_id=path_id, user_id=user_id, started_at=now, due_on=due))
    except IntegrityError:  # a double click
        return False
    session.commit()
    return True


# -- My path ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    id: int
    position: int
    title: str
    url: str | None
    done: bool


@dataclass(frozen=True)
class MyPath:
    id: int
    title: str
    due: date | None
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def finished(self) -> bool:
        return self.done == len(self.steps)

    @property
    def next_step(self) -> Step | None:
        return next((step for step in self.steps if not step.done), None)


def _assigned_due(session: Session, user_id: str) -> dict[int, date]:
    """The paths assigned to the teams the person is a member of (or departments above them): the earliest due
    date of each."""
    joined = session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id,
                                                              TeamMember.role == TeamRole.MEMBER))
    audiences = teams.with_departments(session, joined)
    if not audiences:
        return {}
    rows = session.execute(select(PathAssignment.path_id, func.min(PathAssignment.due_on))
                           .where(PathAssignment.team_id.in_(audiences)).group_by(PathAssignment.path_id))
    return {path_id: due for path_id, due in rows}


def _path_ids(session: Session, user_id: str) -> set[int]:
    enrolled = session.scalars(select(PathEnrolment.path_id).where(PathEnrolment.user_id == user_id))
    return set(_assigned_due(session, user_id)) | set(enrolled)


def steps_of(session: Session, path_id: int, user_id: str | None = None) -> list[Step]:
    """The path's steps in order, each with its item, done by `user_id` or not."""
    done = set(session.scalars(select(StepCompletion.step_id).join(PathStep, PathStep.id == StepCompletion.step_id)
                               .where(PathStep.path_id == path_id, StepCompletion.user_id == user_id))) \
        if user_id else set()
    rows = session.execute(select(PathStep.id, PathStep.position, LibraryItem.title, LibraryItem.url)
                           .join(LibraryItem, LibraryItem.id == PathStep.item_id)
                           .where(PathStep.path_id == path_id).order_by(PathStep.position))
    return [Step(step_id, position, title, url, step_id in done) for step_id, position, title, url in rows]


def my_paths(session: Session, user_id: str) -> list[MyPath]:
    """The person's paths (their teams' assignments and their enrolments), unfinished first, by due date."""
    due = _assigned_due(session, user_id)
    for path_id, enrolled_due in session.execute(select(PathEnrolment.path_id, PathEnrolment.due_on)
                                                 .where(PathEnrolment.user_id == user_id)):
        due.setdefault(path_id, enrolled_due)
    paths = session.scalars(select(LearningPath).where(LearningPath.id.in_(due),
                                                       LearningPath.published_at.is_not(None))).all()
    mine = [MyPath(p.id, p.title, due[p.id], steps_of(session, p.id, user_id)) for p in paths]
    return sorted(mine, key=lambda p: (p.finished, p.due or date.max, p.id))


def path_of(session: Session, path_id: int, user_id: str) -> MyPath | None:
    """One of the person's paths (None if it is not theirs)."""
    return next((p for p in my_paths(session, user_id) if p.id == path_id), None)


# -- Done, and the reflection ----------------------------------------------------------------------

@dataclass(frozen=True)
class Completed:
    step_id: int
    title: str  # the step's item
    new: bool  # False: it was done already (a double click)
    path: MyPath


def complete_step(session: Session, now: datetime, *, user_id: str, step_id: int) -> Completed:
    """The person marks one of their steps done (once); finishing the path queues a congratulation. Commits."""
    step = session.get(PathStep, step_id)
    if step is None or step.path_id not in _path_ids(session, user_id):
        raise Refusal("That step is not on your path.")
    new = session.scalar(select(StepCompletion.id).where(StepCompletion.step_id == step_id,
                                                         StepCompletion.user_id == user_id)) is None
    if new:
        try:
            with session.begin_nested():
                session.add(StepCompletion(step_id=step_id, user_id=user_id, done_at=now))
        except IntegrityError:  # the other click got there first
            new = False
    path = path_of(session, step.path_id, user_id)
    assert path is not None
    if new and path.finished:
        enqueue(session, PATH_FINISHED, path.id, now, key=user_id, args={"user": user_id})
    session.commit()
    title = next(s.title for s in path.steps if s.id == step_id)
    return Completed(step_id, title, new, path)


def reflect(session: Session, now: datetime, *, user_id: str, step_id: int, text: str) -> list[str]:
    """Keep the person's one-line reflection with their done step; returns who supervises them. Commits."""
    text = " ".join(text.split())
    if not text:
        raise Refusal("One line, please: what will you do differently?")
    done = session.scalar(select(StepCompletion).where(StepCompletion.step_id == step_id,
                                                       StepCompletion.user_id == user_id))
    if done is None:
        raise Refusal("Mark the step done first.")
    done.reflection, done.reflected_at = text[:MAX_REFLECTION], now
    session.commit()
    return supervisors_of(session, user_id)


def supervisors_of(session: Session, user_id: str) -> list[str]:
    """Who supervises the person: the supervisors of their teams and of the departments above them."""
    audiences = teams.audiences_of(session, user_id)
    return list(dict.fromkeys(session.scalars(select(TeamMember.user_id).where(
        TeamMember.team_id.in_(audiences), TeamMember.role == TeamRole.SUPERVISOR,
        TeamMember.user_id != user_id).order_by(TeamMember.id)))) if audiences else []


# -- the supervisor's view -------------------------------------------------------------------------

@dataclass(frozen=True)
class PathProgress:
    """Where each member of a team stands on one path."""

    path_id: int
    title: str
    due: date
    steps: int
    done: list[str]
    behind: list[str]  # not done, not overdue
    overdue: list[str]  # not done, past the due date

    @property
    def people(self) -> int:
        return len(self.done) + len(self.behind) + len(self.overdue)


@dataclass(frozen=True)
class Reflected:
    user_id: str
    step: str  # the item's title
    text: str


@dataclass(frozen=True)
class TeamProgress:
    team_id: int
    name: str
    paths: list[PathProgress]
    reflections: list[Reflected]


def _progress(session: Session, paths: list[tuple[int, str, date]], people: list[str],
              today: date) -> list[PathProgress]:
    """Where `people` stand on each of `paths` (id, title, due): two queries for all of them."""
    ids = [path_id for path_id, _, _ in paths]
    if not ids:
        return []
    steps = dict(session.execute(select(PathStep.path_id, func.count()).where(PathStep.path_id.in_(ids))
                                 .group_by(PathStep.path_id)).all())
    counts = {(path_id, user): n for path_id, user, n in session.execute(
        select(PathStep.path_id, StepCompletion.user_id, func.count())
        .join(PathStep, PathStep.id == StepCompletion.step_id)
        .where(PathStep.path_id.in_(ids), StepCompletion.user_id.in_(people))
        .group_by(PathStep.path_id, StepCompletion.user_id))} if people else {}
    found = []
    for path_id, title, due in paths:
        total = steps.get(path_id, 0)
        done = [p for p in people if counts.get((path_id, p), 0) >= total]
        late = [p for p in people if p not in done and today > due]
        found.append(PathProgress(path_id, title, due, total, done,
                                  [p for p in people if p not in done and p not in late], late))
    return found


def team_progress(session: Session, settings: Settings, team: Team, now: datetime,
                  reflections: int = 3) -> TeamProgress:
    """Each path assigned to the team (or a department above it): who in the team is done, behind,
    overdue; and the team's latest reflections on those paths."""
    today = now.astimezone(settings.timezone).date()
    people = learners(session, team.id)
    rows = session.execute(select(LearningPath.id, LearningPath.title, func.min(PathAssignment.due_on))
                           .join(PathAssignment, PathAssignment.path_id == LearningPath.id)
                           .where(PathAssignment.team_id.in_(teams.with_departments(session, [team.id])))
                           .group_by(LearningPath.id, LearningPath.title).order_by(LearningPath.id.desc()).limit(5))
    paths = _progress(session, [(path_id, title, due) for path_id, title, due in rows], people, today)
    latest = session.execute(
        select(StepCompletion.user_id, LibraryItem.title, StepCompletion.reflection)
        .join(PathStep, PathStep.id == StepCompletion.step_id).join(LibraryItem, LibraryItem.id == PathStep.item_id)
        .where(PathStep.path_id.in_([p.path_id for p in paths]), StepCompletion.user_id.in_(people),
               StepCompletion.reflection.is_not(None))
        .order_by(StepCompletion.reflected_at.desc()).limit(reflections)) if paths and people else []
    return TeamProgress(team.id, team.name, paths, [Reflected(*row) for row in latest])


def led_progress(session: Session, settings: Settings, user_id: str, now: datetime,
                 limit: int = 5) -> list[TeamProgress]:
    """The completion of the teams `user_id` supervises (for a learning manager without teams: the teams
    with the most recent assignments), those with paths only."""
    led = teams.supervised_teams(session, user_id)
    if not led and access.is_learning_manager(session, settings, user_id):
        recent = select(PathAssignment.team_id).group_by(PathAssignment.team_id) \
            .order_by(func.max(PathAssignment.id).desc()).limit(limit)
        led = list(session.scalars(select(Team).where(Team.id.in_(recent)).order_by(Team.name)))
    with_paths = _with_paths(session, [team.id for team in led])
    return [team_progress(session, settings, team, now) for team in [t for t in led if t.id in with_paths][:limit]]


def _with_paths(session: Session, team_ids: list[int]) -> set[int]:
    """Those of `team_ids` with a path assigned to them or to a department above them: one query (walks up)."""
    if not team_ids:
        return set()
    up = select(Team.id.label("start"), Team.id.label("team_id"), Team.parent_id.label("parent_id")) \
        .where(Team.id.in_(team_ids)).cte("up", recursive=True)
    up = up.union(select(up.c.start, Team.id, Team.parent_id).where(Team.id == up.c.parent_id))
    return set(session.scalars(select(up.c.start).join(PathAssignment, PathAssignment.team_id == up.c.team_id)
                               .distinct()))


# -- the weekly team note --------------------------------------------------------------------------

def week_ref(now: datetime, settings: Settings) -> int:
    """The ISO week of `now` as a number: 2026-W02 -> 202602."""
    year, week, _ = now.astimezone(settings.timezone).isocalendar()
    return year * 100 + week


def _assigned_trees() -> CTE:
    """(root, team_id): each team with a path assigned, and it and every team under it (a recursive query)."""
    tree = select(PathAssignment.team_id.label("root"), PathAssignment.team_id.label("team_id")) \
        .cte("tree", recursive=True)
    return tree.union(select(tree.c.root, Team.id).where(Team.parent_id == tree.c.team_id))


def queue_team_notes(session: Session, settings: Settings, now: datetime) -> int:
    """Once per ISO week, each supervisor of a team with a path gets their teams' completion; commits."""
    week = week_ref(now, settings)
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.purpose == PATH_TEAM_NOTE,
                                                     OutboxMessage.ref_id == week).limit(1)):
        return 0
    tree = _assigned_trees()
    leads = session.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(select(tree.c.team_id)),
                                                             TeamMember.role == TeamRole.SUPERVISOR).distinct())
    queued = sum(enqueue(session, PATH_TEAM_NOTE, week, now, key=lead, args={"user": lead}) for lead in sorted(leads))
    session.commit()
    return queued


# -- the digest's numbers --------------------------------------------------------------------------

@dataclass(frozen=True)
class TeamCompletion:
    name: str
    people: int  # people × paths assigned
    finished: int
    overdue: int


def completion(session: Session, zone: tzinfo, now: datetime, limit: int = 5) -> list[TeamCompletion]:
    """Completion per team with paths assigned, the teams with the most people on paths first: one query.

    A team's people on a path are its learners (members of it and of every team under it), each once."""
    today = now.astimezone(zone).date()
    tree = _assigned_trees()
    people = select(tree.c.root, TeamMember.user_id).join(TeamMember, TeamMember.team_id == tree.c.team_id) \
        .where(TeamMember.role == TeamRole.MEMBER).distinct().subquery()
    each = select(PathAssignment.team_id, PathAssignment.due_on, people.c.user_id,  # a person on an assigned path
                  func.count(PathStep.id).label("steps"), func.count(StepCompletion.id).label("done")) \
        .join(people, people.c.root == PathAssignment.team_id) \
        .join(PathStep, PathStep.path_id == PathAssignment.path_id) \
        .outerjoin(StepCompletion, and_(StepCompletion.step_id == PathStep.id,
                                        StepCompletion.user_id == people.c.user_id)) \
        .group_by(PathAssignment.id, PathAssignment.team_id, PathAssignment.due_on, people.c.user_id).subquery()
    finished = each.c.done >= each.c.steps
    on_paths = func.count(each.c.user_id)
    rows = session.execute(
        select(Team.name, on_paths, func.count(case((finished, 1))),
               func.count(case((and_(~finished, each.c.due_on < today), 1))))
        .outerjoin(each, each.c.team_id == Team.id).where(Team.id.in_(select(PathAssignment.team_id)))
        .group_by(Team.id, Team.name).order_by(on_paths.desc(), Team.name, Team.id).limit(limit))
    return [TeamCompletion(*row) for row in rows]


@dataclass(frozen=True)
class Trend:
    """Questions on an andon card's topic in the weeks before its path was published, and since."""

    title: str
    label: str
    before: int
    since: int
    weeks_since: int


def trends(session: Session, now: datetime, limit: int = 5) -> list[Trend]:
    """For the paths published for andon cards (latest first): did questions on the topic go down?"""
    rows = session.execute(select(LearningNeed, LearningPath.title)
                           .join(LearningPath, LearningPath.id == LearningNeed.path_id)
                           .where(LearningNeed.shipped_at.is_not(None))
                           .order_by(LearningNeed.shipped_at.desc()).limit(limit)).all()
    found = []
    for need, title in rows:
        shipped = need.shipped_at
        assert shipped is not None
        before = session.scalar(select(func.count()).select_from(Question).where(
            Question.andon_card_id == need.card_id, Question.asked_at >= shipped - timedelta(weeks=TREND_WEEKS),
            Question.asked_at < shipped)) or 0
        card = session.get_one(AndonCard, need.card_id)
        found.append(Trend(title, card.label, before, andon.on_topic_since(session, need.card_id, shipped),
                           max(1, -(-(now - shipped).days // 7))))
    return found

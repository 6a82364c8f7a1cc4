"""Who sees what: a question only ever sees the items of its asker's teams, their departments and the
organisation, on thousands of random asks; and an item whose audience widens is seen at once."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select, update

from bot import asking, teams
from bot.library import Draft, import_items
from bot.runtime import Runtime
from bot.search import ALL_AUDIENCES
from bot.search.changes import ITEM, note_change
from store.models import LibraryItem, Team, TeamMember, TeamRole

SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def words(rng: random.Random, count: int) -> list[str]:
    """Distinct made-up words (stemming leaves them alone: no English suffixes)."""
    found: dict[str, None] = {}
    while len(found) < count:
        found.setdefault("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + "x")
    return list(found)


def random_world(runtime: Runtime, rng: random.Random, now: datetime, *, n_teams: int, n_people: int,
                 n_items: int) -> tuple[dict[int, int | None], dict[str, frozenset[int]], list[tuple[int, str, str]]]:
    """A random team tree, memberships and library: (audience by item id, audiences by person,
    (item id, title, body) of every item)."""
    vocabulary = words(rng, 1500)
    with runtime.sessions() as session:
        team_ids: list[int] = []
        for n in range(n_teams):  # each team hangs under an earlier one (a department), or at the top
            parent = rng.choice(team_ids) if team_ids and rng.random() < 0.7 else None
            team = Team(name=f"team {n}", parent_id=parent, created_at=now)
            session.add(team)
            session.flush()
            team_ids.append(team.id)
        people = [f"U{n:04d}" for n in range(n_people)]
        for person in people:  # some people are in no team at all
            for team_id in rng.sample(team_ids, rng.choice((0, 1, 1, 2, 3))):
                session.add(TeamMember(team_id=team_id, user_id=person, role=rng.choice(list(TeamRole)),
                                       created_at=now))
        drafts = [Draft(" ".join(rng.sample(vocabulary, 4)), None,
                        ". ".join(" ".join(rng.choices(vocabulary, k=9)) for _ in range(3)))
                  for _ in range(n_items)]
        import_items(session, drafts, now)
        session.flush()
        audience: dict[int, int | None] = {}
        items = []
        for item in session.scalars(select(LibraryItem)):
            audience[item.id] = None if rng.random() < 0.3 else rng.choice(team_ids)
            items.append((item.id, item.title, item.body))
        for item_id, team_id in audience.items():
            session.execute(update(LibraryItem).where(LibraryItem.id == item_id).values(audience_id=team_id))
        session.commit()
        seen = {person: teams.audiences_of(session, person) for person in people}
    runtime.index.load(now)
    return audience, seen, items


def test_thousands_of_random_asks_never_see_an_item_outside_the_askers_audiences(runtime: Runtime) -> None:
    rng = random.Random(14)
    now = runtime.clock.now()
    audience, seen, items = random_world(runtime, rng, now, n_teams=40, n_people=80, n_items=500)
    people = sorted(seen)
    shown = title_asks = hidden_titles = 0
    for _ in range(3000):
        person = rng.choice(people)
        visible = seen[person]
        item_id, title, body = rng.choice(items)
        exact = rng.random() < 0.3
        words_of_item = f"{title} {body}".replace(".", "").split()
        question = title if exact else " ".join(rng.sample(words_of_item, rng.randint(2, 5)))

        hits = runtime.index.search(question, limit=5, audiences=visible).content

        outside = [h.id for h in hits if audience[int(h.id)] is not None and audience[int(h.id)] not in visible]
        assert outside == [], (person, question)
        shown += len(hits)
        if exact and (audience[item_id] is None or audience[item_id] in visible):
            title_asks += 1
            assert hits and hits[0].id == item_id, (person, question)  # what one sees is still found first
        elif exact:
            hidden_titles += 1
    assert shown > 3000 and title_asks > 200 and hidden_titles > 200  # the asks did test both sides


def test_no_audiences_sees_only_organisation_wide_items_and_all_audiences_sees_everything(runtime: Runtime) -> None:
    rng = random.Random(15)
    audience, _, items = random_world(runtime, rng, runtime.clock.now(), n_teams=10, n_people=5, n_items=120)
    for item_id, title, _ in items:
        default = [h.id for h in runtime.index.search(title).content]
        assert all(audience[int(i)] is None for i in default)
        assert (default[:1] == [item_id]) == (audience[item_id] is None)
        assert runtime.index.search(title, audiences=ALL_AUDIENCES).content[0].id == item_id


def test_an_item_whose_audience_changes_is_seen_by_its_new_audience_after_a_refresh(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        department = Team(name="Customer", created_at=now)
        session.add(department)
        session.flush()
        support, sales = (Team(name=n, parent_id=department.id, created_at=now) for n in ("Support", "Sales"))
        session.add_all([support, sales])
        session.flush()
        session.add_all([TeamMember(team_id=support.id, user_id="U0SUE", created_at=now),
                         TeamMember(team_id=sales.id, user_id="U0SAL", created_at=now)])
        import_items(session, [Draft("Refund escalation ladder", None, "Tier two approves refunds.")], now)
        item = session.scalars(select(LibraryItem)).one()
        item.audience_id = support.id  # published for Support
        note_change(session, ITEM, item.id, now)
        session.commit()
        item_id = item.id
        sue, sal = teams.audiences_of(session, "U0SUE"), teams.audiences_of(session, "U0SAL")
        department_id = department.id
    runtime.index.refresh(now)
    question = "refund escalation ladder"
    assert [h.id for h in runtime.index.search(question, audiences=sue).content] == [item_id]
    assert runtime.index.search(question, audiences=sal).content == []

    with runtime.sessions() as session:  # a share with the department is approved (in another process)
        session.execute(update(LibraryItem).values(audience_id=department_id))
        note_change(session, ITEM, item_id, now)
        session.commit()
    assert runtime.index.search(question, audiences=sal).content == []  # not before the refresh
    runtime.index.refresh(now)
    assert [h.id for h in runtime.index.search(question, audiences=sal).content] == [item_id]
    assert runtime.index.search(question).content == []  # still not the organisation's


def test_an_answer_sent_again_leaves_out_an_item_the_asker_no_longer_sees(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.sessions() as session:
        import_items(session, [Draft("Refund escalation ladder", None, "Tier two approves refunds."),
                               Draft("Refund form", None, "Fill in the refund form.")], now)
        ladder, form = session.scalars(select(LibraryItem).order_by(LibraryItem.id)).all()
        question_id = asking.store(session, now, asker_id="U0SAL", text="refund escalation", asked_in=None)
        team = Team(name="Support", created_at=now)
        session.add(team)
        session.flush()
        ladder.audience_id = team.id  # narrowed after it was offered
        session.commit()
        outcome = asking.told(session, runtime.settings, question_id, [(ladder.id, False, 90.0), (form.id, False, 80.0)], now)
    assert outcome is not None and [o.title for o in outcome.offers] == ["Refund form"]

"""Upgrading a database at 0008 (before teams) keeps its rows: items become organisation-wide,
questions have no team, the card and its learning need are kept as they were."""

from __future__ import annotations

from sqlalchemy import select, text

from store.db import make_engine, session_factory, upgrade
from store.models import AndonCard, LearningNeed, LibraryItem, Question

T = "'2026-01-01 00:00:00'"
ROWS = [
    "INSERT INTO library_items (id, key, title, url, body, tags, source, created_at, updated_at) "
    f"VALUES (1, 'k1', 'VPN', 'https://x.example/vpn', '', 'vpn', 'import', {T}, {T})",
    "INSERT INTO andon_cards (id, label, status, version, created_at, notified_at, notify_count) "
    f"VALUES (1, 'torque wrench', 'open', 1, {T}, {T}, 0)",
    "INSERT INTO questions (id, asker_id, text, anonymous, status, asked_at, andon_card_id) "
    f"VALUES (1, 'U0ALICE', 'torque wrench interval?', false, 'routed', {T}, 1)",
    "INSERT INTO learning_needs (id, card_id, need, owner_id, due_on, planned_by, planned_at) "
    f"VALUES (1, 1, 'torque basics', 'U0DAVE', '2026-02-01', 'U0MANAGER', {T})",
]


def test_upgrading_from_0008_keeps_rows_items_org_wide_questions_without_team(database_url: str) -> None:
    eng = make_engine(database_url)
    try:
        upgrade(eng, "0008")
        with eng.begin() as conn:
            for sql in ROWS:
                conn.execute(text(sql))
        upgrade(eng)
        with session_factory(eng)() as session:
            [item] = session.scalars(select(LibraryItem)).all()
            assert (item.title, item.audience_id, item.competency_id) == ("VPN", None, None)
            [question] = session.scalars(select(Question)).all()
            assert (question.text, question.andon_card_id, question.team_id) == ("torque wrench interval?", 1, None)
            [card] = session.scalars(select(AndonCard)).all()
            assert (card.label, card.status) == ("torque wrench", "open")
            [need] = session.scalars(select(LearningNeed)).all()
            assert (need.need, need.card_id, need.path_id) == ("torque basics", 1, None)
    finally:
        eng.dispose()

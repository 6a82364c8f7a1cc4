"""Stale items in the matcher: below a fresh item of equal match, never the confident answer past the grace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.search import ItemRecord, MatchIndex
from bot.search.engine import STALE_GRACE

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
BODY = "Open the self-service portal, choose VPN, then Reset password."


def index(*items: ItemRecord) -> MatchIndex:
    built = MatchIndex()
    for item in items:
        built.upsert_item(item)
    return built


def test_a_stale_item_ranks_below_a_fresh_one_of_equal_match() -> None:
    stale = ItemRecord(1, "Resetting your VPN password", BODY, review_due=NOW - timedelta(days=1))
    fresh = ItemRecord(2, "Resetting your VPN password", BODY, review_due=NOW + timedelta(days=1))
    found = index(stale, fresh)

    without_time = found.search("how do I reset my vpn password").content
    with_time = found.search("how do I reset my vpn password", now=NOW, explain=True).content

    assert without_time[0].score == without_time[1].score  # an equal match
    assert [h.id for h in with_time] == [2, 1]
    assert with_time[1].explanation is not None and with_time[1].explanation.parts["stale"] < 0


def test_past_the_grace_a_stale_item_is_never_the_confident_answer() -> None:
    due = NOW - timedelta(days=1)
    found = index(ItemRecord(1, "Resetting your VPN password", BODY, review_due=due))
    query = "how do I reset my vpn password"

    assert found.search(query, now=NOW).confident  # stale, within the grace: still the answer
    assert not found.search(query, now=due + STALE_GRACE).confident
    assert found.search(query, now=due + STALE_GRACE).content[0].id == 1  # still offered as related
    assert found.search(query).confident  # without a time (the quality bench) nothing is stale


def test_items_without_a_review_date_never_go_stale() -> None:
    found = index(ItemRecord(1, "Resetting your VPN password", BODY))
    assert found.search("how do I reset my vpn password", now=NOW + timedelta(days=10_000)).confident

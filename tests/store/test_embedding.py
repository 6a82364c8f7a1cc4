"""Background embedding on both databases: a start answers by words at once, the embedder stores
vectors chunk by chunk (two passes), every live index picks them up, a stopped run resumes, a model
change recomputes, and two embedders at once (PostgreSQL) never embed a text twice.

Needs the `semantic` extra (skipped without it, failed under CI): the real packaged model, nothing
downloaded.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.search.changes import ITEM, note_change
from bot.search.embedder import CHUNK, EmbedStatus, Embedder, embedding_status
from bot.search.live import LiveIndex
from bot.search.stored_vectors import FIRST_LINES, ITEM_FIRST
from store.db import make_engine, session_factory, upgrade
from store.models import Embedding, ItemState, LibraryItem
from tests.semantic import Counting, real_encoder

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
PARAPHRASE = "How can I cross out text on GitHub?"
SHORT = [  # (title, body): two lines each, the title line in the first pass, the other in the second
    ("Strikethrough with GitHub Markdown", "Wrap the words in two tildes."),
    ("Creating a GitHub repository", "Click New, choose a name and an owner."),
    ("Resetting your VPN password", "Open the self-service portal and choose reset."),
    ("Booking a meeting room", "Use the calendar to reserve rooms."),
]
BODY_LINES = 6  # a longer item: its title line and six sentences
LONG = [(f"Site {n} handbook", ". ".join(f"Rule {r} of site {n} is about {topic}" for r, topic in enumerate(
    ("parking", "badges", "fire drills", "canteen hours", "forklift licences", "visitors")))) for n in range(4)]


@pytest.fixture
def encoder() -> Any:
    return real_encoder("onnx")


def _sessions(url: str, items: list[tuple[str, str]], spacing: int = 1) -> sessionmaker[Session]:
    """A migrated database holding ``items``, with ids ``spacing`` apart (CHUNK: one chunk each)."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        for n, (title, body) in enumerate(items):
            session.add(LibraryItem(id=1 + n * spacing, key=f"item-{n}", title=title, body=body, tags="",
                                    created_at=NOW, updated_at=NOW))
        session.commit()
    return sessions


def _status(sessions: sessionmaker[Session], encoder: Any) -> EmbedStatus:
    with sessions() as session:
        return embedding_status(session, encoder.model_id)


def test_a_start_answers_by_words_at_once_then_by_meaning_once_embedded(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, SHORT)
    counting = Counting(encoder)
    live = LiveIndex(sessions, encoder=counting)
    live.load(NOW)
    assert counting.documents == 0  # the start embedded nothing
    assert _status(sessions, encoder).summary() == "0 of 4 items embedded, 0 by title only, 4 not yet"
    by_words = live.search("strikethrough github markdown")
    assert by_words.content[0].id == 1 and by_words.confident  # words alone, as confident as word matching
    assert live.search(PARAPHRASE).content[0].id != 1

    report = Embedder(sessions, encoder, lambda: NOW).run()
    assert (report.embedded, report.busy, report.stopped) == (8, 0, False)  # titles, then the other lines
    assert _status(sessions, encoder) == EmbedStatus(items=4, embedded=4, first_pass=0)
    assert live.refresh(NOW) == 8  # the embedder logged a change per item and pass
    found = live.search(PARAPHRASE, explain=True).content[0]
    assert found.id == 1 and found.explanation is not None and found.explanation.parts["semantic"] > 0
    assert counting.documents == 0  # the index read the stored vectors; only questions are embedded

    restarted = Counting(encoder)
    again = LiveIndex(sessions, encoder=restarted)
    again.load(NOW)
    assert again.search(PARAPHRASE).content[0].id == 1 and restarted.documents == 0


def test_a_stopped_run_resumes_with_the_rest_and_nothing_is_embedded_twice(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, LONG, spacing=CHUNK)  # one chunk per item and pass
    stop = threading.Event()
    first = Counting(encoder)
    done: list[int] = []

    def progress(texts: int) -> None:
        done.append(texts)
        if len(done) == 2:
            stop.set()

    report = Embedder(sessions, first, lambda: NOW).run(stop=stop, progress=progress)
    assert (report.embedded, report.stopped, done) == (2, True, [1, 2])  # two first passes, then stopped
    assert first.documents == 2
    assert _status(sessions, encoder) == EmbedStatus(items=4, embedded=0, first_pass=2)
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Embedding.kind == ITEM_FIRST)) == 2

    second = Counting(encoder)
    resumed = Embedder(sessions, second, lambda: NOW)
    assert [(c.kind, len(c.texts)) for c in resumed.plan()] == [(ITEM_FIRST, 1)] * 2 + [(ITEM, 1)] * 4
    assert resumed.run().embedded == 6
    # the two missing first passes, then only the lines no first pass embedded (title + 6 sentences - title)
    assert second.documents == 2 + 4 * (1 + BODY_LINES - FIRST_LINES)
    assert _status(sessions, encoder) == EmbedStatus(items=4, embedded=4, first_pass=0)
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Embedding.kind == ITEM_FIRST)) == 0
    third = Counting(encoder)
    assert Embedder(sessions, third, lambda: NOW).run().embedded == 0 and third.documents == 0

    live = LiveIndex(sessions, encoder=encoder)  # the full vector built from two passes is the item's own
    live.load(NOW)
    assert live.search("what are the canteen hours at site 2?").content[0].id == 1 + 2 * CHUNK
    import numpy as np

    from bot.search import ItemRecord, embedding_text
    from bot.search.vectors import DocumentVectors

    with sessions() as session:
        row = session.scalars(select(Embedding).where(Embedding.kind == ITEM, Embedding.ref == "1")).one()
        item = session.get_one(LibraryItem, 1)
        stored = DocumentVectors.from_bytes(row.vector, encoder.dimension)
        fresh = encoder.encode_documents([embedding_text(ItemRecord(1, item.title, item.body))])[0]
    assert float(np.dot(stored.centroid, fresh.centroid)) > 0.995
    assert len(stored.lines.scales) == 1 + BODY_LINES


def test_an_edited_item_is_matched_by_words_until_its_new_text_is_embedded(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, SHORT)
    Embedder(sessions, encoder, lambda: NOW).run()
    live = LiveIndex(sessions, encoder=encoder)
    live.load(NOW)
    with sessions() as session:
        session.get_one(LibraryItem, 4).title = "Booking a desk"
        note_change(session, ITEM, 4, NOW)
        session.commit()
    live.refresh(NOW)
    edited = live.search("booking a desk", explain=True).content[0]
    assert edited.id == 4 and edited.explanation is not None and "semantic" not in edited.explanation.parts
    counting = Counting(encoder)
    assert Embedder(sessions, counting, lambda: NOW).run().embedded == 2  # its title, then its full vector
    assert counting.documents == 2  # the title line, then its body line (the title is not embedded again)
    live.refresh(NOW)
    assert live.search("reserve a desk for tomorrow").content[0].id == 4


def test_a_model_change_recomputes_the_vectors(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, SHORT)
    Embedder(sessions, encoder, lambda: NOW).run()
    other = Counting(encoder, model_id="another-model:0123456789abcdef")
    assert _status(sessions, other) == EmbedStatus(items=4, embedded=0, first_pass=0)
    assert Embedder(sessions, other, lambda: NOW).run().embedded == 2 * len(SHORT)
    with sessions() as session:
        models = session.execute(select(Embedding.model_id, func.count()).group_by(Embedding.model_id)).all()
    assert models == [("another-model:0123456789abcdef", len(SHORT))]


def test_two_embedders_at_once_share_the_chunks_and_embed_each_text_once(database_url: str, encoder: Any) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is a single-process store: chunks are claimed on PostgreSQL")
    many = [(f"Site {n} handbook", f"Rule one of site {n}. Rule two of site {n}. Rule three of site {n}. "
             f"Rule four of site {n}") for n in range(12)]
    sessions = _sessions(database_url, many, spacing=CHUNK)
    workers = [Counting(encoder) for _ in range(2)]
    reports: list[Any] = []
    threads = [threading.Thread(target=lambda w=w: reports.append(Embedder(sessions, w, lambda: NOW).run()))
               for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # each item: its title in pass one, its other lines in pass two, by whichever worker claimed it
    assert sum(w.documents for w in workers) == 12 * (1 + 1 + 4 - FIRST_LINES)
    assert sum(r.embedded for r in reports) == 24
    assert _status(sessions, encoder) == EmbedStatus(items=12, embedded=12, first_pass=0)


def test_pass_one_gives_every_item_a_vector_before_pass_two(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, [LONG[0], ("Parking badges", ""), LONG[1]], spacing=CHUNK)
    plan = [(chunk.kind, sorted(chunk.texts)) for chunk in Embedder(sessions, encoder, lambda: NOW).plan()]
    long, title_only, other = "1", str(1 + CHUNK), str(1 + 2 * CHUNK)
    assert plan == [(ITEM_FIRST, [long]), (ITEM_FIRST, [other]), (ITEM, [title_only]),  # a one-line item: whole
                    (ITEM, [long]), (ITEM, [other])]


def _edit(sessions: sessionmaker[Session], item_id: int, title: str) -> None:
    with sessions() as session:
        session.get_one(LibraryItem, item_id).title = title
        note_change(session, ITEM, item_id, NOW)
        session.commit()


def test_a_chunk_planned_before_an_edit_never_overwrites_the_new_texts_vector(database_url: str,
                                                                              encoder: Any) -> None:
    sessions = _sessions(database_url, SHORT)
    late = Counting(encoder)
    stale = Embedder(sessions, late, lambda: NOW).plan()  # a slow embedder planned with the old title
    _edit(sessions, 4, "Booking a desk")
    assert Embedder(sessions, encoder, lambda: NOW).run().embedded == 8  # another embedder, with the new title
    assert Embedder(sessions, late, lambda: NOW).run(stale).embedded == 0
    assert late.documents == 0  # nothing of the old title embedded
    live = LiveIndex(sessions, encoder=encoder)
    live.load(NOW)
    found = live.search("reserve a desk for tomorrow", explain=True).content[0]
    assert found.id == 4 and found.explanation is not None and found.explanation.parts["semantic"] > 0


def test_an_item_archived_after_the_plan_is_not_embedded(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, SHORT)
    embedder = Embedder(sessions, encoder, lambda: NOW)
    chunks = embedder.plan()
    with sessions() as session:
        session.get_one(LibraryItem, 2).state = ItemState.ARCHIVED
        note_change(session, ITEM, 2, NOW)
        session.commit()
    assert embedder.run(chunks).embedded == 6
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Embedding.ref == "2")) == 0


def test_an_edited_item_between_its_passes_is_counted_once(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, SHORT)
    Embedder(sessions, encoder, lambda: NOW).run()
    _edit(sessions, 4, "Booking a desk")
    stop = threading.Event()
    report = Embedder(sessions, encoder, lambda: NOW).run(stop=stop, progress=lambda done: stop.set())
    assert (report.embedded, report.stopped) == (1, True)  # its new title only
    status = _status(sessions, encoder)
    assert status == EmbedStatus(items=4, embedded=4, first_pass=0)  # by its old vector until replaced
    assert status.summary() == "4 of 4 items embedded, 0 by title only, 0 not yet"


def test_a_chunk_whose_claimer_died_is_embedded_before_the_run_ends(database_url: str, encoder: Any) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is a single-process store: chunks are claimed on PostgreSQL")
    from bot.search.embedder import KINDS, LOCK_CLASS

    sessions = _sessions(database_url, SHORT[:2], spacing=CHUNK)  # one chunk each
    other = make_engine(database_url).connect()  # another embedder, holding the first item's chunk
    other.execute(select(func.pg_advisory_lock(LOCK_CLASS + KINDS.index(ITEM), 0)))

    def dies(done: int) -> None:
        other.invalidate()  # the other embedder dies: its connection, and its claim, are gone

    report = Embedder(sessions, encoder, lambda: NOW).run(progress=dies)
    assert (report.embedded, report.busy) == (3, 0)  # its whole vector in pass two: no first pass left to do
    assert _status(sessions, encoder) == EmbedStatus(items=2, embedded=2, first_pass=0)


def test_the_leader_embeds_an_item_whose_write_committed_after_a_later_change(
        database_url: str, encoder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: changes commit in their order")
    import time

    from bot.config import Settings
    from bot.run import scheduler
    from bot.runtime import open_runtime

    monkeypatch.setattr(scheduler, "EMBED_EVERY_SECONDS", 0.1)
    sessions = _sessions(database_url, SHORT[:1])
    runtime = open_runtime(Settings(database_url=database_url))
    leadership, stop = scheduler.Leadership(runtime.engine), threading.Event()

    def wait_for(embedded: int) -> EmbedStatus:
        deadline = time.monotonic() + 30
        while (status := _status(sessions, encoder)).embedded < embedded and time.monotonic() < deadline:
            time.sleep(0.1)
        return status

    worker = scheduler.start_embedding(runtime, leadership, stop)
    try:
        assert wait_for(1).embedded == 1
        with sessions() as slow:  # an import still writing while a later change commits
            slow.add(LibraryItem(id=2, key="item-1", title=SHORT[1][0], body=SHORT[1][1], tags="",
                                 created_at=NOW, updated_at=NOW))
            note_change(slow, ITEM, 2, NOW)
            slow.flush()
            with sessions() as quick:
                quick.add(LibraryItem(id=3, key="item-2", title=SHORT[2][0], body=SHORT[2][1], tags="",
                                      created_at=NOW, updated_at=NOW))
                note_change(quick, ITEM, 3, NOW)
                quick.commit()
            assert wait_for(2).embedded == 2
            time.sleep(1)  # the worker looked again, found nothing new, and waits for the log to move
            slow.commit()
        assert wait_for(3) == EmbedStatus(items=3, embedded=3, first_pass=0)
    finally:
        stop.set()
        assert worker is not None
        worker.join(30)
        leadership.release()
        runtime.engine.dispose()


def test_an_answered_questions_text_is_embedded_once_for_the_question_and_its_expert(database_url: str,
                                                                                     encoder: Any) -> None:
    from store.models import Answer, Question, QuestionStatus

    sessions = _sessions(database_url, [])
    with sessions() as session:
        question = Question(asker_id="U0ASKER", text="How do I rotate my API key?", status=QuestionStatus.RESOLVED,
                            asked_at=NOW, resolved_at=NOW)
        session.add(question)
        session.flush()
        session.add(Answer(question_id=question.id, user_id="U0EXPERT", message_ts="1.1", text="Use the portal.",
                           created_at=NOW, accepted_at=NOW))
        session.commit()
    counting = Counting(encoder)
    report = Embedder(sessions, counting, lambda: NOW).run()
    assert counting.documents == 1  # the past question's vector is the expert evidence's too
    assert report.embedded == 2
    with sessions() as session:
        vectors = dict(session.execute(select(Embedding.kind, Embedding.vector)).all())
    assert vectors["evidence"] == vectors["question"]
    live = LiveIndex(sessions, encoder=encoder)
    live.load(NOW)
    result = live.search("How can I renew my API token?", explain=True)
    assert [hit.id for hit in result.experts] == ["U0EXPERT"]
    question = result.similar_questions[0]
    assert question.explanation is not None and question.explanation.parts["semantic"] > 0


def test_the_plan_deletes_the_vectors_of_items_out_of_search_or_deleted(database_url: str, encoder: Any) -> None:
    sessions = _sessions(database_url, SHORT)
    Embedder(sessions, encoder, lambda: NOW).run()
    with sessions() as session:
        session.get_one(LibraryItem, 2).state = ItemState.ARCHIVED
        session.get_one(LibraryItem, 3).state = ItemState.OBSOLETE
        session.delete(session.get_one(LibraryItem, 4))
        session.add(Embedding(kind=ITEM_FIRST, ref="9", model_id=encoder.model_id, text_hash="x", vector=b"",
                              updated_at=NOW))  # a first pass of an item deleted between its passes
        session.commit()
    assert Embedder(sessions, encoder, lambda: NOW).plan() == []  # nothing to embed
    with sessions() as session:
        assert session.execute(select(Embedding.kind, Embedding.ref)).all() == [(ITEM, "1")]

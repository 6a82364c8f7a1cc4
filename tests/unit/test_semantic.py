"""Semantic matching (the `semantic` extra): hybrid ranking, the vectors, the runtimes, `learnbot embed`, fallbacks
(stored vectors and background embedding: tests/store/test_embedding.py).

Tests that need the extra skip when it is not installed, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.encoder_settings import describe_matcher, encoder_spec, open_encoder
from bot.search import ALL_AUDIENCES, ItemRecord, MatchIndex
from bot.search.encoders import find_model
from bot.search.engine import HYBRID_THRESHOLD
from tests.e2e.helpers import learnbot
from tests.semantic import Counting, real_encoder

PARAPHRASE = "How can I cross out text on GitHub?"
LIBRARY = [
    ItemRecord(1, "Strikethrough with GitHub Markdown", "Wrap the words in two tildes.", tags=("markdown",)),
    ItemRecord(2, "Creating a GitHub repository", "Click New, choose a name and an owner.", tags=("github",)),
    ItemRecord(3, "Protecting the main branch on GitHub", "Require reviews before merging.", tags=("github",)),
    ItemRecord(4, "Resetting your VPN password", "Open the self-service portal and choose reset.", tags=("vpn",)),
    ItemRecord(5, "Booking a meeting room", "Use the calendar to reserve rooms.", tags=("office",)),
]


@pytest.fixture(scope="module", params=["onnx", "transformer"])
def encoder(request: pytest.FixtureRequest) -> Any:
    return real_encoder(request.param)


# --- without the extra ----------------------------------------------------------------------


def test_semantic_off_means_word_matching_and_says_so() -> None:
    settings = Settings(semantic=False)
    assert open_encoder(settings) is None
    assert describe_matcher(settings) == "word+fuzzy (LEARNBOT_SEMANTIC=off)"
    index = MatchIndex()
    index.upsert_item(LIBRARY[3])
    assert index.search("vpn password reset").content[0].id == 4


def test_an_item_not_embedded_yet_is_held_to_the_word_matchers_bar() -> None:
    from bot.search.engine import DEFAULT_THRESHOLD
    from bot.search.ranking import UNEMBEDDED_SCALE

    assert UNEMBEDDED_SCALE * DEFAULT_THRESHOLD == pytest.approx(HYBRID_THRESHOLD)


def test_matcher_description_names_the_model_or_the_reason() -> None:
    choice = find_model(encoder_spec(Settings()))
    described = describe_matcher(Settings())
    assert described == (f"hybrid ({choice.name}, onnx)" if choice.path else f"word+fuzzy ({choice.reason})")


def test_words_count_fully_only_when_they_single_out_a_candidate() -> None:
    from bot.search.ranking import Fusion

    fusion = Fusion(weight=0.7, lead=10.0)
    assert fusion.weight_for([80.0, 60.0, 10.0]) == pytest.approx(0.7)  # a clear lead: 0.3 words, 0.7 meaning
    assert fusion.weight_for([62.0, 62.0, 10.0]) == pytest.approx(1.0)  # a tie on words: meaning alone
    assert fusion.weight_for([65.0, 60.0]) == pytest.approx(0.85)  # half the lead: half the words' share
    assert fusion.weight_for([40.0]) == pytest.approx(0.7)  # a single candidate
    assert Fusion(weight=0.7, lead=0.0).weight_for([62.0, 62.0]) == pytest.approx(0.7)  # no gate


# --- hybrid ranking -------------------------------------------------------------------------


def test_hybrid_finds_a_paraphrase_that_word_matching_misses(encoder: Any) -> None:
    word, hybrid = MatchIndex(), MatchIndex(encoder=encoder)
    for item in LIBRARY:
        word.upsert_item(item)
        hybrid.upsert_item(item)
    assert word.search(PARAPHRASE).content[0].id != 1
    result = hybrid.search(PARAPHRASE, explain=True)
    best = result.content[0]
    assert best.id == 1 and 0 <= best.score <= 100
    assert best.explanation is not None and best.explanation.parts["semantic"] > 0
    assert sum(best.explanation.parts.values()) == pytest.approx(best.score, abs=0.05)
    assert hybrid.threshold == HYBRID_THRESHOLD


def test_words_that_fit_two_items_alike_leave_the_order_to_meaning(encoder: Any) -> None:
    cards = [ItemRecord(1, "Card about to expire", "Order a replacement before the expiry date."),
             ItemRecord(2, "Get a new card if yours is lost", "Report the card and order a new one."),
             ItemRecord(3, "Card swallowed by an ATM", "What to do when the machine keeps it."),
             ItemRecord(4, "Cash withdrawal limits for your card", "How much cash the card lets you take out.")]

    def hits(question: str, lead: float) -> list[tuple[int, float, dict[str, float]]]:
        index = MatchIndex(encoder=encoder, word_lead=lead)
        for item in cards:
            index.upsert_item(item)
        return [(h.id, h.score, h.explanation.parts) for h in index.search(question, explain=True).content[:2]]

    def words(parts: dict[str, float]) -> float:
        return sum(value for name, value in parts.items() if name != "semantic")

    renewal = "How do I get a new card before mine expires?"
    tied, ungated = hits(renewal, 10.0), hits(renewal, 0.0)
    assert [h[0] for h in tied] == [1, 2]
    assert words(tied[0][2]) < 0.2 * words(ungated[0][2])  # its words fit item 2 as well: they barely count
    decisive = "How much cash can I take out with my card?"
    assert hits(decisive, 10.0) == hits(decisive, 0.0)  # words that single out an item keep their full share


def test_an_item_vector_is_the_centroid_of_its_title_and_body_sentences(encoder: Any) -> None:
    import numpy as np

    from bot.search.text import MAX_EMBED_LINES, embedding_text

    item = ItemRecord(9, "Travel expenses", "Claim a taxi receipt in the portal. Hotel bills need a manager's approval.",
                      tags=("finance",))
    assert embedding_text(item).split("\n") == [
        "Travel expenses. finance", "Claim a taxi receipt in the portal", "Hotel bills need a manager's approval."]
    long = ItemRecord(10, "t", "\n".join(f"line {n}" for n in range(MAX_EMBED_LINES + 5)))
    assert len(embedding_text(long).split("\n")) == 1 + MAX_EMBED_LINES
    lines = encoder.encode(embedding_text(item).split("\n"))
    centroid = lines.sum(axis=0) / np.linalg.norm(lines.sum(axis=0))
    assert np.allclose(encoder.encode([embedding_text(item)])[0], centroid, atol=1e-5)
    index = MatchIndex(encoder=encoder)
    for record in (*LIBRARY, item):
        index.upsert_item(record)
    assert index.search("how do I get my cab fare reimbursed?").content[0].id == 9  # a body sentence's meaning


FAQ = ItemRecord(7, "IT service desk FAQ", "\n".join([
    "Printers on every floor accept badge release", "Order a second monitor from the hardware catalogue",
    "Laptops are replaced every four years", "Phishing emails go to the report button in Outlook",
    "Teams meetings record to OneDrive", "Guest wifi codes change every Monday",
    "Forgot the password of your VPN? The self-service portal resets it", "Software requests need a cost centre",
    "Mobile phones are enrolled in Intune", "Shared drives are backed up nightly",
    "Broken keyboards are swapped at the service desk", "Encrypted USB sticks are available on request",
    "Video conferencing rooms have a touch panel", "Local admin rights need a business case",
    "Printer toner is ordered by facilities", "Screen privacy filters are in the catalogue",
    "New starters get their laptop on day one", "Lost badges are reported to security",
    "Calendar delegation is set in Outlook options", "Large files are shared with OneDrive links",
    "Headsets are in the hardware catalogue", "Windows updates install on Tuesday nights"]))
NEIGHBOURS = [
    ItemRecord(1, "Network access for remote workers", "Connect through the corporate network from home."),
    ItemRecord(2, "Password policy", "Passwords need twelve characters and change yearly.", tags=("security",)),
    ItemRecord(3, "Booking a meeting room", "Use the calendar to reserve rooms."),
]


def test_a_long_item_is_found_by_its_one_relevant_line(encoder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.search.vectors

    question = "I can't remember my VPN password, how do I get a new one?"

    def ranking() -> list[int]:
        index = MatchIndex(encoder=encoder)
        for item in (FAQ, *NEIGHBOURS):
            index.upsert_item(item)
        return [hit.id for hit in index.search(question).content]

    assert ranking()[0] == 7  # the FAQ's VPN line outweighs its 21 unrelated lines
    monkeypatch.setattr(bot.search.vectors, "PASSAGE_WEIGHT", 0.0)
    assert ranking()[0] == 2  # by its centroid alone the FAQ loses to the merely related policy


def test_document_vectors_keep_the_lines_and_round_trip_through_bytes() -> None:
    real_encoder("onnx")  # skips without the extra (numpy)
    import numpy as np

    from bot.search.vectors import PASSAGE_RAMP, DocumentVectors

    rows = np.random.default_rng(3).normal(size=(5, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    document = DocumentVectors.of_lines(rows)
    assert np.allclose(document.centroid, rows.sum(axis=0) / np.linalg.norm(rows.sum(axis=0)), atol=1e-6)
    copy = DocumentVectors.from_bytes(document.to_bytes(), 384)
    assert len(document.to_bytes()) == 4 * 384 + 5 * (4 + 384)
    assert np.array_equal(copy.centroid, document.centroid)
    assert np.array_equal(copy.lines.vectors, document.lines.vectors)
    query = rows[2]
    centroid_cosine = float(document.centroid @ query)
    weight = 4 / PASSAGE_RAMP  # five lines
    blended = copy.lines.cosine(query, centroid_cosine)
    assert blended == pytest.approx((1 - weight) * centroid_cosine + weight, abs=0.005)
    single = DocumentVectors.of_lines(rows[:1])
    assert single.lines.cosine(query, 0.25) == 0.25 and len(single.to_bytes()) == 4 * 384


def test_hybrid_routes_experts_and_past_questions_by_meaning(encoder: Any) -> None:
    from bot.search import ExpertRecord, QuestionRecord

    index = MatchIndex(encoder=encoder)
    index.upsert_expert(ExpertRecord("U0ANN", topics=("payroll", "salary slips")))
    index.upsert_expert(ExpertRecord("U0BOB", topics=("forklift", "warehouse safety")))
    index.upsert_question(QuestionRecord(7, "When is my monthly pay transferred?"))
    result = index.search("what day do wages arrive in my bank account?")
    assert result.experts[0].id == "U0ANN"
    assert result.similar_questions[0].id == 7


def test_unchanged_item_keeps_its_vector_and_nonsense_is_not_confident(encoder: Any) -> None:
    counting = Counting(encoder)
    index = MatchIndex(encoder=counting)
    for item in LIBRARY:
        index.upsert_item(item)
    assert counting.documents == len(LIBRARY)
    index.add_alias(1, "cross out words")  # aliases are not embedded: no new vector
    assert counting.documents == len(LIBRARY)
    assert not index.search("qwrtp zxcvb").confident
    assert index.search("").content == []


def test_vector_index_append_replace_remove_top(encoder: Any) -> None:
    import numpy as np

    from bot.search.vectors import VectorIndex

    vectors = VectorIndex(2)
    for key in range(100):
        angle = key / 100
        vectors.set(key, np.array([np.cos(angle), np.sin(angle)], dtype=np.float32))
    vectors.remove(0)
    vectors.set(50, np.array([1.0, 0.0], dtype=np.float32))
    top = vectors.top(np.array([1.0, 0.0], dtype=np.float32), 3)
    assert [key for key, _ in top] == [50, 1, 2] and len(vectors) == 99 and 0 not in vectors
    assert vectors.similarity(np.array([1.0, 0.0], dtype=np.float32), [50, 0])[50] == pytest.approx(1.0)


def test_a_large_vector_index_scans_a_projection_and_still_finds_the_nearest() -> None:
    real_encoder("onnx")  # skips without the extra (numpy)
    import numpy as np

    from bot.search.vectors import COARSE_FROM, VectorIndex

    rng = np.random.default_rng(7)
    # sentence vectors cluster by topic, and the topics span few directions
    topics = (rng.normal(size=(300, 48)) @ rng.normal(size=(48, 384))).astype(np.float32)
    n = COARSE_FROM + 5_000
    vectors = topics[rng.integers(0, 300, n)] + 0.5 * rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(384)
    for key, vector in enumerate(vectors):
        index.set(key, vector)
    index.remove(3)  # after the projection was fitted: the last row moves into row 3
    index.set(5, vectors[6])  # a replaced vector is found by its new value
    vectors[5] = vectors[6]
    exact = vectors @ vectors[6]
    exact[3] = -2.0
    found = [key for key, _ in index.top(vectors[6], 10)]
    assert set(found[:2]) == {5, 6}
    assert len(set(found) & set(np.argsort(-exact)[:10].tolist())) >= 9
    query = vectors[n - 1] + 0.3 * rng.normal(size=384).astype(np.float32)
    query /= np.linalg.norm(query)
    top = index.top(query, 40)
    assert len(set(k for k, _ in top) & set(np.argsort(-(vectors @ query))[:40].tolist())) >= 38
    assert [score for _, score in top] == sorted((score for _, score in top), reverse=True)


def test_hybrid_search_finds_by_meaning_only_what_the_asker_sees(encoder: Any) -> None:
    index = MatchIndex(encoder=encoder)
    for item in LIBRARY:
        index.upsert_item(replace(item, audience=7) if item.id == 1 else item)
    assert 1 not in [h.id for h in index.search(PARAPHRASE).content]  # no audiences: the organisation's only
    assert 1 not in [h.id for h in index.search(PARAPHRASE, audiences={8}).content]
    assert index.search(PARAPHRASE, audiences={7, 8}).content[0].id == 1
    assert index.search(PARAPHRASE, audiences=ALL_AUDIENCES).content[0].id == 1


@pytest.mark.parametrize("size", [200, 25_000])  # a full scan, and the projection's scan from COARSE_FROM rows
def test_vector_top_with_scopes_finds_the_nearest_visible_rows_only(size: int) -> None:
    np = pytest.importorskip("numpy")
    from bot.search.vectors import VectorIndex

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(size, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scopes = np.where(np.arange(size) % 4 == 0, -1, np.arange(size) % 50)
    index = VectorIndex(384)
    for key, (vector, scope) in enumerate(zip(vectors, scopes)):
        index.set(key, vector, int(scope))
    index.remove(1)  # the last row moves into row 1, with its scope
    visible = {-1, 7}
    shown = [(k, s) for k, s in enumerate(scopes) if s in visible and k != 1]

    for key, _ in shown[:20]:
        found = [k for k, _ in index.top(vectors[key], 10, frozenset({7}))]
        assert found[0] == key and all(scopes[k] in visible for k in found)
    hidden = next(k for k, s in enumerate(scopes) if s == 8)
    assert hidden not in [k for k, _ in index.top(vectors[hidden], 10, frozenset({7}))]
    assert index.top(vectors[hidden], 1)[0][0] == hidden  # without scopes, every row


def test_the_onnx_export_agrees_with_the_transformer_and_is_made_once() -> None:
    onnx, fp32 = real_encoder("onnx"), real_encoder("transformer")
    import numpy as np

    from bot.search import embedding_text
    from bot.search.embedding import document_model_id
    from bot.search.onnx import OnnxEncoder

    long = " ".join(["the quarterly safety induction for new forklift drivers in the north warehouse"] * 6)
    documents = [embedding_text(item) for item in LIBRARY] + ["VPN", long]  # lengths differ within a batch
    assert (onnx.encode(documents) * fp32.encode(documents)).sum(axis=1).min() > 0.95
    for query in (PARAPHRASE, long):  # a query keeps up to 128 word pieces, a document line 32
        assert float(onnx.encode_query(query) @ fp32.encode_query(query)) > 0.95
    assert float(onnx.encode_query(long) @ onnx.encode([long])[0]) < 0.99

    settings = Settings()
    model = find_model(encoder_spec(settings))
    assert model.path is not None
    exported = next(settings.embedding_cache.glob("*int8*.onnx"))
    written = exported.stat().st_mtime_ns
    again = OnnxEncoder(model.path, model.name, document_model_id(model.name, model.path), settings.embedding_cache)
    assert exported.stat().st_mtime_ns == written  # loaded, not exported again
    assert np.array_equal(again.encode_query(PARAPHRASE), onnx.encode_query(PARAPHRASE))


def test_an_unwritable_cache_is_one_clear_line(tmp_path: Path) -> None:
    real_encoder("onnx")
    (tmp_path / "a-file").write_text("")
    result = learnbot(tmp_path, "ask", "vpn", LEARNBOT_EMBEDDING_CACHE=str(tmp_path / "a-file" / "cache"))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("learnbot: LEARNBOT_EMBEDDING_CACHE: cannot write")
    assert "Traceback" not in result.stderr


def test_a_model_without_a_fast_tokenizer_is_one_clear_line(tmp_path: Path) -> None:
    real_encoder("onnx")
    packaged = find_model(encoder_spec(Settings())).path
    assert packaged is not None
    model = tmp_path / "model"
    model.mkdir()
    for source in packaged.iterdir():  # the packaged model, less its tokenizer.json
        if source.name != "tokenizer.json":
            (model / source.name).symlink_to(source)
    result = learnbot(tmp_path, "ask", "vpn", LEARNBOT_EMBEDDING_MODEL=str(model))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (f"learnbot: LEARNBOT_EMBEDDING_MODEL: the onnx runtime needs "
                                              f"tokenizer.json in {model}; set LEARNBOT_EMBEDDING_RUNTIME="
                                              "transformer for this model")


# --- the command ----------------------------------------------------------------------------


def test_after_an_import_ask_matches_by_words_until_learnbot_embed_ran(encoder: Any, tmp_path: Path) -> None:
    rows = "\n".join(f'"{i.title}",https://example.com/{i.id},"{i.body}","{";".join(i.tags)}"' for i in LIBRARY)
    (tmp_path / "content.csv").write_text("title,url,body,tags\n" + rows + "\n")
    assert learnbot(tmp_path, "import", "content", "content.csv").returncode == 0
    runtime = {"LEARNBOT_EMBEDDING_RUNTIME": encoder.runtime}
    config = learnbot(tmp_path, "config", **runtime).stdout
    assert f"hybrid (all-MiniLM-L6-v2, {encoder.runtime})" in config
    assert "0 of 5 items embedded, 0 by title only, 5 not yet" in config
    before = learnbot(tmp_path, "ask", "--json", PARAPHRASE, **runtime)
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["content"][0]["title"] != "Strikethrough with GitHub Markdown"

    embedded = learnbot(tmp_path, "embed", **runtime)  # stderr is a pipe here: plain progress lines
    assert embedded.returncode == 0, embedded.stderr
    assert embedded.stderr.splitlines()[-1] == f"embedding [{'#' * 30}] 10/10"  # titles, then the other lines
    assert embedded.stdout == "embedded 10 texts; 5 of 5 items embedded, 0 by title only, 0 not yet\n"
    assert "5 of 5 items embedded" in learnbot(tmp_path, "config", **runtime).stdout
    result = learnbot(tmp_path, "ask", "--json", PARAPHRASE, **runtime)
    assert json.loads(result.stdout)["content"][0]["title"] == "Strikethrough with GitHub Markdown"
    word = learnbot(tmp_path, "ask", "--json", PARAPHRASE, LEARNBOT_SEMANTIC="off")
    assert json.loads(word.stdout)["content"][0]["title"] != "Strikethrough with GitHub Markdown"
    assert "embeddings" not in learnbot(tmp_path, "config", LEARNBOT_SEMANTIC="off").stdout
    again = learnbot(tmp_path, "embed", **runtime)
    assert again.stdout.startswith("embedded 0 texts;")


def test_embed_without_the_semantic_matcher_says_why(tmp_path: Path) -> None:
    result = learnbot(tmp_path, "embed", LEARNBOT_SEMANTIC="off")
    assert result.returncode == 2
    assert result.stderr == "learnbot: nothing to embed: the matcher is word+fuzzy (LEARNBOT_SEMANTIC=off)\n"

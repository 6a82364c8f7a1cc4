"""Unit tests for bot.search: ranking, decisions, feedback, updates, experts and odd input."""

from __future__ import annotations

import pytest

from bot.search import ExpertRecord, ItemRecord, MatchIndex, QuestionRecord, parse_synonyms
from bot.search.engine import DEFAULT_MARGIN, DEFAULT_THRESHOLD
from bot.search.text import normalize, stem

LIBRARY = [
    ItemRecord(1, "Resetting your VPN password", "Open the self-service portal and choose reset. "
               "You need your phone for the second factor.", tags=("vpn", "security")),
    ItemRecord(2, "Requesting paid leave", "Submit a leave request in Workday at least two weeks ahead. "
               "Your manager approves it.", tags=("hr",)),
    ItemRecord(3, "Filing an expense report", "Upload receipts to Concur within 30 days.", tags=("finance",)),
    ItemRecord(4, "Setting up the office printer", "Install the driver from the software center.", tags=("it",)),
    ItemRecord(5, "Booking a meeting room", "Use the calendar to reserve rooms on every floor.", tags=("office",)),
]


@pytest.fixture
def index() -> MatchIndex:
    idx = MatchIndex(synonyms=[("pto", "paid leave", "time off"), ("vpn", "virtual private network")])
    for item in LIBRARY:
        idx.upsert_item(item)
    return idx


def top_id(index: MatchIndex, query: str):
    hits = index.search(query).content
    return hits[0].id if hits else None


# --- normalisation ---------------------------------------------------------------------------


def test_stemmer_conflates_common_forms():
    assert stem("resetting") == stem("reset")
    assert stem("changing") == stem("change") == stem("changed")
    assert stem("policies") == stem("policy")
    assert stem("activation") == stem("activate")


def test_normalize_folds_case_accents_and_punctuation():
    assert normalize("Café, RÉSUMÉ!") == normalize("cafe resume")


# --- ranking ---------------------------------------------------------------------------------


def test_typos_and_word_order_still_find_the_item(index):
    assert top_id(index, "vpn pasword reset") == 1
    assert top_id(index, "expnese reprot") == 3
    assert top_id(index, "printer office setup") == 4


def test_single_word_synonym_expands(index):
    result = index.search("how do I request pto", explain=True)
    assert result.content[0].id == 2
    assert ("pto", "paid leave") in result.content[0].explanation.synonyms_used


def test_multi_word_synonym_expands_to_acronym(index):
    result = index.search("virtual private network password", explain=True)
    assert result.content[0].id == 1
    assert ("virtual private network", "vpn") in result.content[0].explanation.synonyms_used


def test_set_synonyms_replaces_the_table(index):
    index.set_synonyms([("concur", "expenses tool")])
    result = index.search("where is the expenses tool", explain=True)
    assert result.content[0].id == 3
    assert result.content[0].explanation.synonyms_used == (("expenses tool", "concur"),)


# --- decision --------------------------------------------------------------------------------


def test_defaults_are_on_the_0_100_scale():
    assert 0 < DEFAULT_THRESHOLD < 100 and 0 <= DEFAULT_MARGIN < 100


def test_clear_match_is_confident(index):
    result = index.search("How do I reset my VPN password?")
    assert result.content[0].id == 1
    assert result.confident
    assert 0 <= result.content[0].score <= 100


def test_unrelated_question_is_not_confident(index):
    result = index.search("what is the capital of mongolia")
    assert not result.confident
    assert all(h.score < DEFAULT_THRESHOLD for h in result.content)


def test_two_equally_good_items_are_not_confident():
    idx = MatchIndex()
    idx.upsert_item(ItemRecord(1, "Reset your VPN password"))
    idx.upsert_item(ItemRecord(2, "Reset your VPN password"))
    result = idx.search("reset vpn password")
    assert {h.id for h in result.content[:2]} == {1, 2}
    assert result.content[0].score >= DEFAULT_THRESHOLD
    assert not result.confident


def test_threshold_and_margin_are_configurable():
    strict = MatchIndex(threshold=99.5)
    strict.upsert_item(ItemRecord(1, "Reset your VPN password", "Use the portal."))
    assert not strict.search("vpn password").confident
    lenient = MatchIndex(threshold=10, margin=0)
    lenient.upsert_item(ItemRecord(1, "Reset your VPN password", "Use the portal."))
    assert lenient.search("vpn password").confident


def test_similar_past_question_makes_it_confident():
    idx = MatchIndex()
    idx.upsert_question(QuestionRecord(7, "Where do I find the parking garage code?"))
    result = idx.search("where can i find the parking garage code")
    assert [h.id for h in result.similar_questions] == [7]
    assert result.content == []
    assert result.confident


# --- feedback --------------------------------------------------------------------------------


def test_alias_makes_a_paraphrase_find_the_item(index):
    question = "my laptop cannot reach internal sites from home"
    assert top_id(index, question) != 1
    index.add_alias(1, question)
    assert top_id(index, "laptop can't reach internal sites from home") == 1
    assert question in index.item(1).aliases


def test_rejection_lowers_the_pairing_for_similar_questions(index):
    question = "how do I book a meeting room for visitors"
    before = index.search(question).content
    assert before[0].id == 5
    index.add_rejection(5, question)
    after = index.search("how do I book a meeting room for visitors?", explain=True).content
    score_after = next(h.score for h in after if h.id == 5)
    assert score_after < before[0].score - 10
    hit = next(h for h in after if h.id == 5)
    assert hit.explanation.parts["penalty"] < 0
    # an unrelated question about the same item is not affected
    assert top_id(index, "reserve a room in the calendar") == 5


# --- incremental updates ---------------------------------------------------------------------


def test_upsert_replace_and_remove_items(index):
    assert len(index) == 5
    index.upsert_item(ItemRecord(6, "Ordering a new laptop", "Use the hardware catalogue."))
    assert len(index) == 6
    assert top_id(index, "order new laptop") == 6
    index.upsert_item(ItemRecord(6, "Returning a broken monitor", "Ship it back to IT."))
    assert len(index) == 6
    assert top_id(index, "return broken monitor") == 6
    assert 6 not in [h.id for h in index.search("order new laptop").content]
    index.remove_item(6)
    assert len(index) == 5
    assert 6 not in [h.id for h in index.search("return broken monitor").content]
    index.remove_item(999)  # unknown ids are ignored


def test_upsert_and_remove_questions(index):
    index.upsert_question(QuestionRecord(1, "Who approves travel to conferences?"))
    assert [h.id for h in index.search("who approves conference travel").similar_questions] == [1]
    index.upsert_question(QuestionRecord(1, "Where is the first aid kit?"))
    assert index.search("who approves conference travel").similar_questions == []
    index.remove_question(1)
    assert index.search("where is the first aid kit").similar_questions == []


def test_many_removals_compact_the_index():
    idx = MatchIndex()
    for i in range(3000):
        idx.upsert_item(ItemRecord(i, f"topic number {i} alpha"))
    for i in range(2500):
        idx.remove_item(i)
    assert len(idx) == 500
    assert top_id(idx, "topic number 2999 alpha") == 2999


# --- experts ---------------------------------------------------------------------------------


@pytest.fixture
def experts() -> MatchIndex:
    idx = MatchIndex()
    idx.upsert_expert(ExpertRecord("U_ANA", topics=("kubernetes", "docker"),
                                   answered=(("how do I restart a kubernetes pod", 1.0),
                                             ("kubernetes deployment stuck pending", 1.0))))
    idx.upsert_expert(ExpertRecord("U_BOB", topics=("payroll",),
                                   answered=(("when is payroll processed", 1.0), ("how do I restart a pod", 0.2))))
    idx.upsert_expert(ExpertRecord("U_CY", topics=("kubernetes",)))
    return idx


def test_experts_are_ranked_by_evidence(experts):
    hits = experts.search("my kubernetes pod will not restart").experts
    assert [h.id for h in hits] == ["U_ANA", "U_CY", "U_BOB"]
    assert hits[0].score > hits[1].score > hits[2].score
    assert [h.id for h in experts.search("payroll date").experts][0] == "U_BOB"


def test_exclude_experts_is_honoured(experts):
    ids = [h.id for h in experts.search("kubernetes pod restart", exclude_experts={"U_ANA"}).experts]
    assert "U_ANA" not in ids
    assert ids[0] == "U_CY"


def test_upsert_and_remove_experts(experts):
    experts.upsert_expert(ExpertRecord("U_ANA", topics=("gardening",)))
    assert "U_ANA" not in [h.id for h in experts.search("kubernetes deployment").experts]
    assert [h.id for h in experts.search("gardening tips").experts] == ["U_ANA"]
    experts.remove_expert("U_ANA")
    assert experts.search("gardening tips").experts == []


# --- explanations ----------------------------------------------------------------------------


def test_explanation_lists_terms_and_score_parts(index):
    hit = index.search("reset your vpn pasword", explain=True).content[0]
    assert hit.id == 1
    assert {"vpn", "password"} <= set(hit.explanation.matched_terms)
    assert "your" not in hit.explanation.matched_terms  # stop words are not listed
    assert {"bm25", "fuzzy"} <= set(hit.explanation.parts)
    assert sum(hit.explanation.parts.values()) == pytest.approx(hit.score, abs=0.1)
    assert index.search("vpn password").content[0].explanation is None


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   \n\t ", "🙂🎉🔥", "x" * 4000, "reset " * 700, "パスワードをリセットする方法",
                                   "как сбросить пароль", "?!?!", "\x00\x01"])
def test_odd_queries_return_a_normal_result(index, query):
    result = index.search(query, explain=True)
    assert result.query == query
    assert isinstance(result.content, list) and isinstance(result.experts, list)
    assert not result.confident or result.content


def test_empty_queries_match_nothing(index):
    for query in ("", "   ", "🙂🎉"):
        result = index.search(query)
        assert (result.confident, result.content, result.similar_questions, result.experts) == (False, [], [], [])


def test_non_latin_text_is_matched():
    idx = MatchIndex()
    idx.upsert_item(ItemRecord(1, "パスワードのリセット方法"))
    idx.upsert_item(ItemRecord(2, "Как сбросить пароль"))
    idx.upsert_item(ItemRecord(3, "Expense reports"))
    assert top_id(idx, "パスワードをリセットしたい") == 1
    assert top_id(idx, "сбросить пароль") == 2


def test_long_query_still_finds_the_item(index):
    query = "I have a question about expenses. " * 100 + "How do I file an expense report with receipts?"
    assert top_id(index, query[:4000]) == 3


# --- synonyms file ---------------------------------------------------------------------------


def test_parse_synonyms_groups_and_errors_with_line_numbers():
    lines = [
        "# comment line",
        "pto, vacation, time off",
        "",
        "vpn,   virtual private network  # trailing comment",
        "lonely",
        "a, ",
        "k8s, kubernetes",
        "!!!, ???",
    ]
    groups, errors = parse_synonyms(lines)
    assert groups == [("pto", "vacation", "time off"), ("vpn", "virtual private network"), ("k8s", "kubernetes")]
    assert [line for line, _ in errors] == [5, 6, 8]
    assert all(message for _, message in errors)

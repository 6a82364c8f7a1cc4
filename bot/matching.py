"""Matching engine: route a /learn question to library content, past questions or experts.

Pure Python over plain records (no Slack, no SQL). How a question is ranked:

1. Normalise text: Unicode accents folded, lower-cased, split into words, words reduced by a small
   suffix-stripping stemmer (``stem``); CJK text becomes character bigrams. Stop words are indexed
   (in short questions "not", "what", "my" carry meaning) but weigh little in a query (STOP_WEIGHT).
2. Expand the query: unknown words are corrected against the index vocabulary (one edit, two for
   long words; ``_TextIndex.correct``) and synonym/acronym groups add their other terms.
3. Candidate generation: BM25 over an inverted index (compact ``array`` postings). Very frequent
   terms only re-score candidates found through rarer terms, which keeps a query fast at 1M items.
4. Re-ranking: each candidate gets a calibrated 0..100 score that mixes
   * ``bm25``: the share of the query's BM25 weight the document matches (0..1), and
   * ``fuzzy``: rapidfuzz similarity of the query to the document's best passage (title, each
     alias, each body sentence). The scorer (mean of token_sort_ratio and token_set_ratio) was
     chosen by measurement, see bench/README.md; WRatio ranks short questions against long text badly,
   plus a bonus for confirmed aliases and a penalty for questions the item did not help with.
5. Semantic fusion (optional, the ``semantic`` extra): with an ``encoder`` (bot/semantic.py) every
   item, past question and piece of expert evidence also carries a sentence embedding; the query is
   embedded once; the candidates are the BM25 pool plus the nearest vectors, and each candidate's
   score is ``(1 - SEMANTIC_WEIGHT) * word score + SEMANTIC_WEIGHT * semantic score`` where the
   semantic score maps the cosine linearly from SEMANTIC_FLOOR..SEMANTIC_CEIL to 0..100. An item's
   vector is the centroid of its phrasings (title+tags line and body sentences, ``embedding_text``),
   which finds the candidates; an item of many lines is then scored partly by its best lines
   (``semantic.LineVectors.cosine``).
   Weights, recipe and the hybrid threshold were tuned on validation splits (bench/README.md).
6. Decision: ``confident`` iff the best content item (or best similar past question) scores at
   least ``threshold`` and leads the runner-up by at least ``margin``.

Experts are ranked from the evidence they carry: each declared topic and each answered question is a
small document; an expert's score combines their best matching pieces of evidence (noisy-or).
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import threading
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping, Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

if TYPE_CHECKING:  # the semantic extra (numpy, torch) is imported only when an encoder is given
    from bot.semantic import DocumentVectors, Encoder, LineVectors, VectorIndex

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_THRESHOLD",
    "ExpertRecord",
    "Explanation",
    "Hit",
    "ItemRecord",
    "MatchIndex",
    "MatchResult",
    "QuestionRecord",
    "embedding_text",
    "normalize",
    "parse_synonyms",
    "stem",
]

DEFAULT_THRESHOLD: float = 75.0
DEFAULT_MARGIN: float = 3.0
HYBRID_THRESHOLD: float = 55.0  # the default threshold with an encoder (CLINC150 validation sweep)
SEMANTIC_WEIGHT = 0.8  # fused = 0.2 word + 0.8 semantic (grid on validation splits, bench/README.md)
EXPERT_SEMANTIC_WEIGHT = 0.6  # the same for expert evidence (colleague routing on validation splits)
SEMANTIC_FLOOR = 0.2  # cosine at or below this scores 0
SEMANTIC_CEIL = 0.9  # cosine at or above this scores 100
SEMANTIC_POOL = 40  # nearest vectors added to the candidates (items, past questions)
SEMANTIC_EVIDENCE_POOL = 100  # nearest pieces of expert evidence added to the candidates
MAX_EMBED_LINES = 150  # body sentences embedded per item (each costs one more line to embed)


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRecord:
    """A library item."""

    id: int
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    url: str | None = None
    aliases: tuple[str, ...] = ()  # questions users confirmed this item answered
    rejections: tuple[str, ...] = ()  # questions for which users said "Didn't help"


@dataclass(frozen=True)
class QuestionRecord:
    """A past question with an accepted answer."""

    id: int
    text: str


@dataclass(frozen=True)
class ExpertRecord:
    """A colleague: declared topics and weighted questions they answered."""

    user_id: str
    topics: tuple[str, ...] = ()
    answered: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Explanation:
    """Why a hit matched."""

    matched_terms: tuple[str, ...]
    synonyms_used: tuple[tuple[str, str], ...]  # (query term, synonym it expanded to)
    parts: dict[str, float]  # named score components; they add up to the hit's score


@dataclass(frozen=True)
class Hit:
    """One ranked result: item id, question id or expert user_id."""

    id: int | str
    score: float  # 0..100, calibrated: comparable across queries
    explanation: Explanation | None = None


@dataclass(frozen=True)
class MatchResult:
    """Everything /learn needs to answer or route a question."""

    query: str
    confident: bool
    content: list[Hit]
    similar_questions: list[Hit]
    experts: list[Hit]


# --------------------------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------------------------

STOP_WORDS = frozenset(
    """a about am an and any are as at be been being but by can could did do does doing for from
    had has have having he her here hers him his how i if in into is it its itself just me might
    my myself no nor not of on or our ours please she should so some such than that the their
    them then there these they this those to too very was we were what when where which while who
    whom why will with would you your yours""".split()
)

_WORD_RE = re.compile(r"\w+")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_RE = re.compile(r"[\n\r]+|[.!?;]\s+")
_VOWELS = frozenset("aeiouy")
_stem_cache: dict[str, str] = {}
_SURFACE: dict[str, str] = {}  # stemmed term -> first word seen, for explanations
MAX_QUERY_CHARS = 4000


def stem(word: str) -> str:
    """Light English suffix stripping: plurals, -ing, -ed, -ly, -ation/-ion, final -e/-y.

    Deliberately small; conflates e.g. reset/resetting, change/changed/changing,
    policy/policies, activate/activation, connect/connection.
    """
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and _VOWELS & set(w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # resetting -> resett -> reset
            break
    if w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    if w.endswith("ation") and len(w) > 7:
        w = w[:-5] + "at"
    elif w.endswith(("tion", "sion")) and len(w) > 6:
        w = w[:-3]
    if w.endswith("y") and len(w) > 3 and w[-2] not in _VOWELS:
        w = w[:-1] + "i"
    elif w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def _fold(text: str) -> str:
    """Lower-case and strip accents (café -> cafe)."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _term(token: str) -> str:
    """Stem one lower-cased word (stop words are kept as they are); cached, remembers a surface form."""
    cached = _stem_cache.get(token)
    if cached is None:
        cached = token if token in STOP_WORDS else stem(token)
        if len(_stem_cache) < 500_000:
            _stem_cache[token] = cached
            _SURFACE.setdefault(cached, token)
    return cached


def _cjk_bigrams(token: str) -> list[str]:
    """Split a run of CJK characters (no spaces between words) into overlapping bigrams."""
    if len(token) < 2:
        return [token]
    return [token[i : i + 2] for i in range(len(token) - 1)]


def normalize(text: str) -> list[str]:
    """Text -> list of terms: accents folded, lower-cased, stemmed; CJK runs become bigrams."""
    tokens = _WORD_RE.findall(_fold(text))
    terms = list(map(_stem_cache.get, tokens))  # fast path: every word seen before
    if None not in terms:
        return terms
    out: list[str] = []
    for token, term in zip(tokens, terms):
        if term is not None:
            out.append(term)
        elif not token.isascii() and _CJK_RE.search(token):
            out.extend(_cjk_bigrams(token))
        else:
            out.append(_term(token))
    return out


def content_terms(text: str) -> list[str]:
    """The terms of `text` a search can use: normalised, stop words left out (CJK bigrams count)."""
    return [t for t in normalize(text) if t not in STOP_WORDS]


def surface(term: str) -> str:
    """A readable word for a stemmed term (the first word seen that produced it)."""
    return _SURFACE.get(term, term)


def _sentences(text: str) -> list[str]:
    """Split a body into lines/sentences."""
    return [s for s in _SENTENCE_RE.split(text) if s and not s.isspace()] if text else []


@lru_cache(maxsize=8192)
def _passages(primary: tuple[str, ...], body: str) -> tuple[str, ...]:
    """Normalised passages for fuzzy re-ranking: title/aliases (or question), then body sentences.

    Computed when a document is re-ranked, not stored: this keeps indexing fast and memory small;
    the cache holds the passages of recently re-ranked documents.
    """
    sentences = [" ".join(normalize(s)) for s in _sentences(body)[:MAX_PASSAGES]]
    return tuple(" ".join(normalize(p)) for p in primary) + tuple(s for s in sentences if s)


def embedding_text(item: ItemRecord) -> str:
    """What is embedded for an item, one phrasing per line: title and tags, then up to
    MAX_EMBED_LINES body sentences. The encoder embeds each line (at most 32 word pieces) and keeps
    the normalised sum: a centroid of the item's phrasings (bot/semantic.py, docs/semantic.md)."""
    head = ". ".join(part.strip() for part in (item.title, ", ".join(item.tags)) if part.strip())
    body = [s.strip() for s in _sentences(item.body)[:MAX_EMBED_LINES]]
    return "\n".join(line for line in (head, *body) if line)


def semantic_score(cosine: float) -> float:
    """Cosine similarity -> 0..100, linear between SEMANTIC_FLOOR and SEMANTIC_CEIL."""
    return 100.0 * min(1.0, max(0.0, (cosine - SEMANTIC_FLOOR) / (SEMANTIC_CEIL - SEMANTIC_FLOOR)))


# --------------------------------------------------------------------------------------------
# Synonyms
# --------------------------------------------------------------------------------------------


def parse_synonyms(lines: Iterable[str]) -> tuple[list[tuple[str, ...]], list[tuple[int, str]]]:
    """Parse a synonyms table: one comma-separated group per line; '#' comments, blank lines skipped.

    Returns (groups, errors); errors are (1-based line number, message), e.g. a line with <2 terms.
    """
    groups: list[tuple[str, ...]] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        terms = tuple(dict.fromkeys(" ".join(t.split()) for t in text.split(",") if t.strip()))
        if len(terms) < 2:
            errors.append((number, f"a synonym group needs at least 2 terms, got {len(terms)}"))
            continue
        if any(not normalize(t) for t in terms):
            errors.append((number, "a term has no words (only punctuation or symbols)"))
            continue
        groups.append(terms)
    return groups, errors


class _Synonyms:
    """Synonym groups as sequences of terms, looked up by their first term."""

    def __init__(self, groups: Iterable[Sequence[str]] = ()) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self.groups: list[list[tuple[tuple[str, ...], str]]] = []  # [(terms, surface)]
        for group in groups:
            members = [(tuple(normalize(t)), " ".join(t.lower().split())) for t in group]
            members = [(terms, surface) for terms, surface in members if terms]
            if len(members) < 2:
                continue
            index = len(self.groups)
            self.groups.append(members)
            for terms, _ in members:
                self.by_first.setdefault(terms[0], []).append((terms, index))
        self.known_terms = frozenset(t for members in self.groups for terms, _ in members for t in terms)

    def longest_match(
        self, terms: list[str], start: int
    ) -> tuple[int, str, list[tuple[tuple[str, ...], str]]] | None:
        """Longest group member starting at ``terms[start]``: (length, its surface, other members)."""
        best = None
        for member, index in self.by_first.get(terms[start], ()):
            if tuple(terms[start : start + len(member)]) == member and (best is None or len(member) > len(best[0])):
                best = (member, index)
        if best is None:
            return None
        member, index = best
        typed = next(surface for terms_, surface in self.groups[index] if terms_ == member)
        others = [(t, surface) for t, surface in self.groups[index] if t != member]
        return len(member), typed, others


# --------------------------------------------------------------------------------------------
# The generic BM25 + fuzzy text index
# --------------------------------------------------------------------------------------------

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.0  # BM25F-style field weights (term frequency multipliers; body words count 1)
ALIAS_WEIGHT = 1.5
TAG_WEIGHT = 1.5
SYNONYM_WEIGHT = 0.8  # query weight of a synonym expansion, shared over its words
TYPO_WEIGHT = 0.8  # query weight of a typo-corrected term
COVERAGE_SLOPE = 2.0  # see _saturate
BM25_SHARE = 0.5  # calibrated score = 100 * (BM25_SHARE * coverage + (1 - BM25_SHARE) * fuzzy)
BODY_PASSAGE_FACTOR = 0.95  # body sentences count slightly less than titles/aliases in fuzzy
ALIAS_BONUS = 10.0  # extra points for a near-verbatim confirmed alias
REJECTION_PENALTY = 40.0  # points removed for a near-verbatim rejected question
FUZZY_TOP_PASSAGES = 3  # see _TextIndex._passage_similarity
RERANK_POOL = 40  # BM25 candidates re-ranked with rapidfuzz
FREQUENT_DF_SHARE = 0.05  # terms in more documents than this share only re-score candidates
MAX_QUERY_TERMS = 40  # long queries keep their highest-idf terms
MAX_TYPO_LOOKUPS = 12
MAX_PASSAGES = 200  # body sentences kept for fuzzy re-ranking (all are indexed)
STOP_WEIGHT = 0.3  # query weight of a stop word
MAX_VARIANTS = 3  # fuzzy scoring tries the typed query plus up to 2 synonym substitutions
FUZZY_QUERY_CHARS = 600


def _saturate(ratio: float) -> float:
    """Map BM25 / ideal BM25 (0..inf) to 0..1, strictly increasing: 0.5 -> 0.63, 1 -> 0.86, 2 -> 0.98."""
    return 1.0 - math.exp(-COVERAGE_SLOPE * ratio)


def similarity(query: str, passage: str) -> float:
    """Fuzzy similarity of two normalised strings, 0..100 (mean of token_sort and token_set)."""
    return 0.5 * (fuzz.token_sort_ratio(query, passage) + fuzz.token_set_ratio(query, passage))


@dataclass(slots=True)
class _Doc:
    key: object  # what a hit reports (an expert's evidence reports its user_id)
    primary: tuple[str, ...]  # raw title and aliases (or the question text)
    body: str = ""  # raw body
    aliases: tuple[str, ...] = ()
    rejections: tuple[str, ...] = ()
    weight: float = 1.0  # evidence weight (experts)
    ref: object = None  # the key it is indexed under (set by _TextIndex.add)
    lines: LineVectors | None = None  # an item's line vectors, to score it by its best line too


@dataclass
class _Concept:
    """One thing the query asks for: an original word (or synonym span) and its alternatives."""

    alternatives: list[tuple[tuple[str, ...], float]]  # (terms, weight); the first is what was typed
    known: bool = True  # False when the typed word is unknown and nothing replaced it
    importance: float = 1.0  # STOP_WEIGHT for stop words


@dataclass
class _Query:
    """A parsed query: weighted terms plus what was expanded, for explanations."""

    texts: list[str]  # normalised query variants for fuzzy scoring (typed, with synonyms swapped in)
    concepts: list[_Concept]
    weights: dict[str, float]  # term -> BM25 query weight (before idf)
    synonyms: dict[str, tuple[str, str]] = field(default_factory=dict)  # term -> (query, synonym)


class _TextIndex:
    """An inverted index with BM25 scoring and rapidfuzz re-ranking. Not thread-safe by itself."""

    def __init__(self) -> None:
        self.postings: dict[str, tuple[array, array]] = {}  # term -> (doc numbers, weighted tf)
        self.docs: list[_Doc | None] = []  # by doc number; None once removed (tombstone)
        self.lengths = array("f")
        self.norms = array("f")  # K1 * (1 - B + B * length / avgdl) at indexing time
        self.by_key: dict[object, int] = {}
        self.by_length: dict[int, list[str]] = {}  # vocabulary bucketed by length, for typos
        self.total_length = 0.0
        self.norm_avgdl = 1.0
        self.dead = 0
        self.vectors: VectorIndex | None = None  # embeddings by key, when the index has an encoder

    def __len__(self) -> int:
        return len(self.by_key)

    # ---- updates ----------------------------------------------------------------------------

    def add(self, key: object, body: Iterable[str], fields: list[tuple[list[str], float]], doc: _Doc,
            vector: Any = None) -> None:
        """Index ``doc`` under ``key``, replacing any previous version.

        ``body`` terms count once each; ``fields`` are (terms, weight) pairs such as a boosted title;
        ``vector`` is its embedding when the index has vectors.
        """
        self.remove(key)
        doc.ref = key
        if self.vectors is not None and vector is not None:
            self.vectors.set(key, vector)
        tf: dict[str, float] = Counter(body)
        get = tf.get
        for terms, weight in fields:
            for term in terms:
                tf[term] = get(term, 0) + weight
        number = len(self.docs)
        self.docs.append(doc)
        self.by_key[key] = number
        length = sum(tf.values())
        self.lengths.append(length)
        self.total_length += length
        self.norms.append(self._norm(length))
        postings_get = self.postings.get
        for term, freq in tf.items():
            entry = postings_get(term)
            if entry is None:
                entry = self._new_term(term)
            ids, freqs = entry
            ids.append(number)
            freqs.append(freq)
        self._maybe_renormalise()

    def _new_term(self, term: str) -> tuple[array, array]:
        self.by_length.setdefault(len(term), []).append(term)
        entry = self.postings[term] = (array("I"), array("f"))
        return entry

    def remove(self, key: object) -> None:
        number = self.by_key.pop(key, None)
        if number is None:
            return
        if self.vectors is not None:
            self.vectors.remove(key)
        self.docs[number] = None
        self.total_length -= self.lengths[number]
        self.dead += 1
        if self.dead > 1000 and self.dead > len(self.by_key):
            self._compact()

    def _norm(self, length: float) -> float:
        return K1 * (1 - B + B * length / self.norm_avgdl)

    def _avgdl(self) -> float:
        return max(self.total_length / max(len(self.by_key), 1), 1.0)

    def _maybe_renormalise(self) -> None:
        """Recompute length norms when the average length drifted by more than 10%."""
        avgdl = self._avgdl()
        if abs(avgdl - self.norm_avgdl) > 0.1 * self.norm_avgdl:
            self.norm_avgdl = avgdl
            self.norms = array("f", (self._norm(length) for length in self.lengths))

    def _compact(self) -> None:
        """Drop tombstoned documents from postings once they outnumber live ones."""
        renumber = {old: new for new, old in enumerate(n for n, d in enumerate(self.docs) if d is not None)}
        for term, (ids, freqs) in list(self.postings.items()):
            kept = [(renumber[i], f) for i, f in zip(ids, freqs) if i in renumber]
            if kept:
                self.postings[term] = (array("I", (i for i, _ in kept)), array("f", (f for _, f in kept)))
            else:
                del self.postings[term]
        order = sorted(renumber, key=renumber.get)
        self.docs = [self.docs[old] for old in order]
        self.lengths = array("f", (self.lengths[old] for old in order))
        self.norms = array("f", (self.norms[old] for old in order))
        self.by_key = {key: renumber[old] for key, old in self.by_key.items()}
        self.dead = 0

    # ---- query side -------------------------------------------------------------------------

    def df(self, term: str) -> int:
        entry = self.postings.get(term)
        return len(entry[0]) if entry else 0

    def idf(self, term: str) -> float:
        n = max(len(self.docs), 1)
        df = self.df(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def correct(self, term: str) -> tuple[str, int] | None:
        """Closest vocabulary term within 1 edit (2 for words of 8+ letters), most frequent first."""
        if len(term) < 4 or not term.isalpha():
            return None
        max_edits = 2 if len(term) >= 8 else 1
        best: tuple[int, int, str] | None = None
        for length in range(len(term) - max_edits, len(term) + max_edits + 1):
            bucket = self.by_length.get(length)
            if not bucket:
                continue
            for candidate, distance, _ in process.extract(
                term, bucket, scorer=OSA.distance, score_cutoff=max_edits, limit=None
            ):
                if candidate[0] != term[0] and distance > 1:
                    continue
                rank = (int(distance), -self.df(candidate), candidate)
                if self.df(candidate) and (best is None or rank < best):
                    best = rank
        return None if best is None else (best[2], best[0])

    def bm25(self, weights: dict[str, float], pool: int) -> dict[int, float]:
        """BM25 scores for candidate documents (doc number -> score).

        Terms are visited rarest first. A term found in more than FREQUENT_DF_SHARE of the documents
        does not add new candidates once some exist; it only re-scores the best ``pool`` of them
        (binary search in its sorted postings), which bounds the work for common words.
        """
        n_docs = max(len(self.docs), 1)
        frequent_df = max(2000, int(FREQUENT_DF_SHARE * n_docs))
        scores: dict[int, float] = {}
        norms = self.norms
        terms = sorted((t for t in weights if t in self.postings), key=self.df)
        shortlist: list[int] | None = None
        for term in terms:
            ids, freqs = self.postings[term]
            boost = weights[term] * self.idf(term) * (K1 + 1)
            if len(ids) <= frequent_df or not scores:
                get = scores.get
                for number, freq in zip(ids, freqs):
                    scores[number] = get(number, 0.0) + boost * freq / (freq + norms[number])
                continue
            if shortlist is None:
                shortlist = heapq.nlargest(pool * 5, scores, key=scores.__getitem__)
            for number in shortlist:
                at = bisect.bisect_left(ids, number)
                if at < len(ids) and ids[at] == number:
                    freq = freqs[at]
                    scores[number] += boost * freq / (freq + norms[number])
        return scores

    def contains(self, term: str, number: int) -> bool:
        entry = self.postings.get(term)
        if not entry:
            return False
        at = bisect.bisect_left(entry[0], number)
        return at < len(entry[0]) and entry[0][at] == number

    def ideal(self, query: _Query) -> float:
        """BM25 of an average-length document that contains each query concept once.

        A concept counts with its best alternative's mean idf; a word the index has never seen
        (and that no typo fix or synonym replaced) counts as the rarest possible term, so a question
        about something the library does not know scores low.
        """
        unknown = math.log(1 + (max(len(self.docs), 1) + 0.5) / 0.5)
        total = 0.0
        for concept in query.concepts:
            alternatives = [terms for terms, _ in concept.alternatives if any(t in self.postings for t in terms)]
            if not concept.known or not alternatives:
                total += unknown * (concept.importance == 1.0)
                continue
            total += concept.importance * max(sum(self.idf(t) if t in self.postings else unknown for t in terms) / len(terms)
                         for terms in alternatives)
        return total or 1.0

    def search(self, query: _Query, limit: int, pool: int = RERANK_POOL, vector: Any = None,
               semantic: tuple[int, float] = (SEMANTIC_POOL, SEMANTIC_WEIGHT)) -> list[tuple[float, int, dict[str, float]]]:
        """Top ``limit`` documents as (score 0..100, doc number, score parts), best first.

        With a query ``vector`` (and vectors in the index), ``semantic`` = (how many nearest vectors
        join the candidates, weight of the semantic score); a vector joins only if its cosine is
        above SEMANTIC_FLOOR (else a candidate with neither a shared word nor a similar meaning
        would still collect fuzzy points).
        """
        fuse = vector is not None and self.vectors is not None
        if not self.by_key or not (query.concepts or fuse):
            return []
        raw = self.bm25(query.weights, pool) if query.concepts else {}
        live = [n for n in heapq.nlargest(pool * 2, raw, key=raw.__getitem__) if self.docs[n] is not None][:pool]
        ideal = self.ideal(query) if query.concepts else 1.0
        cosines: dict[object, float] = {}
        if fuse:
            cosines = {key: c for key, c in self.vectors.top(vector, semantic[0]) if c > SEMANTIC_FLOOR}
            cosines.update(self.vectors.similarity(vector, [self.docs[n].ref for n in live]))
            seen = set(live)
            live += [n for n in map(self.by_key.__getitem__, cosines) if n not in seen]
        ranked = []
        for number in live:
            parts = self._parts(query, number, _saturate(raw.get(number, 0.0) / ideal))
            if fuse:
                doc = self.docs[number]
                cosine = cosines.get(doc.ref)
                if cosine is not None and doc.lines is not None:
                    cosine = doc.lines.cosine(vector, cosine)
                parts = _fused(parts, cosine, semantic[1])
            ranked.append((max(0.0, min(100.0, sum(parts.values()))), number, parts))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        return ranked[:limit]

    def _parts(self, query: _Query, number: int, coverage: float) -> dict[str, float]:
        """Named score components for one candidate; they sum to its 0..100 score."""
        doc = self.docs[number]
        text = query.texts[0]
        parts = {
            "bm25": 100 * BM25_SHARE * coverage,
            "fuzzy": (1 - BM25_SHARE) * self._passage_similarity(query, doc),
        }
        if doc.aliases:
            alias = max(fuzz.token_sort_ratio(text, a) for a in doc.aliases)
            parts["alias"] = ALIAS_BONUS * max(0.0, (alias - 70) / 30)
        if doc.rejections:
            rejected = max(fuzz.token_sort_ratio(text, r) for r in doc.rejections)
            parts["penalty"] = -REJECTION_PENALTY * max(0.0, (rejected - 50) / 50)
        return parts

    @staticmethod
    def _passage_similarity(query: _Query, doc: _Doc) -> float:
        """Rapidfuzz similarity (0..100) of the query to the doc's passages (title, aliases, body lines).

        Half the best passage, half the mean of the best FUZZY_TOP_PASSAGES: an item whose several
        phrasings agree with the query gains a little, without burying a perfect title match under
        unrelated body sentences. Body sentences count BODY_PASSAGE_FACTOR as much as title/aliases.
        """
        sims = []
        for i, passage in enumerate(_passages(doc.primary, doc.body)):
            factor = 1.0 if i < len(doc.primary) else BODY_PASSAGE_FACTOR
            sims.append(factor * max(similarity(variant, passage) for variant in query.texts))
        best = heapq.nlargest(FUZZY_TOP_PASSAGES, sims)
        return 0.5 * best[0] + 0.5 * sum(best) / len(best)

    def explain(self, query: _Query, number: int, parts: dict[str, float]) -> Explanation:
        matched = [t for t in query.weights if t not in STOP_WORDS and self.contains(t, number)]
        return Explanation(
            matched_terms=tuple(surface(t) for t in matched),
            synonyms_used=tuple(dict.fromkeys(query.synonyms[t] for t in matched if t in query.synonyms)),
            parts={k: round(v, 2) for k, v in parts.items()},
        )


def _fused(parts: dict[str, float], cosine: float | None, weight: float) -> dict[str, float]:
    """Word parts scaled by ``1 - weight`` plus ``weight`` times the semantic score."""
    fused = {name: (1 - weight) * value for name, value in parts.items()}
    fused["semantic"] = weight * semantic_score(cosine if cosine is not None else 0.0)
    return fused


# --------------------------------------------------------------------------------------------
# The public index
# --------------------------------------------------------------------------------------------

EXPERT_EVIDENCE = 5  # an expert's score combines their best 5 pieces of evidence
TOPIC_WEIGHT = 1.5  # a declared topic counts like an answered question of this weight


class MatchIndex:
    """Library items, past questions and experts, searchable together.

    Thread-safety: every mutation and every search holds one re-entrant lock, so a search never
    sees a half-applied update (searches are short, a few milliseconds).

    With an ``encoder`` (bot.semantic.Encoder) matching is hybrid: upserts take a precomputed
    embedding (or compute one), a search embeds its query once, outside the lock.
    """

    def __init__(
        self,
        synonyms: Iterable[Sequence[str]] = (),
        threshold: float | None = None,
        margin: float = DEFAULT_MARGIN,
        encoder: Encoder | None = None,
        semantic_weight: float | None = None,
    ) -> None:
        default = DEFAULT_THRESHOLD if encoder is None else HYBRID_THRESHOLD
        self.threshold = default if threshold is None else threshold
        self.margin = margin
        self.encoder = encoder
        # the semantic share of the fused score; default SEMANTIC_WEIGHT, and EXPERT_SEMANTIC_WEIGHT for experts
        self.semantic_weight = SEMANTIC_WEIGHT if semantic_weight is None else semantic_weight
        self.expert_semantic_weight = EXPERT_SEMANTIC_WEIGHT if semantic_weight is None else semantic_weight
        self._lock = threading.RLock()
        self._synonyms = _Synonyms(synonyms)
        self._items = _TextIndex()
        self._records: dict[int, ItemRecord] = {}
        self._questions = _TextIndex()
        self._evidence = _TextIndex()  # keys: (user_id, n); docs carry the evidence weight
        self._evidence_count: dict[str, int] = {}
        if encoder is not None:
            from bot.semantic import VectorIndex

            for index in (self._items, self._questions, self._evidence):
                index.vectors = VectorIndex(encoder.dimension)

    def __len__(self) -> int:
        return len(self._records)

    def set_synonyms(self, groups: Iterable[Sequence[str]]) -> None:
        """Replace the synonym table (applies to the next search; no re-indexing needed)."""
        synonyms = _Synonyms(groups)
        with self._lock:
            self._synonyms = synonyms

    # ---- items ------------------------------------------------------------------------------

    def upsert_item(self, item: ItemRecord, vector: DocumentVectors | None = None) -> None:
        """Add or replace a library item; searchable immediately.

        With an encoder, ``vector`` is the embedding of ``embedding_text(item)``; when it is not
        given, the previous one is kept if that text did not change, else it is computed.
        """
        aliases = [normalize(a) for a in item.aliases]
        fields = [(normalize(item.title), TITLE_WEIGHT), (normalize(" ".join(item.tags)), TAG_WEIGHT)]
        fields += [(terms, ALIAS_WEIGHT) for terms in aliases]
        doc = _Doc(
            key=item.id,
            primary=(item.title, *item.aliases),
            body=item.body,
            aliases=tuple(" ".join(a) for a in aliases),
            rejections=tuple(" ".join(normalize(r)) for r in item.rejections),
        )
        with self._lock:
            if self.encoder is not None and vector is None:
                vector = self._item_vector(item)
            doc.lines = None if vector is None else vector.lines  # the centroid lives in the vector index
            self._items.add(item.id, normalize(item.body), fields, doc, None if vector is None else vector.centroid)
            self._records[item.id] = item

    def _item_vector(self, item: ItemRecord) -> DocumentVectors:
        """The current vectors when the embedded text is unchanged, else new ones."""
        from bot.semantic import DocumentVectors

        assert self.encoder is not None
        old = self._records.get(item.id)
        text = embedding_text(item)
        if old is not None and embedding_text(old) == text and self._items.vectors is not None:
            lines = self._items.docs[self._items.by_key[item.id]].lines
            centroid = self._items.vectors.get(item.id)
            if lines is not None and centroid is not None:
                return DocumentVectors(centroid, lines)
        return self.encoder.encode_documents([text])[0]

    def _embed(self, texts: Sequence[str]) -> Any:
        assert self.encoder is not None
        return self.encoder.encode(texts)

    def remove_item(self, item_id: int) -> None:
        with self._lock:
            self._items.remove(item_id)
            self._records.pop(item_id, None)

    def add_alias(self, item_id: int, question: str) -> None:
        """"This answered it": remember the question so the next paraphrase finds the item."""
        with self._lock:
            item = self._records.get(item_id)
            if item is None or not question.strip() or question in item.aliases:
                return
            rejections = tuple(r for r in item.rejections if r != question)
            self.upsert_item(replace(item, aliases=item.aliases + (question,), rejections=rejections))

    def add_rejection(self, item_id: int, question: str) -> None:
        """"Didn't help": lower this item for questions similar to ``question``."""
        with self._lock:
            item = self._records.get(item_id)
            if item is None or not question.strip() or question in item.rejections:
                return
            aliases = tuple(a for a in item.aliases if a != question)
            self.upsert_item(replace(item, aliases=aliases, rejections=item.rejections + (question,)))

    def item(self, item_id: int) -> ItemRecord | None:
        """The stored record (including learned aliases and rejections)."""
        return self._records.get(item_id)

    # ---- past questions ---------------------------------------------------------------------

    def upsert_question(self, q: QuestionRecord, vector: Any = None) -> None:
        """Add or replace a past question; with an encoder, ``vector`` embeds its text (else computed)."""
        doc = _Doc(key=q.id, primary=(q.text,))
        with self._lock:
            if self.encoder is not None and vector is None:
                vector = self._embed([q.text])[0]
            self._questions.add(q.id, (), [(normalize(q.text), TITLE_WEIGHT)], doc, vector)

    def remove_question(self, question_id: int) -> None:
        with self._lock:
            self._questions.remove(question_id)

    # ---- experts ----------------------------------------------------------------------------

    def upsert_expert(self, e: ExpertRecord, vectors: Mapping[str, Any] | None = None) -> None:
        """Add or replace an expert; each topic and answered question becomes a piece of evidence.

        With an encoder, ``vectors`` maps evidence texts to their embeddings; missing ones are computed.
        """
        evidence = [(t, TOPIC_WEIGHT) for t in e.topics] + [(q, w) for q, w in e.answered if w > 0]
        with self._lock:
            known = {**self._current_evidence_vectors(e.user_id), **(vectors or {})}
            embedded = self._evidence_vectors([text for text, _ in evidence], known)
            self.remove_expert(e.user_id)
            for n, (text, weight) in enumerate(evidence):
                doc = _Doc(key=e.user_id, primary=(text,), weight=weight)
                self._evidence.add((e.user_id, n), (), [(normalize(text), TITLE_WEIGHT)], doc, embedded.get(text))
            self._evidence_count[e.user_id] = len(evidence)

    def _current_evidence_vectors(self, user_id: str) -> dict[str, Any]:
        """The indexed embeddings of an expert's evidence, by text (reused when they upsert again)."""
        vectors = self._evidence.vectors
        if vectors is None:
            return {}
        current = {}
        for n in range(self._evidence_count.get(user_id, 0)):
            number = self._evidence.by_key.get((user_id, n))
            vector = vectors.get((user_id, n))
            if number is not None and vector is not None:
                current[self._evidence.docs[number].primary[0]] = vector
        return current

    def _evidence_vectors(self, texts: list[str], given: Mapping[str, Any]) -> Mapping[str, Any]:
        """Embeddings of evidence texts: the given ones, the others computed in one batch."""
        if self.encoder is None:
            return {}
        missing = list(dict.fromkeys(t for t in texts if t not in given))
        if not missing:
            return given
        return {**given, **dict(zip(missing, self._embed(missing)))}

    def remove_expert(self, user_id: str) -> None:
        with self._lock:
            for n in range(self._evidence_count.pop(user_id, 0)):
                self._evidence.remove((user_id, n))

    # ---- search -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        limit: int = 5,
        *,
        explain: bool = False,
        exclude_experts: Collection[str] = (),
    ) -> MatchResult:
        """Rank content, similar past questions and experts for ``query``; never raises on odd text."""
        query_text = query if isinstance(query, str) else ""
        limit = max(int(limit), 0)
        vector = self.encoder.encode_query(query_text[:MAX_QUERY_CHARS]) if self.encoder and query_text.strip() else None
        with self._lock:
            content = self._rank(self._items, query_text, limit, explain, vector)
            similar = self._rank(self._questions, query_text, limit, explain, vector)
            experts = self._rank_experts(query_text, limit, explain, set(exclude_experts), vector)
            confident = self._is_confident(content) or self._is_confident(similar)
        return MatchResult(query, confident, content[:limit], similar[:limit], experts)

    def _is_confident(self, hits: list[Hit]) -> bool:
        """Threshold + margin rule: the best hit is good enough and clearly ahead of the next."""
        if not hits or hits[0].score < self.threshold:
            return False
        return len(hits) == 1 or hits[0].score - hits[1].score >= self.margin

    def _parse(self, index: _TextIndex, text: str) -> _Query:
        """Normalise, typo-correct against ``index``'s vocabulary and expand synonyms."""
        terms = normalize(text[:MAX_QUERY_CHARS])
        fixes = self._typo_fixes(index, terms)
        corrected = [fixes.get(t, (t, 0))[0] for t in terms]
        concepts: list[_Concept] = []
        synonyms: dict[str, tuple[str, str]] = {}
        variants = [corrected]
        i = 0
        while i < len(corrected):
            span = self._synonyms.longest_match(corrected, i)
            if span:
                length, typed, others = span
                alternatives = [(tuple(corrected[i : i + length]), 1.0)]
                for syn_terms, syn_surface in others:
                    alternatives.append((syn_terms, SYNONYM_WEIGHT))
                    synonyms.update({t: (typed, syn_surface) for t in syn_terms if t not in synonyms})
                    if len(variants) < MAX_VARIANTS:
                        variants.append(variants[0][:i] + list(syn_terms) + variants[0][i + length :])
                concepts.append(_Concept(alternatives))
                i += length
                continue
            term = terms[i]
            if term in STOP_WORDS:
                concepts.append(_Concept([((term,), STOP_WEIGHT)], term in index.postings, STOP_WEIGHT))
            elif term in fixes:
                fixed, edits = fixes[term]
                concepts.append(_Concept([((term,), 1.0), ((fixed,), TYPO_WEIGHT ** edits)]))
            else:
                concepts.append(_Concept([((term,), 1.0)], known=term in index.postings))
            i += 1
        concepts = self._distinct_concepts(index, concepts)
        weights: dict[str, float] = {}
        for concept in concepts:
            for alt_terms, weight in concept.alternatives:
                for t in alt_terms:
                    weights[t] = max(weights.get(t, 0.0), weight / len(alt_terms))
        texts = [" ".join(v)[:FUZZY_QUERY_CHARS] for v in variants]
        return _Query(texts, concepts, weights, synonyms)

    def _typo_fixes(self, index: _TextIndex, terms: list[str]) -> dict[str, tuple[str, int]]:
        """Unknown word -> (closest vocabulary term, edits), for a bounded number of words."""
        fixes: dict[str, tuple[str, int]] = {}
        known = self._synonyms.known_terms
        unknown = [t for t in dict.fromkeys(terms) if t not in index.postings and t not in known and t not in STOP_WORDS]
        for term in unknown[:MAX_TYPO_LOOKUPS]:
            fix = index.correct(term)
            if fix:
                fixes[term] = fix
        return fixes

    @staticmethod
    def _distinct_concepts(index: _TextIndex, concepts: list[_Concept]) -> list[_Concept]:
        """Drop repeated concepts; very long queries keep their MAX_QUERY_TERMS rarest ones."""
        unique = list({c.alternatives[0][0]: c for c in concepts}.values())
        if len(unique) > MAX_QUERY_TERMS:
            unique = heapq.nlargest(MAX_QUERY_TERMS, unique, key=lambda c: index.idf(c.alternatives[-1][0][0]))
        return unique

    def _rank(self, index: _TextIndex, text: str, limit: int, explain: bool, vector: Any = None) -> list[Hit]:
        """Hits for ``index`` (one more than ``limit`` so the margin rule can see the runner-up)."""
        if not len(index):
            return []
        query = self._parse(index, text)
        hits = []
        semantic = (SEMANTIC_POOL, self.semantic_weight)
        for score, number, parts in index.search(query, max(limit, 1) + 1, vector=vector, semantic=semantic):
            explanation = index.explain(query, number, parts) if explain else None
            hits.append(Hit(index.docs[number].key, round(score, 2), explanation))
        return hits

    def _rank_experts(self, text: str, limit: int, explain: bool, exclude: set[str], vector: Any = None) -> list[Hit]:
        """Experts by noisy-or over their best matching evidence (topics, answered questions)."""
        if not len(self._evidence) or limit == 0:
            return []
        query = self._parse(self._evidence, text)
        semantic = (SEMANTIC_EVIDENCE_POOL, self.expert_semantic_weight)
        found = self._evidence.search(query, limit=400, pool=400, vector=vector, semantic=semantic)
        evidence: dict[str, list[tuple[float, int, dict[str, float]]]] = {}
        for score, number, parts in found:
            doc = self._evidence.docs[number]
            if doc.key in exclude:
                continue
            strength = score / 100 * (1 - math.exp(-doc.weight))
            evidence.setdefault(doc.key, []).append((strength, number, parts))
        ranked = []
        for user_id, pieces in evidence.items():
            pieces.sort(key=lambda p: -p[0])
            miss = math.prod(1 - s for s, _, _ in pieces[:EXPERT_EVIDENCE])
            ranked.append((100 * (1 - miss), user_id, pieces[0]))
        ranked.sort(key=lambda r: (-r[0], str(r[1])))
        hits = []
        for score, user_id, (_, number, parts) in ranked[:limit]:
            explanation = None
            if explain:
                best = self._evidence.explain(query, number, parts)
                explanation = Explanation(best.matched_terms, best.synonyms_used, {"evidence": round(score, 2)})
            hits.append(Hit(user_id, round(score, 2), explanation))
        return hits

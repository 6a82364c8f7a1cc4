"""The BM25 text index: candidates by BM25 over compact postings, re-ranked by rapidfuzz similarity
to a document's best passages, optionally fused with a semantic score."""

from __future__ import annotations

import bisect
import heapq
import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.search.records import Explanation
from bot.search.text import STOP_WORDS, Vocabulary

if TYPE_CHECKING:  # the semantic extra (numpy) is imported only when an index has vectors
    from bot.search.vectors import LineVectors, VectorIndex

SEMANTIC_WEIGHT = 0.7  # fused = 0.3 word + 0.7 semantic when words decide (validation grid, bench/README.md)
# Words count fully only when the word matcher's best candidate leads its runner-up by WORD_LEAD points;
# below that their share shrinks in proportion, down to ranking by meaning alone when two candidates
# tie on words (fine-grained topics that share their vocabulary). 0: no gate.
WORD_LEAD = 10.0
SEMANTIC_FLOOR = 0.2  # cosine at or below this scores 0
SEMANTIC_CEIL = 0.9  # cosine at or above this scores 100
SEMANTIC_POOL = 40  # nearest vectors added to the candidates (items, past questions)
# A document not embedded yet is scored by its words alone, scaled so that the word matcher's threshold
# lands on the hybrid's (engine: HYBRID_THRESHOLD / DEFAULT_THRESHOLD): it is as confident as word matching.
UNEMBEDDED_SCALE = 55 / 75
K1 = 1.2
B = 0.75
COVERAGE_SLOPE = 2.0  # see _saturate
BM25_SHARE = 0.5  # calibrated score = 100 * (BM25_SHARE * coverage + (1 - BM25_SHARE) * fuzzy)
BODY_PASSAGE_FACTOR = 0.95  # body sentences count slightly less than titles/aliases in fuzzy
ALIAS_BONUS = 10.0  # extra points for a near-verbatim confirmed alias
REJECTION_PENALTY = 40.0  # points removed for a near-verbatim rejected question
FUZZY_TOP_PASSAGES = 3  # see TextIndex._passage_similarity
RERANK_POOL = 40  # BM25 candidates re-ranked with rapidfuzz
FREQUENT_DF_SHARE = 0.05  # terms in more documents than this share only re-score candidates
ORGANISATION = -1  # the audience of a document everyone sees (TextIndex.audiences)


@dataclass(frozen=True, slots=True)
class Fusion:
    """How a search fuses meaning with words: ``pool`` nearest vectors join the candidates, ``weight`` is
    the semantic share of the score, ``lead`` the word lead at which words count fully (0: always)."""

    pool: int = SEMANTIC_POOL
    weight: float = SEMANTIC_WEIGHT
    lead: float = WORD_LEAD

    def weight_for(self, word_scores: Iterable[float]) -> float:
        """The semantic share for one query, given every candidate's word score."""
        if self.lead <= 0.0:
            return self.weight
        best = heapq.nlargest(2, word_scores)
        lead = best[0] - best[1] if len(best) == 2 else self.lead
        return 1.0 - (1.0 - self.weight) * min(1.0, max(0.0, lead / self.lead))


def semantic_score(cosine: float) -> float:
    """Cosine similarity -> 0..100, linear between SEMANTIC_FLOOR and SEMANTIC_CEIL."""
    return 100.0 * min(1.0, max(0.0, (cosine - SEMANTIC_FLOOR) / (SEMANTIC_CEIL - SEMANTIC_FLOOR)))


def _saturate(ratio: float) -> float:
    """Map BM25 / ideal BM25 (0..inf) to 0..1, strictly increasing: 0.5 -> 0.63, 1 -> 0.86, 2 -> 0.98."""
    return 1.0 - math.exp(-COVERAGE_SLOPE * ratio)


def similarity(query: str, passage: str) -> float:
    """Fuzzy similarity of two normalised strings, 0..100 (mean of token_sort and token_set)."""
    return 0.5 * (fuzz.token_sort_ratio(query, passage) + fuzz.token_set_ratio(query, passage))


@dataclass(slots=True)
class Doc:
    key: object  # what a hit reports (an expert's evidence reports its user_id)
    primary: tuple[str, ...]  # raw title and aliases (or the question text)
    body: str = ""  # raw body
    aliases: tuple[str, ...] = ()
    rejections: tuple[str, ...] = ()
    weight: float = 1.0  # evidence weight (experts)
    ref: object = None  # the key it is indexed under (set by TextIndex.add)
    lines: LineVectors | None = None  # an item's line vectors, to score it by its best line too


@dataclass
class Concept:
    """One thing the query asks for: an original word (or synonym span) and its alternatives."""

    alternatives: list[tuple[tuple[str, ...], float]]  # (terms, weight); the first is what was typed
    known: bool = True  # False when the typed word is unknown and nothing replaced it
    importance: float = 1.0  # STOP_WEIGHT for stop words


@dataclass
class Query:
    """A parsed query: weighted terms plus what was expanded, for explanations."""

    texts: list[str]  # normalised query variants for fuzzy scoring (typed, with synonyms swapped in)
    concepts: list[Concept]
    weights: dict[str, float]  # term -> BM25 query weight (before idf)
    synonyms: dict[str, tuple[str, str]] = field(default_factory=dict)  # term -> (query, synonym)


class TextIndex:
    """An inverted index with BM25 scoring and rapidfuzz re-ranking. Not thread-safe by itself.

    Each document has an audience (a team id, or ORGANISATION). A search given ``visible`` audiences
    scores only the postings of documents it may see (checked in the postings loop, before any
    score is computed) and asks the vector index for visible neighbours only; BM25 statistics (idf,
    average length) stay those of the whole index, so a document scores the same for everyone who sees it.
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary  # shared with the other text indexes of a MatchIndex
        self.postings: dict[str, tuple[array, array]] = {}  # term -> (doc numbers, weighted tf)
        self.docs: list[Doc | None] = []  # by doc number; None once removed (tombstone)
        self.lengths = array("f")
        self.norms = array("f")  # K1 * (1 - B + B * length / avgdl) at indexing time
        self.audiences = array("i")  # by doc number: its audience, ORGANISATION for everyone
        self.scoped = 0  # live documents with a team audience (none: a filtered search filters nothing)
        self.by_key: dict[object, int] = {}
        self.by_length: dict[int, list[str]] = {}  # vocabulary bucketed by length, for typos
        self.total_length = 0.0
        self.norm_avgdl = 1.0
        self.dead = 0
        self.vectors: VectorIndex | None = None  # embeddings by key, when the index has an encoder

    def __len__(self) -> int:
        return len(self.by_key)

    # ---- updates ----------------------------------------------------------------------------

    def add(self, key: object, body: Iterable[str], fields: list[tuple[list[str], float]], doc: Doc,
            vector: Any = None, audience: int | None = None) -> None:
        """Index ``doc`` under ``key``, replacing any previous version.

        ``body`` terms count once each; ``fields`` are (terms, weight) pairs such as a boosted title;
        ``vector`` is its embedding when the index has vectors; ``audience`` the team that sees it
        (None: everyone).
        """
        self.remove(key)
        doc.ref = key
        scope = ORGANISATION if audience is None else audience
        if self.vectors is not None and vector is not None:
            self.vectors.set(key, vector, scope)
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
        self.audiences.append(scope)
        self.scoped += scope != ORGANISATION
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
        self.scoped -= self.audiences[number] != ORGANISATION
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
        self.audiences = array("i", (self.audiences[old] for old in order))
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

    def bm25(self, weights: dict[str, float], pool: int, visible: frozenset[int] | None = None) -> dict[int, float]:
        """BM25 scores for candidate documents (doc number -> score), of the documents whose audience
        is in ``visible`` or ORGANISATION (every document when ``visible`` is None).

        Terms are visited rarest first. A term found in more than FREQUENT_DF_SHARE of the documents
        does not add new candidates once some exist; it only re-scores the best ``pool`` of them
        (binary search in its sorted postings), which bounds the work for common words.
        """
        n_docs = max(len(self.docs), 1)
        frequent_df = max(2000, int(FREQUENT_DF_SHARE * n_docs))
        scores: dict[int, float] = {}
        norms, audiences = self.norms, self.audiences
        if not self.scoped:
            visible = None  # nothing to hide: the unfiltered loop
        terms = sorted((t for t in weights if t in self.postings), key=self.df)
        shortlist: list[int] | None = None
        for term in terms:
            ids, freqs = self.postings[term]
            boost = weights[term] * self.idf(term) * (K1 + 1)
            if len(ids) <= frequent_df or not scores:
                get = scores.get
                if visible is None:
                    for number, freq in zip(ids, freqs):
                        scores[number] = get(number, 0.0) + boost * freq / (freq + norms[number])
                else:  # the same, for the visible postings only: a hidden one costs a lookup
                    for number, freq in zip(ids, freqs):
                        audience = audiences[number]
                        if audience == ORGANISATION or audience in visible:
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

    def ideal(self, query: Query) -> float:
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

    def search(self, query: Query, limit: int, pool: int = RERANK_POOL, vector: Any = None,
               semantic: Fusion = Fusion(),
               visible: frozenset[int] | None = None) -> list[tuple[float, int, dict[str, float]]]:
        """Top ``limit`` documents as (score 0..100, doc number, score parts), best first.

        With a query ``vector`` (and vectors in the index), ``semantic`` says how meaning is fused in
        (Fusion); a vector joins the candidates only if its cosine is above SEMANTIC_FLOOR (else a
        candidate with neither a shared word nor a similar meaning would still collect fuzzy points).
        With ``visible``, only documents of those audiences or ORGANISATION are candidates (see the
        class docstring).
        """
        fuse = vector is not None and self.vectors is not None
        if not self.by_key or not (query.concepts or fuse):
            return []
        raw = self.bm25(query.weights, pool, visible) if query.concepts else {}
        live = [n for n in heapq.nlargest(pool * 2, raw, key=raw.__getitem__) if self.docs[n] is not None][:pool]
        ideal = self.ideal(query) if query.concepts else 1.0
        cosines: dict[object, float] = {}
        if fuse:
            scopes = visible if self.scoped else None
            cosines = {key: c for key, c in self.vectors.top(vector, semantic.pool, scopes) if c > SEMANTIC_FLOOR}
            cosines.update(self.vectors.similarity(vector, [self.docs[n].ref for n in live]))
            seen = set(live)
            live += [n for n in map(self.by_key.__getitem__, cosines) if n not in seen]
        words = [(number, self._parts(query, number, _saturate(raw.get(number, 0.0) / ideal))) for number in live]
        weight = semantic.weight_for(sum(parts.values()) for _, parts in words) if fuse else 0.0
        ranked = []
        for number, parts in words:
            if fuse:
                doc = self.docs[number]
                cosine = cosines.get(doc.ref)
                if cosine is not None and doc.lines is not None:
                    cosine = doc.lines.cosine(vector, cosine)
                parts = _fused(parts, cosine, weight)
            ranked.append((max(0.0, min(100.0, sum(parts.values()))), number, parts))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        return ranked[:limit]

    def _parts(self, query: Query, number: int, coverage: float) -> dict[str, float]:
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

    def _passage_similarity(self, query: Query, doc: Doc) -> float:
        """Rapidfuzz similarity (0..100) of the query to the doc's passages (title, aliases, body lines).

        Half the best passage, half the mean of the best FUZZY_TOP_PASSAGES: an item whose several
        phrasings agree with the query gains a little, without burying a perfect title match under
        unrelated body sentences. Body sentences count BODY_PASSAGE_FACTOR as much as title/aliases.
        """
        sims = []
        for i, passage in enumerate(self.vocabulary.passages(doc.primary, doc.body)):
            factor = 1.0 if i < len(doc.primary) else BODY_PASSAGE_FACTOR
            sims.append(factor * max(similarity(variant, passage) for variant in query.texts))
        best = heapq.nlargest(FUZZY_TOP_PASSAGES, sims)
        return 0.5 * best[0] + 0.5 * sum(best) / len(best)

    def explain(self, query: Query, number: int, parts: dict[str, float]) -> Explanation:
        matched = [t for t in query.weights if t not in STOP_WORDS and self.contains(t, number)]
        return Explanation(
            matched_terms=tuple(self.vocabulary.surface(t) for t in matched),
            synonyms_used=tuple(dict.fromkeys(query.synonyms[t] for t in matched if t in query.synonyms)),
            parts={k: round(v, 2) for k, v in parts.items()},
        )


def _fused(parts: dict[str, float], cosine: float | None, weight: float) -> dict[str, float]:
    """Word parts scaled by ``1 - weight`` plus ``weight`` times the semantic score; without a
    cosine (the document has no vector yet), the word parts on the hybrid's scale."""
    if cosine is None:
        return {name: UNEMBEDDED_SCALE * value for name, value in parts.items()}
    fused = {name: (1 - weight) * value for name, value in parts.items()}
    fused["semantic"] = weight * semantic_score(cosine)
    return fused


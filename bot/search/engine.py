"""The matching index: route a /learn question to library content, past questions or experts.

Pure Python over plain records (no Slack, no SQL). How a question is ranked:

1. Normalise text: Unicode accents folded, lower-cased, split into words, words reduced by a small
   suffix-stripping stemmer (``stem``, text.py); CJK text becomes character bigrams. Stop words are indexed
   (in short questions "not", "what", "my" carry meaning) but weigh little in a query (STOP_WEIGHT).
2. Expand the query: unknown words are corrected against the index vocabulary (one edit, two for
   long words; ``TextIndex.correct``, ranking.py) and synonym/acronym groups (synonyms.py) add
   their other terms.
3. Candidate generation: BM25 over an inverted index (compact ``array`` postings). Very frequent
   terms only re-score candidates found through rarer terms, which keeps a query fast at 1M items.
4. Re-ranking: each candidate gets a calibrated 0..100 score that mixes
   * ``bm25``: the share of the query's BM25 weight the document matches (0..1), and
   * ``fuzzy``: rapidfuzz similarity of the query to the document's best passage (title, each
     alias, each body sentence). The scorer (mean of token_sort_ratio and token_set_ratio) was
     chosen by measurement, see bench/README.md; WRatio ranks short questions against long text badly,
   plus a bonus for confirmed aliases and a penalty for questions the item did not help with.
5. Semantic fusion (optional, the ``semantic`` extra): with an ``encoder`` (encoders.py) every
   item, past question and piece of expert evidence also carries a sentence embedding; the query is
   embedded once; the candidates are the BM25 pool plus the nearest vectors, and each candidate's
   score is ``(1 - w) * word score + w * semantic score`` where the semantic score maps the cosine
   linearly from SEMANTIC_FLOOR..SEMANTIC_CEIL to 0..100, and ``w`` is SEMANTIC_WEIGHT when the word
   matcher's best candidate leads its runner-up by WORD_LEAD points, rising to 1 as that lead shrinks
   to nothing (words that fit several candidates equally do not reorder them; ``ranking.Fusion``).
   An item's vector is the centroid of its phrasings (title+tags line and body sentences,
   ``embedding_text``), which finds the candidates; an item of many lines is then scored partly by
   its best lines (``vectors.LineVectors.cosine``).
   Weights, recipe and the hybrid threshold were tuned on validation splits (bench/README.md).
6. Trust: given the time, an item past its review date loses STALE_PENALTY points (a fresh item of
   equal match ranks above it), and one more than STALE_GRACE past it is never the confident answer.
   Items without a review date (``ItemRecord.review_due`` None) cost nothing here.
7. Visibility: an item with an audience (a team or department) is seen only by searches given that
   audience; organisation-wide items (audience None) by every search. Hidden items are left out of
   candidate generation (their postings are never scored, the nearest-vector search skips them),
   so confidence is decided among what the asker sees. A search given no audiences sees only
   organisation-wide items; ALL_AUDIENCES (admin tools) sees everything.
8. Decision: ``confident`` iff the best content item (or best similar past question) scores at
   least ``threshold`` and leads the runner-up by at least ``margin``.

Experts are ranked from the evidence they carry: each declared topic and each answered question is a
small document; an expert's score combines their best matching pieces of evidence (noisy-or).
"""

from __future__ import annotations

import heapq
import math
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping, Sequence

from bot.search.ranking import SEMANTIC_WEIGHT, WORD_LEAD, Concept, Doc, Fusion, Query, TextIndex
from bot.search.records import (ALL_AUDIENCES, Audiences, ExpertRecord, Explanation, Hit, ItemRecord, MatchResult,
                                QuestionRecord)
from bot.search.synonyms import Synonyms
from bot.search.text import STOP_WORDS, Vocabulary, embedding_text

if TYPE_CHECKING:  # the semantic extra (numpy, torch) is imported only when an encoder is given
    from bot.search.embedding import Encoder
    from bot.search.vectors import DocumentVectors

DEFAULT_THRESHOLD: float = 75.0
DEFAULT_MARGIN: float = 3.0
HYBRID_THRESHOLD: float = 55.0  # the default threshold with an encoder (CLINC150 validation sweep)
EXPERT_SEMANTIC_WEIGHT = 0.6  # SEMANTIC_WEIGHT for expert evidence (colleague routing on validation splits)
SEMANTIC_EVIDENCE_POOL = 100  # nearest pieces of expert evidence added to the candidates
MAX_QUERY_CHARS = 4000
EXPERT_EVIDENCE = 5  # an expert's score combines their best 5 pieces of evidence
TOPIC_WEIGHT = 1.5  # a declared topic counts like an answered question of this weight
TITLE_WEIGHT = 2.0  # BM25F-style field weights (term frequency multipliers; body words count 1)
ALIAS_WEIGHT = 1.5
TAG_WEIGHT = 1.5
SYNONYM_WEIGHT = 0.8  # query weight of a synonym expansion, shared over its words
TYPO_WEIGHT = 0.8  # query weight of a typo-corrected term
MAX_QUERY_TERMS = 40  # long queries keep their highest-idf terms
MAX_TYPO_LOOKUPS = 12
STOP_WEIGHT = 0.3  # query weight of a stop word
MAX_VARIANTS = 3  # fuzzy scoring tries the typed query plus up to 2 synonym substitutions
FUZZY_QUERY_CHARS = 600
STALE_PENALTY = 5.0  # points a stale item loses, more than the margin between equal matches
STALE_GRACE = timedelta(days=30)  # past its review date by this much, an item is never the confident answer


class MatchIndex:
    """Library items, past questions and experts, searchable together.

    Thread-safety: every mutation and every search holds one re-entrant lock, so a search never
    sees a half-applied update (searches are short, a few milliseconds).

    With an ``encoder`` (bot.search.embedding.Encoder) matching is hybrid: upserts take a precomputed
    embedding (or compute one, unless ``embed_documents`` is False: then a document without one is
    matched by its words alone), a search embeds its query once, outside the lock.
    """

    def __init__(
        self,
        synonyms: Iterable[Sequence[str]] = (),
        threshold: float | None = None,
        margin: float = DEFAULT_MARGIN,
        encoder: Encoder | None = None,
        semantic_weight: float | None = None,
        embed_documents: bool = True,
        word_lead: float = WORD_LEAD,
    ) -> None:
        default = DEFAULT_THRESHOLD if encoder is None else HYBRID_THRESHOLD
        self.threshold = default if threshold is None else threshold
        self.margin = margin
        self.encoder = encoder
        self.embed_documents = embed_documents  # False: documents upserted without a vector are matched by words
        # the semantic share of the fused score; default SEMANTIC_WEIGHT, and EXPERT_SEMANTIC_WEIGHT for experts
        self.semantic_weight = SEMANTIC_WEIGHT if semantic_weight is None else semantic_weight
        self.expert_semantic_weight = EXPERT_SEMANTIC_WEIGHT if semantic_weight is None else semantic_weight
        self.word_lead = word_lead  # items and past questions: the lead at which words count fully (Fusion)
        self._lock = threading.RLock()
        self._vocabulary = Vocabulary()  # the words of this index: stems, surface forms, passages
        self._synonyms = Synonyms(synonyms, self._vocabulary)
        self._items = TextIndex(self._vocabulary)
        self._records: dict[int, ItemRecord] = {}
        self._questions = TextIndex(self._vocabulary)
        self._evidence = TextIndex(self._vocabulary)  # keys: (user_id, n); docs carry the evidence weight
        self._evidence_count: dict[str, int] = {}
        if encoder is not None:
            from bot.search.vectors import VectorIndex

            for index in (self._items, self._questions, self._evidence):
                index.vectors = VectorIndex(encoder.dimension)

    def __len__(self) -> int:
        return len(self._records)

    def set_synonyms(self, groups: Iterable[Sequence[str]]) -> None:
        """Replace the synonym table (applies to the next search; no re-indexing needed)."""
        synonyms = Synonyms(groups, self._vocabulary)
        with self._lock:
            self._synonyms = synonyms

    # ---- items ------------------------------------------------------------------------------

    def upsert_item(self, item: ItemRecord, vector: DocumentVectors | None = None) -> None:
        """Add or replace a library item; searchable immediately.

        With an encoder, ``vector`` is the embedding of ``embedding_text(item)``; when it is not
        given, the previous one is kept if that text did not change, else it is computed (or, without
        ``embed_documents``, the item is matched by its words until it is given one).
        """
        normalize = self._vocabulary.normalize
        aliases = [normalize(a) for a in item.aliases]
        fields = [(normalize(item.title), TITLE_WEIGHT), (normalize(" ".join(item.tags)), TAG_WEIGHT)]
        fields += [(terms, ALIAS_WEIGHT) for terms in aliases]
        doc = Doc(
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
            self._items.add(item.id, normalize(item.body), fields, doc, None if vector is None else vector.centroid,
                            item.audience)
            self._records[item.id] = item

    def _item_vector(self, item: ItemRecord) -> DocumentVectors | None:
        """The current vectors when the embedded text is unchanged, else new ones."""
        from bot.search.vectors import DocumentVectors

        assert self.encoder is not None
        old = self._records.get(item.id)
        if old is None and not self.embed_documents:
            return None
        text = embedding_text(item)
        if old is not None and embedding_text(old) == text and self._items.vectors is not None:
            lines = self._items.docs[self._items.by_key[item.id]].lines
            centroid = self._items.vectors.get(item.id)
            if lines is not None and centroid is not None:
                return DocumentVectors(centroid, lines)
        return self.encoder.encode_documents([text])[0] if self.embed_documents else None

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
        doc = Doc(key=q.id, primary=(q.text,))
        with self._lock:
            if self.encoder is not None and vector is None and self.embed_documents:
                vector = self._embed([q.text])[0]
            self._questions.add(q.id, (), [(self._vocabulary.normalize(q.text), TITLE_WEIGHT)], doc, vector)

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
                doc = Doc(key=e.user_id, primary=(text,), weight=weight)
                self._evidence.add((e.user_id, n), (), [(self._vocabulary.normalize(text), TITLE_WEIGHT)], doc,
                                   embedded.get(text))
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
        missing = list(dict.fromkeys(t for t in texts if t not in given)) if self.embed_documents else []
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
        now: datetime | None = None,
        audiences: Audiences = (),
    ) -> MatchResult:
        """Rank content, similar past questions and experts for ``query``; never raises on odd text.

        With ``now``, stale items are demoted (see Trust in the module docstring). Content is
        the items of ``audiences`` (team ids: the asker's, ``bot.teams.audiences_of``) and the
        organisation-wide ones; ALL_AUDIENCES sees every item (see Visibility)."""
        query_text = query if isinstance(query, str) else ""
        limit = max(int(limit), 0)
        visible = None if audiences is ALL_AUDIENCES else frozenset(audiences)  # type: ignore[arg-type]
        vector = self.encoder.encode_query(query_text[:MAX_QUERY_CHARS]) if self.encoder and query_text.strip() else None
        with self._lock:
            content = self._rank(self._items, query_text, limit, explain, vector, visible)
            stale = self._stale_items(content, now)
            if stale:
                content = self._demoted(content, stale)
            similar = self._rank(self._questions, query_text, limit, explain, vector)
            experts = self._rank_experts(query_text, limit, explain, set(exclude_experts), vector)
            expired = bool(content) and now is not None and self._records[int(content[0].id)].stale(now, STALE_GRACE)
            confident = (self._is_confident(content) and not expired) or self._is_confident(similar)
        return MatchResult(query, confident, content[:limit], similar[:limit], experts)

    def _stale_items(self, hits: list[Hit], now: datetime | None) -> set[int]:
        """The ids of hits past their review date at ``now`` (none without a time)."""
        if now is None:
            return set()
        return {int(h.id) for h in hits if self._records[int(h.id)].stale(now)}

    @staticmethod
    def _demoted(hits: list[Hit], stale: set[int]) -> list[Hit]:
        """The hits with STALE_PENALTY off each stale one's score (an explanation shows it), best first again."""
        def demote(hit: Hit) -> Hit:
            score = max(hit.score - STALE_PENALTY, 0.0)
            why = hit.explanation and replace(hit.explanation, parts={**hit.explanation.parts,
                                                                      "stale": round(score - hit.score, 2)})
            return replace(hit, score=round(score, 2), explanation=why)

        return sorted((demote(h) if int(h.id) in stale else h for h in hits), key=lambda h: -h.score)

    def _is_confident(self, hits: list[Hit]) -> bool:
        """Threshold + margin rule: the best hit is good enough and clearly ahead of the next."""
        if not hits or hits[0].score < self.threshold:
            return False
        return len(hits) == 1 or hits[0].score - hits[1].score >= self.margin

    def _parse(self, index: TextIndex, text: str) -> Query:
        """Normalise, typo-correct against ``index``'s vocabulary and expand synonyms."""
        terms = self._vocabulary.normalize(text[:MAX_QUERY_CHARS])
        fixes = self._typo_fixes(index, terms)
        corrected = [fixes.get(t, (t, 0))[0] for t in terms]
        concepts: list[Concept] = []
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
                concepts.append(Concept(alternatives))
                i += length
                continue
            term = terms[i]
            if term in STOP_WORDS:
                concepts.append(Concept([((term,), STOP_WEIGHT)], term in index.postings, STOP_WEIGHT))
            elif term in fixes:
                fixed, edits = fixes[term]
                concepts.append(Concept([((term,), 1.0), ((fixed,), TYPO_WEIGHT ** edits)]))
            else:
                concepts.append(Concept([((term,), 1.0)], known=term in index.postings))
            i += 1
        concepts = self._distinct_concepts(index, concepts)
        weights: dict[str, float] = {}
        for concept in concepts:
            for alt_terms, weight in concept.alternatives:
                for t in alt_terms:
                    weights[t] = max(weights.get(t, 0.0), weight / len(alt_terms))
        texts = [" ".join(v)[:FUZZY_QUERY_CHARS] for v in variants]
        return Query(texts, concepts, weights, synonyms)

    def _typo_fixes(self, index: TextIndex, terms: list[str]) -> dict[str, tuple[str, int]]:
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
    def _distinct_concepts(index: TextIndex, concepts: list[Concept]) -> list[Concept]:
        """Drop repeated concepts; very long queries keep their MAX_QUERY_TERMS rarest ones."""
        unique = list({c.alternatives[0][0]: c for c in concepts}.values())
        if len(unique) > MAX_QUERY_TERMS:
            unique = heapq.nlargest(MAX_QUERY_TERMS, unique, key=lambda c: index.idf(c.alternatives[-1][0][0]))
        return unique

    def _rank(self, index: TextIndex, text: str, limit: int, explain: bool, vector: Any = None,
              visible: frozenset[int] | None = None) -> list[Hit]:
        """Hits for ``index`` (one more than ``limit`` so the margin rule can see the runner-up), among
        the documents of ``visible`` audiences and the organisation's (all of them when None)."""
        if not len(index):
            return []
        query = self._parse(index, text)
        hits = []
        semantic = Fusion(weight=self.semantic_weight, lead=self.word_lead)
        for score, number, parts in index.search(query, max(limit, 1) + 1, vector=vector, semantic=semantic,
                                                 visible=visible):
            explanation = index.explain(query, number, parts) if explain else None
            hits.append(Hit(index.docs[number].key, round(score, 2), explanation))
        return hits

    def _rank_experts(self, text: str, limit: int, explain: bool, exclude: set[str], vector: Any = None) -> list[Hit]:
        """Experts by noisy-or over their best matching evidence (topics, answered questions)."""
        if not len(self._evidence) or limit == 0:
            return []
        query = self._parse(self._evidence, text)
        # no gate: an expert's pieces of evidence tie with each other, so a lead on words says nothing
        semantic = Fusion(SEMANTIC_EVIDENCE_POOL, self.expert_semantic_weight, lead=0.0)
        found = self._evidence.search(query, limit=400, pool=400, vector=vector, semantic=semantic)
        evidence: dict[str, list[tuple[float, float, int, dict[str, float]]]] = {}
        for score, number, parts in found:
            doc = self._evidence.docs[number]
            if doc.key in exclude:
                continue
            strength = score / 100 * (1 - math.exp(-doc.weight))
            evidence.setdefault(doc.key, []).append((strength, score, number, parts))
        ranked = []
        for user_id, pieces in evidence.items():
            pieces.sort(key=lambda p: -p[0])
            miss = math.prod(1 - s for s, _, _, _ in pieces[:EXPERT_EVIDENCE])
            ranked.append((100 * (1 - miss), user_id, pieces[0], max(p[1] for p in pieces)))
        ranked.sort(key=lambda r: (-r[0], str(r[1])))
        hits = []
        for score, user_id, (_, _, number, parts), match in ranked[:limit]:
            explanation = None
            if explain:
                best = self._evidence.explain(query, number, parts)
                explanation = Explanation(best.matched_terms, best.synonyms_used, {"evidence": round(score, 2)})
            hits.append(Hit(user_id, round(score, 2), explanation, round(match, 2)))
        return hits

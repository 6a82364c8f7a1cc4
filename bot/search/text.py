"""Text to terms: accents folded, lower-cased, words stemmed, CJK runs split into bigrams; sentences,
the passages fuzzy re-ranking compares a query with, and the lines an encoder embeds for an item."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.search.records import ItemRecord

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
MAX_PASSAGES = 200  # body sentences kept for fuzzy re-ranking (all are indexed)
MAX_CACHED_WORDS = 500_000  # words whose term a Vocabulary remembers
PASSAGE_CACHE = 8192  # documents whose passages a Vocabulary remembers
MAX_EMBED_LINES = 150  # body sentences embedded per item (each costs one more line to embed)


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


def fold(text: str) -> str:
    """Lower-case and strip accents (café -> cafe)."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _cjk_bigrams(token: str) -> list[str]:
    """Split a run of CJK characters (no spaces between words) into overlapping bigrams."""
    if len(token) < 2:
        return [token]
    return [token[i : i + 2] for i in range(len(token) - 1)]


def sentences(text: str) -> list[str]:
    """Split a body into lines/sentences."""
    return [s for s in _SENTENCE_RE.split(text) if s and not s.isspace()] if text else []


def embedding_text(item: ItemRecord) -> str:
    """What is embedded for an item, one phrasing per line: title and tags, then up to
    MAX_EMBED_LINES body sentences. The encoder embeds each line (at most 32 word pieces) and keeps
    the normalised sum: a centroid of the item's phrasings (embedding.LineEncoder, docs/semantic.md)."""
    head = ". ".join(part.strip() for part in (item.title, ", ".join(item.tags)) if part.strip())
    body = [s.strip() for s in sentences(item.body)[:MAX_EMBED_LINES]]
    return "\n".join(line for line in (head, *body) if line)


class Vocabulary:
    """Text -> terms for one index, with the state that makes it fast and readable: each word's term
    (stemming every word again would dominate indexing), the first word seen for each term (an
    explanation shows words, not stems) and the passages of recently re-ranked documents.
    """

    def __init__(self) -> None:
        self._terms: dict[str, str] = {}  # lower-cased word -> term, up to MAX_CACHED_WORDS
        self._surface: dict[str, str] = {}  # term -> first word seen
        self.passages = lru_cache(maxsize=PASSAGE_CACHE)(self._passages)

    def normalize(self, text: str) -> list[str]:
        """Text -> list of terms: accents folded, lower-cased, stemmed; CJK runs become bigrams."""
        tokens = _WORD_RE.findall(fold(text))
        terms = list(map(self._terms.get, tokens))  # fast path: every word seen before
        if None not in terms:
            return terms
        out: list[str] = []
        for token, term in zip(tokens, terms):
            if term is not None:
                out.append(term)
            elif not token.isascii() and _CJK_RE.search(token):
                out.extend(_cjk_bigrams(token))
            else:
                out.append(self._term(token))
        return out

    def _term(self, token: str) -> str:
        """Stem one lower-cased word (stop words are kept as they are); cached, remembers a surface form."""
        cached = self._terms.get(token)
        if cached is None:
            cached = token if token in STOP_WORDS else stem(token)
            if len(self._terms) < MAX_CACHED_WORDS:
                self._terms[token] = cached
                self._surface.setdefault(cached, token)
        return cached

    def surface(self, term: str) -> str:
        """A readable word for a stemmed term (the first word seen that produced it)."""
        return self._surface.get(term, term)

    def _passages(self, primary: tuple[str, ...], body: str) -> tuple[str, ...]:
        """Normalised passages for fuzzy re-ranking: title/aliases (or question), then body sentences.

        Computed when a document is re-ranked, not stored: this keeps indexing fast and memory small;
        ``passages`` caches those of the PASSAGE_CACHE most recently re-ranked documents.
        """
        lines = [" ".join(self.normalize(s)) for s in sentences(body)[:MAX_PASSAGES]]
        return tuple(" ".join(self.normalize(p)) for p in primary) + tuple(line for line in lines if line)


def normalize(text: str) -> list[str]:
    """``Vocabulary.normalize`` for one-off text (a synonyms table being checked): nothing is kept."""
    return Vocabulary().normalize(text)


def content_terms(text: str) -> list[str]:
    """The terms of `text` a search can use: normalised, stop words left out (CJK bigrams count)."""
    return [t for t in normalize(text) if t not in STOP_WORDS]

"""Routing quality of bot.search against two baselines on public intent datasets.

Usage:  python bench/quality.py DATA_DIR [--max-test 1000] [--seed 13] [--sweep] [--semantic]
                                [--tune [--seeds 1,2,3]] [--faq [--validation]]

With --semantic (needs the `semantic` extra), three more systems are measured on the same items:
"hybrid" (word/fuzzy fused with embeddings: the bot with the extra installed), "embedding" (the same
index ranking by the semantic score alone) and, as before, "ours" (word/fuzzy only). --sweep then
sweeps the hybrid's threshold; --tune prints a grid of fusion weights and word leads (ranking.Fusion)
measured on validation splits only (CLINC150 val, 10 held-out training examples per BANKING77 intent,
HWU64 valid; --seeds: one set per seed), with --max-test validation questions per dataset.

DATA_DIR holds clinc150/, banking77/ and hwu64/ (see its README.md). What is measured:

* content routing: one library item per intent built from k training examples of that intent
  (k = 1, 5, all): title = the first example, body = the other examples, one per line. A test
  question is routed correctly when the top item (top-1) / one of the top 5 items is its intent;
* colleague routing (CLINC150 domains, HWU64 scenarios = label prefix before '_'): one expert per
  domain whose declared topic is the domain name and who "answered" all its training questions
  (weight 1); top-1 / top-3 accuracy;
* knowing when not to answer: share of CLINC150 oos test queries that get a confident answer, and for
  reference the share of in-scope queries answered confidently and how often those are right.

--faq (with --semantic) measures FAQ-shaped libraries instead: one item per intent whose title is
one training example and whose long body mixes FAQ_LINES other training examples of the intent with
FAQ_FILLER unrelated sentences (from the datasets' LICENSE files: legal prose), in a seeded random
order; the questions are the test examples (--validation, or with --tune: the validation splits
above), so they paraphrase the title. A "merged" row puts every dataset's intents in one library
(291 items) and asks all their questions. --first-pass embeds each item's first line only (title + tags: stored_vectors.FIRST_LINES),
as the background embedder's first pass leaves them.

Baselines on the very same items/experts, in the same run: Okapi BM25 (k1=1.5, b=0.75, rank_bm25's
idf floor, lower-cased word tokens), and rapidfuzz ``process.extract`` with its default scorer
(WRatio) and ``utils.default_process`` as processor over "title + body".

Test sets are subsampled to --max-test questions per dataset (fixed seed); sizes are printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import process, utils  # noqa: E402

import bot.search.engine as engine  # noqa: E402
from bot.search import ExpertRecord, ItemRecord, MatchIndex, embedding_text  # noqa: E402
from bot.search.stored_vectors import first_lines  # noqa: E402

Example = tuple[str, str]  # (text, label)
ENCODER = None  # set by --semantic: a CachedEncoder over the configured model
FIRST_PASS = False  # set by --first-pass: items embedded as the embedder's pass 1 leaves them


class CachedEncoder:
    """The bot's encoder with query vectors memoised: the same test questions are asked many times."""

    def __init__(self, encoder) -> None:
        self.inner, self.name, self.dimension, self.model_id = encoder, encoder.name, encoder.dimension, encoder.model_id
        self.cache: dict[str, object] = {}
        self.lines: dict[str, object] = {}

    def encode_documents(self, texts, progress=None):
        """Documents, embedded line by line as the bot does (embedding.passages, DocumentVectors); lines
        are memoised too: the same training sentences are item lines and expert evidence many times."""
        import numpy as np

        from bot.search.embedding import passages
        from bot.search.vectors import DocumentVectors

        lines = [passages(t) for t in texts]
        missing = list(dict.fromkeys(p for ps in lines for p in ps if p not in self.lines))
        if missing:
            self.lines.update(zip(missing, self.inner.encode(missing, progress)))
        return [DocumentVectors.of_lines(np.stack([self.lines[p] for p in ps])) for ps in lines]

    def encode(self, texts, progress=None):
        import numpy as np

        return np.stack([d.centroid for d in self.encode_documents(texts, progress)])

    def encode_query(self, text: str):
        if text not in self.cache:
            self.cache[text] = self.inner.encode_query(text)
        return self.cache[text]


def new_index(system: str = "ours") -> MatchIndex:
    """word/fuzzy ("ours"), "hybrid", or "embedding" (semantic score only)."""
    if system == "ours":
        return MatchIndex()
    return MatchIndex(encoder=ENCODER, semantic_weight=1.0 if system == "embedding" else None)


def systems() -> tuple[str, ...]:
    return ("ours", "hybrid", "embedding") if ENCODER else ("ours",)


# ---------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------


def load_clinc(root: Path) -> dict:
    data = json.loads((root / "clinc150" / "data_full.json").read_text())
    domains = json.loads((root / "clinc150" / "domains.json").read_text())
    domain_of = {intent: domain for domain, intents in domains.items() for intent in intents}
    return {
        "train": [tuple(x) for x in data["train"]],
        "test": [tuple(x) for x in data["test"]],
        "oos_test": [x[0] for x in data["oos_test"]],
        "oos_val": [x[0] for x in data["oos_val"]],
        "val": [tuple(x) for x in data["val"]],
        "group": domain_of.get,
    }


def load_banking(root: Path) -> dict:
    def read(name: str) -> list[Example]:
        with open(root / "banking77" / name, newline="", encoding="utf-8") as f:
            return [(row["text"], row["category"]) for row in csv.DictReader(f)]

    return {"train": read("train.csv"), "test": read("test.csv"), "group": None}


def load_hwu(root: Path) -> dict:
    def read(split: str) -> list[Example]:
        folder = root / "hwu64" / split
        texts = (folder / "seq.in").read_text(encoding="utf-8").splitlines()
        labels = (folder / "label").read_text(encoding="utf-8").splitlines()
        return list(zip(texts, labels))

    return {"train": read("train"), "test": read("test"), "group": lambda label: label.split("_")[0]}


# ---------------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------------

_WORDS = re.compile(r"\w+")


class BM25Baseline:
    """Okapi BM25 as in rank_bm25.BM25Okapi (k1=1.5, b=0.75, epsilon=0.25), full scan."""

    def __init__(self, docs: list[str], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.k1, self.b = k1, b
        self.tfs = [Counter(_WORDS.findall(d.lower())) for d in docs]
        self.lengths = [sum(tf.values()) for tf in self.tfs]
        self.avgdl = sum(self.lengths) / len(docs)
        df = Counter(t for tf in self.tfs for t in tf)
        n = len(docs)
        idf = {t: math.log(n - f + 0.5) - math.log(f + 0.5) for t, f in df.items()}
        floor = epsilon * sum(idf.values()) / len(idf)
        self.idf = {t: (v if v >= 0 else floor) for t, v in idf.items()}

    def top(self, query: str, k: int) -> list[int]:
        terms = _WORDS.findall(query.lower())
        scores = []
        for i, tf in enumerate(self.tfs):
            norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avgdl)
            s = sum(self.idf.get(t, 0.0) * tf[t] * (self.k1 + 1) / (tf[t] + norm) for t in terms if t in tf)
            scores.append((s, -i))
        return [-i for s, i in sorted(scores, reverse=True)[:k]]


class FuzzBaseline:
    """rapidfuzz process.extract with its default scorer (WRatio)."""

    def __init__(self, docs: list[str]) -> None:
        self.docs = [utils.default_process(d) for d in docs]

    def top(self, query: str, k: int) -> list[int]:
        return [i for _, _, i in process.extract(utils.default_process(query), self.docs, limit=k)]


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


def build_items(train: list[Example], k: int | None, rng: random.Random) -> tuple[list[ItemRecord], list[str]]:
    """One item per intent from k (None = all) training examples; returns (items, labels by item)."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in train:
        by_label[label].append(text)
    items, labels = [], []
    for n, label in enumerate(sorted(by_label)):
        examples = by_label[label]
        chosen = examples if k is None else rng.sample(examples, min(k, len(examples)))
        items.append(ItemRecord(id=n, title=chosen[0], body="\n".join(chosen[1:])))
        labels.append(label)
    return items, labels


FAQ_LINES = 3  # other examples of the intent in an FAQ item's body
FAQ_FILLER = 8  # unrelated sentences in its body


def filler_sentences(root: Path) -> list[str]:
    """Sentences of 6-40 words from the datasets' LICENSE files (unrelated to any intent)."""
    text = " ".join((root / name / "LICENSE").read_text(encoding="utf-8") for name in ("clinc150", "banking77", "hwu64"))
    sentences = (" ".join(s.split()) for s in re.split(r"(?<=[.;:])\s+", text))
    return sorted({s for s in sentences if 6 <= len(s.split()) <= 40 and not s.isupper()})


def build_faq_items(train: list[Example], filler: list[str], rng: random.Random, lines: int = FAQ_LINES,
                    fill: int = FAQ_FILLER) -> tuple[list[ItemRecord], list[str]]:
    """One FAQ-shaped item per intent: title = a training example, body = ``lines`` other examples
    and ``fill`` filler sentences, shuffled; returns (items, labels by item)."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in train:
        by_label[label].append(text)
    items, labels = [], []
    for n, label in enumerate(sorted(by_label)):
        title, *others = rng.sample(by_label[label], min(1 + lines, len(by_label[label])))
        body = others + rng.sample(filler, fill)
        rng.shuffle(body)
        items.append(ItemRecord(id=n, title=title, body="\n".join(s.rstrip(".") + "." for s in body)))
        labels.append(label)
    return items, labels


def faq_rows(root: Path, splits: list[tuple[str, list[Example], list[Example]]], seed: int,
             shape: tuple[int, int] = (FAQ_LINES, FAQ_FILLER)) -> list[dict]:
    """Top-1 / top-5 of every system on FAQ-shaped libraries (``shape`` = intent lines, filler lines
    per body) of each (name, train, questions) split."""
    filler = filler_sentences(root)
    rows = []
    for name, train, questions in splits:
        items, labels = build_faq_items(train, filler, random.Random(seed), *shape)
        ranks = route_all(items, labels, [q for q, _ in questions])
        gold = [label for _, label in questions]
        row = {"dataset": name, "task": "faq", "setting": f"{len(items)} items", "n": len(questions)}
        for system, r in ranks.items():
            row[system] = (accuracy(r, gold, 1), accuracy(r, gold, 5))
        rows.append(row)
        print(f"{name} faq: " + "  ".join(f"{system} {row[system][0]:5.1f} / {row[system][1]:5.1f}"
                                         for system in (*systems(), "bm25")), flush=True)
    return rows


def merged(splits: list[tuple[str, list[Example], list[Example]]]) -> tuple[str, list[Example], list[Example]]:
    """One library of every split's intents (labels prefixed by their dataset) asked every split's questions:
    a larger library whose neighbours come from other domains too."""
    def tagged(name: str, examples: list[Example]) -> list[Example]:
        return [(text, f"{name}/{label}") for text, label in examples]

    return ("merged", [e for name, train, _ in splits for e in tagged(name, train)],
            [e for name, _, questions in splits for e in tagged(name, questions)])


def test_splits(root: Path, names: list[str], seed: int, max_test: int) -> list[tuple[str, list[Example], list[Example]]]:
    """(name, training examples, test questions subsampled to ``max_test``)."""
    loaders = {"clinc150": load_clinc, "banking77": load_banking, "hwu64": load_hwu}
    splits = []
    for name in names:
        data = loaders[name](root)
        test = data["test"]
        splits.append((name, data["train"], random.Random(seed).sample(test, min(max_test, len(test)))))
    return splits


def print_faq_report(rows: list[dict]) -> bool:
    """The FAQ table; target: hybrid >= embedding-only and >= word-only at top-1 and top-5 on every row."""
    print("\nFAQ-shaped libraries (--faq): top-1 / top-5 accuracy (%)")
    print(f"{'dataset':10} | {'hybrid':>13} | {'embedding':>13} | {'word (ours)':>13} | {'bm25':>13} | hybrid ≥ both")
    ok = True
    for r in rows:
        met = all(r["hybrid"][i] >= max(r["embedding"][i], r["ours"][i]) for i in (0, 1))
        ok &= met
        cells = " | ".join(f"{r[s][0]:5.1f} / {r[s][1]:5.1f}" for s in ("hybrid", "embedding", "ours", "bm25"))
        print(f"{r['dataset']:10} | {cells} | {'met' if met else 'NOT met'}")
    return ok


def accuracy(rankings: list[list[str]], gold: list[str], k: int) -> float:
    return 100.0 * sum(g in r[:k] for r, g in zip(rankings, gold)) / max(len(gold), 1)


def item_index(items: list[ItemRecord], system: str = "ours") -> MatchIndex:
    """An index of ``items`` for ``system``; with FIRST_PASS, items carry their pass-1 vectors only."""
    index = new_index(system)
    texts = [first_lines(embedding_text(i)) if FIRST_PASS else embedding_text(i) for i in items]
    vectors = ENCODER.encode_documents(texts) if system != "ours" else [None] * len(items)
    for item, vector in zip(items, vectors):
        index.upsert_item(item, vector)
    return index


def route_all(items: list[ItemRecord], labels: list[str], queries: list[str]) -> dict[str, list[list[str]]]:
    """Top-5 label rankings for ours (and hybrid, embedding) and both baselines."""
    texts = [f"{i.title}\n{i.body}" for i in items]
    bm25, fuzzy = BM25Baseline(texts), FuzzBaseline(texts)
    ranks = {}
    for system in systems():
        index = item_index(items, system)
        ranks[system] = [[labels[h.id] for h in index.search(q, limit=5).content] for q in queries]
    ranks["bm25"] = [[labels[i] for i in bm25.top(q, 5)] for q in queries]
    ranks["rapidfuzz"] = [[labels[i] for i in fuzzy.top(q, 5)] for q in queries]
    return ranks


def content_rows(name: str, data: dict, test: list[Example], seed: int) -> list[dict]:
    rows = []
    for k in (1, 5, None):
        items, labels = build_items(data["train"], k, random.Random(seed))
        ranks = route_all(items, labels, [t for t, _ in test])
        gold = [label for _, label in test]
        row = {"dataset": name, "task": "content", "setting": f"k={k or 'all'}", "n": len(test)}
        for system, r in ranks.items():
            row[system] = (accuracy(r, gold, 1), accuracy(r, gold, 5))
        rows.append(row)
    return rows


def expert_row(name: str, data: dict, test: list[Example]) -> dict:
    group = data["group"]
    answered: dict[str, list[str]] = defaultdict(list)
    for text, label in data["train"]:
        answered[group(label)].append(text)
    names = sorted(answered)
    records = [ExpertRecord(g, topics=(g.replace("_", " "),), answered=tuple((q, 1.0) for q in answered[g])) for g in names]
    evidence = sorted({t for r in records for t in (*r.topics, *(q for q, _ in r.answered))})
    vectors = dict(zip(evidence, ENCODER.encode(evidence))) if ENCODER else None
    texts = [g.replace("_", " ") + "\n" + "\n".join(answered[g]) for g in names]
    bm25, fuzzy = BM25Baseline(texts), FuzzBaseline(texts)
    queries, gold = [t for t, _ in test], [group(label) for _, label in test]
    ranks = {}
    for system in systems():
        index = new_index(system)
        for record in records:
            index.upsert_expert(record, vectors)
        ranks[system] = [[h.id for h in index.search(q, limit=3).experts] for q in queries]
    ranks["bm25"] = [[names[i] for i in bm25.top(q, 3)] for q in queries]
    ranks["rapidfuzz"] = [[names[i] for i in fuzzy.top(q, 3)] for q in queries]
    row = {"dataset": name, "task": "colleague", "setting": "all answered", "n": len(test)}
    for system, r in ranks.items():
        row[system] = (accuracy(r, gold, 1), accuracy(r, gold, 3))
    return row


def confidence_rows(data: dict, test: list[Example], seed: int, system: str = "ours") -> list[dict]:
    """Confident-answer rates on CLINC150 oos test queries and in-scope test queries, per k."""
    rows = []
    for k in (1, 5, None):
        items, labels = build_items(data["train"], k, random.Random(seed))
        index = item_index(items, system)
        oos = [index.search(q).confident for q in data["oos_test"]]
        inscope = [(index.search(q), label) for q, label in test]
        answered = [(r, label) for r, label in inscope if r.confident]
        right = sum(labels[r.content[0].id] == label for r, label in answered)
        rows.append({
            "system": system,
            "setting": f"k={k or 'all'}",
            "oos": 100.0 * sum(oos) / len(oos),
            "n_oos": len(oos),
            "inscope": 100.0 * len(answered) / len(inscope),
            "precision": 100.0 * right / max(len(answered), 1),
        })
    return rows


def sweep(data: dict, seed: int) -> None:
    """Print confident rates on CLINC150 *validation* (val + oos_val) for several thresholds."""
    items, labels = build_items(data["train"], None, random.Random(seed))
    index = item_index(items, "hybrid" if ENCODER else "ours")
    val = random.Random(seed).sample(data["val"], 1000)
    oos = [index.search(q).content for q in data["oos_val"]]
    ins = [(index.search(q).content, label) for q, label in val]
    for threshold in range(40, 90, 5):
        for margin in (0, 2, 4, 6, 8):
            def ok(hits):  # noqa: E306
                return bool(hits) and hits[0].score >= threshold and (len(hits) < 2 or hits[0].score - hits[1].score >= margin)
            o = 100 * sum(ok(h) for h in oos) / len(oos)
            conf = [(h, label) for h, label in ins if ok(h)]
            prec = 100 * sum(labels[h[0].id] == label for h, label in conf) / max(len(conf), 1)
            print(f"threshold {threshold:3d} margin {margin}: oos_val confident {o:5.1f}%  in-scope confident "
                  f"{100 * len(conf) / len(ins):5.1f}%  precision {prec:5.1f}%")


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def print_report(rows: list[dict], conf: list[dict]) -> bool:
    print("\nTop-1 / top-k accuracy (%), content: top-5, colleague: top-3")
    header = f"{'dataset':10} {'task':9} {'setting':13} {'n':>5} | {'ours':>13} | {'BM25':>13} | {'rapidfuzz':>13} | {'Δ top-1':>8} | target"
    print(header)
    print("-" * len(header))
    deltas = []
    all_met = True
    for r in rows:
        best = max(r["bm25"][0], r["rapidfuzz"][0])
        delta = r["ours"][0] - best
        deltas.append(delta)
        met = delta > 0
        all_met &= met
        cells = " | ".join(f"{r[s][0]:5.1f} / {r[s][1]:5.1f}" for s in ("ours", "bm25", "rapidfuzz"))
        print(f"{r['dataset']:10} {r['task']:9} {r['setting']:13} {r['n']:5d} | {cells} | {delta:+8.1f} | "
              f"{'met' if met else 'NOT met'}")
    avg = sum(deltas) / len(deltas)
    avg_met = avg >= 3
    print(f"\nAverage top-1 lead over the better baseline: {avg:+.1f} points (target ≥ +3): {'met' if avg_met else 'NOT met'}")
    print("\nConfident answers, CLINC150 (ours; threshold/margin = defaults)")
    oos_met = True
    for c in conf:
        met = c["oos"] < 10
        oos_met &= met
        print(f"  {c['setting']:6} oos test confident {c['oos']:5.1f}% of {c['n_oos']} (target < 10%: "
              f"{'met' if met else 'NOT met'})   in-scope confident {c['inscope']:5.1f}%, of which correct {c['precision']:5.1f}%")
    return all_met and avg_met and oos_met


def print_semantic_report(rows: list[dict], conf: list[dict]) -> bool:
    """Hybrid beside embedding-only and word-only; target: hybrid >= embedding on every row, > on average."""
    print("\nSemantic (--semantic): top-1 / top-k accuracy (%)")
    header = (f"{'dataset':10} {'task':9} {'setting':13} | {'hybrid':>13} | {'embedding':>13} | {'word (ours)':>13} | "
              f"{'hyb-emb':>7} | {'emb-word':>8} | hybrid ≥ embedding")
    print(header)
    print("-" * len(header))
    leads = []
    every = True
    for r in rows:
        lead = r["hybrid"][0] - r["embedding"][0]
        leads.append(lead)
        every &= lead >= 0
        cells = " | ".join(f"{r[s][0]:5.1f} / {r[s][1]:5.1f}" for s in ("hybrid", "embedding", "ours"))
        print(f"{r['dataset']:10} {r['task']:9} {r['setting']:13} | {cells} | {lead:+7.1f} | "
              f"{r['embedding'][0] - r['ours'][0]:+8.1f} | {'met' if lead >= 0 else 'NOT met'}")
    avg = sum(leads) / len(leads)
    print(f"\nAverage top-1 lead of hybrid over embedding-only: {avg:+.1f} points (target > 0): "
          f"{'met' if avg > 0 else 'NOT met'}")
    print(f"Confident answers, CLINC150, hybrid (threshold {engine.HYBRID_THRESHOLD:g}, margin {engine.DEFAULT_MARGIN:g})")
    oos_met = True
    for c in conf:
        oos_met &= c["oos"] < 10
        print(f"  {c['setting']:6} oos test confident {c['oos']:5.1f}% (target < 10%: {'met' if c['oos'] < 10 else 'NOT met'})"
              f"   in-scope confident {c['inscope']:5.1f}%, of which correct {c['precision']:5.1f}%")
    return every and avg > 0 and oos_met


def validation_splits(root: Path, seed: int, max_test: int) -> list[tuple[str, list[Example], list[Example]]]:
    """(name, training examples, validation questions): never a test split.

    CLINC150: train / val; BANKING77: train minus 10 examples per intent / those held-out examples;
    HWU64: train / valid. Validation questions are subsampled to ``max_test``."""
    rng = random.Random(seed)
    clinc = load_clinc(root)
    banking: dict[str, list[Example]] = defaultdict(list)
    for example in load_banking(root)["train"]:
        banking[example[1]].append(example)
    held, rest = [], []
    for label in sorted(banking):
        examples = banking[label][:]
        rng.shuffle(examples)
        held += examples[:10]
        rest += examples[10:]
    folder = root / "hwu64" / "valid"
    hwu_valid = list(zip((folder / "seq.in").read_text(encoding="utf-8").splitlines(),
                         (folder / "label").read_text(encoding="utf-8").splitlines()))
    splits = [("clinc150", clinc["train"], clinc["val"]), ("banking77", rest, held),
              ("hwu64", load_hwu(root)["train"], hwu_valid)]
    return [(n, train, random.Random(seed).sample(val, min(max_test, len(val)))) for n, train, val in splits]


TUNE_GRID = [(0.8, 0.0), (0.7, 0.0), (0.8, 10.0), (0.7, 10.0), (0.7, 20.0), (0.6, 20.0)]  # (weight, word lead)


def tune(root: Path, seeds: list[int], max_test: int, faq: bool) -> None:
    """Fusion weight x word lead (ranking.Fusion) on the validation splits of every seed (its held-out
    BANKING77 examples, its FAQ bodies, its question sample): top-1 / top-5 per cell and the margin of
    the hybrid over max(word-only, embedding-only); then, per setting, the worst margin, the cells
    below, and the mean top-1 / top-5. Content libraries at k = 1, 5, all, or FAQ-shaped ones."""
    margins: dict[tuple, list[float]] = defaultdict(list)
    scores: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
    filler = filler_sentences(root)
    for seed in seeds:
        for name, train, val in validation_splits(root, seed, max_test):
            for k in (None,) if faq else (1, 5, None):
                items, labels = (build_faq_items(train, filler, random.Random(seed)) if faq
                                 else build_items(train, k, random.Random(seed)))
                vectors = ENCODER.encode_documents([embedding_text(i) for i in items])

                def top(index: MatchIndex) -> tuple[float, float]:
                    for item, vector in zip(items, vectors if index.encoder else [None] * len(items)):
                        index.upsert_item(item, vector)
                    ranks = [[labels[h.id] for h in index.search(q, limit=5).content] for q, _ in val]
                    gold = [label for _, label in val]
                    return accuracy(ranks, gold, 1), accuracy(ranks, gold, 5)

                word, embedding = top(MatchIndex()), top(MatchIndex(encoder=ENCODER, semantic_weight=1.0))
                shape = "faq" if faq else f"k={k or 'all'}"
                line = (f"seed {seed} {name} {shape}: word {word[0]:.1f} / {word[1]:.1f}"
                        f"  embedding {embedding[0]:.1f} / {embedding[1]:.1f} |")
                for weight, lead in TUNE_GRID:
                    hybrid = top(MatchIndex(encoder=ENCODER, semantic_weight=weight, word_lead=lead))
                    margin = min(hybrid[i] - max(word[i], embedding[i]) for i in (0, 1))
                    margins[(weight, lead)].append(margin)
                    scores[(weight, lead)].append(hybrid)
                    line += f"  w{weight} lead {lead:g}: {hybrid[0]:.1f} / {hybrid[1]:.1f} ({margin:+.1f})"
                print(line, flush=True)
    for setting in TUNE_GRID:
        found, cells = margins[setting], scores[setting]
        print(f"weight {setting[0]} lead {setting[1]:g}: worst {min(found):+.1f}, below in {sum(m < 0 for m in found)}"
              f" of {len(found)} cells, mean {sum(c[0] for c in cells) / len(cells):.2f} / "
              f"{sum(c[1] for c in cells) / len(cells):.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--max-test", type=int, default=1000, help="test questions per dataset (subsampled)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sweep", action="store_true", help="only print a threshold sweep on CLINC150 validation")
    parser.add_argument("--datasets", default="clinc150,banking77,hwu64")
    parser.add_argument("--semantic", action="store_true", help="also measure hybrid and embedding-only")
    parser.add_argument("--tune", action="store_true",
                        help="with --semantic: only the fusion grid on the validation splits (--max-test per split)")
    parser.add_argument("--seeds", help="with --tune: comma-separated seeds, one set of validation splits each")
    parser.add_argument("--faq", action="store_true", help="with --semantic: FAQ-shaped libraries")
    parser.add_argument("--validation", action="store_true", help="with --faq: the validation splits, not test")
    parser.add_argument("--first-pass", action="store_true",
                        help="embed items' title line only, as the embedder's first pass leaves them")
    parser.add_argument("--faq-shape", default=f"{FAQ_LINES},{FAQ_FILLER}",
                        help="with --faq: other examples of the intent, filler sentences per body (default %(default)s)")
    args = parser.parse_args()
    if args.semantic:
        global ENCODER, FIRST_PASS
        FIRST_PASS = args.first_pass
        from bot.config import load_settings
        from bot.encoder_settings import open_encoder

        encoder = open_encoder(load_settings())
        if encoder is None:
            sys.exit("--semantic needs the semantic extra: pip install -e '.[semantic]'")
        ENCODER = CachedEncoder(encoder)
    if args.tune:
        if not ENCODER:
            sys.exit("--tune tunes the hybrid: add --semantic")
        tune(args.data_dir, [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed], args.max_test,
             args.faq)
        return
    if args.faq:
        if not ENCODER:
            sys.exit("--faq compares the hybrid with embedding-only: add --semantic")
        names = args.datasets.split(",")
        splits = (validation_splits(args.data_dir, args.seed, args.max_test) if args.validation
                  else test_splits(args.data_dir, names, args.seed, args.max_test))
        splits = [s for s in splits if s[0] in names]
        splits += [merged(splits)] if len(splits) > 1 else []
        shape = tuple(int(n) for n in args.faq_shape.split(","))
        print(f"FAQ-shaped libraries ({shape[0]} other examples, {shape[1]} filler sentences a body) on the "
              f"{'validation' if args.validation else 'test'} splits")
        ok = print_faq_report(faq_rows(args.data_dir, splits, args.seed, shape))
        print(f"\nFAQ targets: {'met' if ok else 'NOT met'}")
        return
    started = time.time()
    loaders = {"clinc150": load_clinc, "banking77": load_banking, "hwu64": load_hwu}
    if args.sweep:
        sweep(load_clinc(args.data_dir), args.seed)
        return
    rows: list[dict] = []
    conf: list[dict] = []
    for name in args.datasets.split(","):
        data = loaders[name](args.data_dir)
        test = data["test"]
        if len(test) > args.max_test:
            test = random.Random(args.seed).sample(test, args.max_test)
        print(f"{name}: {len(data['train'])} training examples, {len(test)} of {len(data['test'])} test questions"
              + (f", {len(data['oos_test'])} oos test questions" if "oos_test" in data else ""), flush=True)
        rows += content_rows(name, data, test, args.seed)
        if data["group"]:
            rows.append(expert_row(name, data, test))
        if "oos_test" in data:
            conf = confidence_rows(data, test, args.seed)
            if ENCODER:
                hybrid_conf = confidence_rows(data, test, args.seed, "hybrid")
    ok = print_report(rows, conf)
    if ENCODER:
        ok &= print_semantic_report(rows, hybrid_conf)
    print(f"\nAll quality targets: {'met' if ok else 'NOT met'}   ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()

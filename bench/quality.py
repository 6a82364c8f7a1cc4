"""Routing quality of bot.matching against two baselines on public intent datasets.

Usage:  python bench/quality.py DATA_DIR [--max-test 1000] [--seed 13] [--sweep]

DATA_DIR holds clinc150/, banking77/ and hwu64/ (see its README.md). What is measured:

* content routing: one library item per intent built from k training examples of that intent
  (k = 1, 5, all): title = the first example, body = the other examples, one per line. A test
  question is routed correctly when the top item (top-1) / one of the top 5 items is its intent;
* colleague routing (CLINC150 domains, HWU64 scenarios = label prefix before '_'): one expert per
  domain whose declared topic is the domain name and who "answered" all its training questions
  (weight 1); top-1 / top-3 accuracy;
* knowing when not to answer: share of CLINC150 oos test queries that get a confident answer, and for
  reference the share of in-scope queries answered confidently and how often those are right.

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

from bot.matching import ExpertRecord, ItemRecord, MatchIndex  # noqa: E402

Example = tuple[str, str]  # (text, label)


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


def accuracy(rankings: list[list[str]], gold: list[str], k: int) -> float:
    return 100.0 * sum(g in r[:k] for r, g in zip(rankings, gold)) / max(len(gold), 1)


def route_all(items: list[ItemRecord], labels: list[str], queries: list[str]) -> dict[str, list[list[str]]]:
    """Top-5 label rankings for ours and both baselines."""
    ours = MatchIndex()
    for item in items:
        ours.upsert_item(item)
    texts = [f"{i.title}\n{i.body}" for i in items]
    bm25, fuzzy = BM25Baseline(texts), FuzzBaseline(texts)
    return {
        "ours": [[labels[h.id] for h in ours.search(q, limit=5).content] for q in queries],
        "bm25": [[labels[i] for i in bm25.top(q, 5)] for q in queries],
        "rapidfuzz": [[labels[i] for i in fuzzy.top(q, 5)] for q in queries],
    }


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
    ours = MatchIndex()
    for g in names:
        ours.upsert_expert(ExpertRecord(g, topics=(g.replace("_", " "),), answered=tuple((q, 1.0) for q in answered[g])))
    texts = [g.replace("_", " ") + "\n" + "\n".join(answered[g]) for g in names]
    bm25, fuzzy = BM25Baseline(texts), FuzzBaseline(texts)
    queries, gold = [t for t, _ in test], [group(label) for _, label in test]
    ranks = {
        "ours": [[h.id for h in ours.search(q, limit=3).experts] for q in queries],
        "bm25": [[names[i] for i in bm25.top(q, 3)] for q in queries],
        "rapidfuzz": [[names[i] for i in fuzzy.top(q, 3)] for q in queries],
    }
    row = {"dataset": name, "task": "colleague", "setting": "all answered", "n": len(test)}
    for system, r in ranks.items():
        row[system] = (accuracy(r, gold, 1), accuracy(r, gold, 3))
    return row


def confidence_rows(data: dict, test: list[Example], seed: int) -> list[dict]:
    """Confident-answer rates on CLINC150 oos test queries and in-scope test queries, per k."""
    rows = []
    for k in (1, 5, None):
        items, labels = build_items(data["train"], k, random.Random(seed))
        index = MatchIndex()
        for item in items:
            index.upsert_item(item)
        oos = [index.search(q).confident for q in data["oos_test"]]
        inscope = [(index.search(q), label) for q, label in test]
        answered = [(r, label) for r, label in inscope if r.confident]
        right = sum(labels[r.content[0].id] == label for r, label in answered)
        rows.append({
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
    index = MatchIndex()
    for item in items:
        index.upsert_item(item)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--max-test", type=int, default=1000, help="test questions per dataset (subsampled)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sweep", action="store_true", help="only print a threshold sweep on CLINC150 validation")
    parser.add_argument("--datasets", default="clinc150,banking77,hwu64")
    args = parser.parse_args()

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
    ok = print_report(rows, conf)
    print(f"\nAll quality targets: {'met' if ok else 'NOT met'}   ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()

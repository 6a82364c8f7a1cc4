"""A progress bar for long work, shown only on a terminal."""

from __future__ import annotations

import sys
from typing import Callable, TextIO

MIN_WORK = 1000  # below this, work is quick enough to need no bar


def progress_bar(total: int, label: str, stream: TextIO = sys.stderr) -> Callable[[int], None] | None:
    """`show(done)` drawing `label [####....] done/total`, or None when not on a terminal or little to do."""
    if total <= MIN_WORK or not stream.isatty():
        return None

    def show(done: int) -> None:
        filled = int(30 * done / total)
        stream.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show

"""A progress bar for long work: redrawn in place on a terminal, else (``always``) a line per step."""

from __future__ import annotations

import sys
from typing import Callable, TextIO

MIN_WORK = 1000  # below this, work is quick enough to need no bar
STEPS = 20  # lines written for the whole work when the stream is not a terminal


def progress_bar(total: int, label: str, stream: TextIO = sys.stderr, *,
                 always: bool = False) -> Callable[[int], None] | None:
    """`show(done)` drawing `label [####....] done/total`, or None when there is little to do or, unless
    ``always``, when not on a terminal (a log or a pipe then gets a plain line every 1/STEPS of the work)."""
    terminal = stream.isatty()
    if total <= 0 or not always and (total <= MIN_WORK or not terminal):
        return None
    shown = [-1]

    def show(done: int) -> None:
        step = STEPS * done // total
        if not terminal and step == shown[0]:
            return
        shown[0] = step
        filled = int(30 * done / total)
        bar = f"{label} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,}"
        stream.write(f"\r{bar}" if terminal else f"{bar}\n")
        if terminal and done >= total:
            stream.write("\n")
        stream.flush()

    return show

"""Progress lines of long calls (``verbose=True``): on stderr, each with the seconds since the
call began, including the XLA compilations that a first call of new shapes spends its time in."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator

from l1jax import _programs

_WRITING = threading.RLock()  # (re-entrant: a stderr that reports back cannot deadlock it)


class Progress:
    """A callable that prints ``[where  t s] message`` lines on stderr when enabled."""

    def __init__(self, where: str, enabled: bool):
        self.where, self.enabled = where, bool(enabled)
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled and sys.stderr is not None:  # (None: pythonw, a service, 2>&-)
            elapsed = time.perf_counter() - self.start
            line = f"[{self.where} {elapsed:5.1f} s] {message}\n"
            with _WRITING:  # one whole line at a time: cv_path's fold threads report at once
                sys.stderr.write(line)
                sys.stderr.flush()


@contextlib.contextmanager
def progress(where: str, enabled: bool) -> Iterator[Progress]:
    """A :class:`Progress` for the block, which also reports every compilation in it."""
    report = Progress(where, enabled)
    stop = _programs.listen(report) if report.enabled else None
    try:
        yield report
    finally:
        if stop is not None:
            stop()

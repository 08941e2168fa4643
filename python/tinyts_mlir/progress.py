"""A progress line for work that takes longer than a second.

Nothing is shown for work that ends within :data:`QUIET_SECONDS`. After
that, on a terminal one line on stderr is rewritten in place as the work
goes on; elsewhere (CI logs, pipes) a single line is printed when it ends.
"""

from __future__ import annotations

import sys
import time

QUIET_SECONDS = 1.0
_REFRESH_SECONDS = 0.25


class Progress:
    """``Progress("compiling x.tflite")``; ``update("planning")`` as the work
    goes on; ``done("arena 28,800 B")`` when it ends."""

    def __init__(self, what: str, enabled: bool = True) -> None:
        self.what = what
        self.enabled = enabled
        self.start = self.shown_at = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.shown = False

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def _line(self, state: str) -> str:
        return f"[tinyts] {self.what}: {state} ({self.elapsed:.1f} s)"

    def update(self, state: str) -> None:
        now = time.perf_counter()
        if (self.enabled and self.tty and now - self.start > QUIET_SECONDS
                and now - self.shown_at > _REFRESH_SECONDS):
            print("\r\033[K" + self._line(state), end="", file=sys.stderr, flush=True)
            self.shown_at, self.shown = now, True

    def done(self, state: str) -> None:
        if self.enabled and self.elapsed > QUIET_SECONDS:
            print(("\r\033[K" if self.tty else "") + self._line(state), file=sys.stderr,
                  flush=True)

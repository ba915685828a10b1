"""The live counter of a run on a terminal: ``round 12/40``, then ``period 3/20``, rewritten in
place on stderr and cleared at the end. Only when stderr is a terminal: piped or redirected, the
output is what it was without it. The run tells it of its progress through
:attr:`negotiator.runtime.runner.RunOptions.progress`; the library prints nothing itself."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TextIO

#: Seconds between two rewrites of the counter at most (a fast run has thousands of rounds a
#: second; the terminal need not see each).
EVERY_S = 0.1


class Counter:
    """Writes ``\\rround 12/40`` to ``stream``, at most every :data:`EVERY_S` seconds, and clears
    it with :meth:`clear`."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.width = 0
        self.last: float | None = None

    def __call__(self, phase: str, step: int, total: int) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < EVERY_S and step != total:
            return
        self.last = now
        text = f"{phase} {step}/{total}"
        self.stream.write(f"\r{text.ljust(self.width)}")
        self.stream.flush()
        self.width = max(self.width, len(text))

    def clear(self) -> None:
        """Erase the counter (nothing if it never wrote)."""
        if self.width:
            self.stream.write(f"\r{' ' * self.width}\r")
            self.stream.flush()
            self.width = 0


@contextlib.contextmanager
def live_counter(stream: TextIO) -> Iterator[Counter | None]:
    """A :class:`Counter` on ``stream`` if it is a terminal (else None), cleared on the way out
    whatever happened."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        yield None
        return
    counter = Counter(stream)
    try:
        yield counter
    finally:
        counter.clear()

"""Ctrl-C and SIGTERM, held back out of the few steps that an exception would leave half done.

Python raises ``KeyboardInterrupt`` (and our SIGTERM handler :class:`Terminated`) between any two
bytecodes. Inside the event log's bookkeeping — a line numbered and chained but not yet queued for
writing, a queue of events half made into lines, a write half done — that would leave a log that
no longer verifies. Such steps run ``with held():``; a signal that arrives meanwhile is raised when
the outermost such block ends. Elsewhere the handlers raise at once, as Python's do.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType


class Terminated(Exception):
    """SIGTERM arrived (raised by :func:`on_signal`)."""


_depth = 0
_pending: BaseException | None = None


class _Held:
    """``with held():`` defers SIGINT and SIGTERM to the end of the block (main thread only:
    Python runs signal handlers there)."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _depth
        _depth += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _depth, _pending
        _depth -= 1
        if _depth == 0 and _pending is not None:
            held, _pending = _pending, None
            if exc is None:  # (if the block is failing anyway, its own error is the news)
                raise held


_HELD = _Held()


def held() -> _Held:
    return _HELD


def on_signal(signum: int, frame: FrameType | None) -> None:
    """The handler of SIGINT and SIGTERM: raise ``KeyboardInterrupt`` or :class:`Terminated`
    now, or at the end of the :func:`held` block under way."""
    global _pending
    exc: BaseException = KeyboardInterrupt() if signum == signal.SIGINT else Terminated()
    if _depth:
        if _pending is None:
            _pending = exc
        return
    raise exc


@contextmanager
def installed() -> Iterator[None]:
    """In the main thread, Python's own SIGINT handler replaced by :func:`on_signal`, which
    raises the same ``KeyboardInterrupt`` but can wait for a :func:`held` block; the previous
    handler afterwards. Nothing else changes: an ignored SIGINT (a background job) stays
    ignored, and SIGTERM keeps whatever handler it has (the command line sets
    :func:`on_signal`; a sweep's workers must keep dying at once when their pool ends them)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    signal.signal(signal.SIGINT, on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)

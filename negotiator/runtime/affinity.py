"""Keep an inproc run on one CPU core.

The agents of an inproc run are threads of the mediator's process. They take turns holding the
GIL, so a second core gives them no parallelism, only a cross-core wake-up at every hand-over
(a request to an agent, its answer back), which on a virtual machine costs more than the
hand-over itself. Pinning the mediator's thread and the agent threads it starts to the core it
is running on removes those wake-ups: ``bench/vs_negmas.py``'s inproc row went from 19.4 to
39.0 negotiations per second on the project's 2-core machine (docs/performance.md).

Linux only (``os.sched_setaffinity``); elsewhere nothing is pinned. The affinity is the calling
thread's: threads it starts inherit it, the rest of the process keeps its own, and the thread's
former affinity comes back when the block ends.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


def allowed_cpus() -> list[int]:
    """The CPUs this thread may run on, in order (empty where affinity is not supported)."""
    if not hasattr(os, "sched_getaffinity"):
        return []
    return sorted(os.sched_getaffinity(0))


def current_cpu() -> int | None:
    """The CPU the calling thread is running on now (Linux: its ``/proc/self/task/<tid>/stat``;
    None elsewhere)."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    try:
        return int(fields[36])  # field 39 of stat(5), counted after "pid (comm)"
    except (IndexError, ValueError):
        return None


def pick_cpu(index: int | None = None) -> int | None:
    """A CPU to pin to: the ``index``-th allowed one (modulo their number; a sweep worker's
    number), else the one the calling thread is on. None where affinity is not supported."""
    cpus = allowed_cpus()
    if not cpus:
        return None
    if index is not None:
        return cpus[index % len(cpus)]
    cpu = current_cpu()
    return cpu if cpu in cpus else cpus[0]


def pin_threads(native_ids: list[int], cpu: int | None) -> None:
    """Move already running threads of this process onto ``cpu`` (None: leave them)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    for tid in native_ids:
        with suppress(OSError):  # the thread has just ended
            os.sched_setaffinity(tid, {cpu})


@contextmanager
def on_one_cpu(cpu: int | None) -> Iterator[int | None]:
    """Run the calling thread, and the threads it starts meanwhile, on ``cpu`` (None: leave
    everything as it is). Yields the CPU pinned to, or None."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    if cpu not in before:
        yield None
        return
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)

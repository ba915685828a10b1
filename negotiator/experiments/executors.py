"""Running a sweep's tasks (one cell × seed each): in this process, in a local pool of worker
processes, or on a dask.distributed cluster. Every executor runs :func:`run_task`, which reuses
its process's agent pool run after run, and yields flat result rows as runs finish.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from negotiator.errors import ConfigError
from negotiator.experiments.maps import label
from negotiator.experiments.metrics import metric
from negotiator.experiments.spec import Experiment, load_experiment


@dataclass(frozen=True)
class Task:
    run_id: str
    cell: int
    params: dict[str, Any]
    seed: int


def tasks(experiment: Experiment, seeds: int | None = None) -> list[Task]:
    return [
        Task(f"c{i:03d}-s{j:04d}", i, cell, seed)
        for i, cell in enumerate(experiment.cells)
        for j, seed in enumerate(experiment.seeds(seeds))
    ]


def run_task(experiment_path: str, task: Task, logs: str | None, transport: str) -> dict[str, Any]:
    """Run one cell × seed and return its flat result row (used by every executor)."""
    from negotiator.runtime.runner import RunOptions, run

    experiment = _cached_experiment(experiment_path)
    config = experiment.config(task.params, task.seed)
    started = time.monotonic()
    temp = None if logs else tempfile.mkdtemp(prefix="negotiator-sweep-")
    try:
        out = Path(logs) if logs else Path(temp or ".")
        if logs and (out / task.run_id).exists():
            # the remains of a run that an interrupted sweep left unrecorded (it has no row in
            # results.csv): the run is done again, from the start, in a clean folder
            shutil.rmtree(out / task.run_id)
        options = RunOptions(out=out, transport=transport, run_id=task.run_id)  # type: ignore[arg-type]
        if transport in ("ipc", "inproc"):  # this worker's agents, reused run after run
            result = _pool(transport).run(config, options)
        else:
            result = run(config, options)
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
    summary = result.summary
    row: dict[str, Any] = {"run_id": task.run_id, "cell": task.cell}
    row |= {k: label(v) for k, v in task.params.items()}
    row["seed"] = task.seed
    for m in experiment.spec.metrics:
        row[m] = metric(summary, m)
    row["final_digest"] = summary.final_digest
    row["wall_seconds"] = round(time.monotonic() - started, 4)
    return row


_EXPERIMENTS: dict[str, Experiment] = {}
_POOLS: dict[str, Any] = {}
_WORKER_NUMBER: list[int] = []
"""This process's number among a local sweep's workers (0, 1, …), once it has one."""


def _number_worker(counter: Any) -> None:
    """A local sweep worker's initializer: take the next number (it decides the worker's CPU)."""
    with counter.get_lock():
        _WORKER_NUMBER.append(counter.value)
        counter.value += 1


def _pool(transport: str) -> Any:
    """This process's agent pool for ``transport`` (closed when the process ends). An inproc
    pool keeps to one CPU: a local sweep's workers each to another, by their numbers."""
    if transport not in _POOLS:
        import atexit
        from multiprocessing import util

        from negotiator.runtime.affinity import pick_cpu
        from negotiator.runtime.pool import Pool

        if not _POOLS:
            atexit.register(close_pools)
            util.Finalize(None, close_pools, exitpriority=10)  # a pool worker's normal exit
        cpu = pick_cpu(_WORKER_NUMBER[0]) if _WORKER_NUMBER else None
        _POOLS[transport] = Pool(transport, cpu=cpu)  # type: ignore[arg-type]
    return _POOLS[transport]


def close_pools() -> None:
    """End this process's pooled agents."""
    while _POOLS:
        _POOLS.popitem()[1].close()


def _cached_experiment(path: str) -> Experiment:
    if path not in _EXPERIMENTS:
        _EXPERIMENTS[path] = load_experiment(Path(path))
    return _EXPERIMENTS[path]


def run_tasks(
    experiment: Experiment,
    todo: list[Task],
    logs: str | None,
    transport: str,
    workers: int,
    executor: str,
    scheduler: str | None,
) -> Iterator[dict[str, Any]]:
    """Run ``todo`` with ``executor`` (``processes``: ``workers`` local processes, or this one
    if ``workers`` ≤ 1; ``dask``: the cluster at ``scheduler``), yielding rows as runs finish."""
    path = str(experiment.path.resolve())
    if not todo:
        return
    if executor == "dask":
        yield from _dask(path, todo, logs, transport, scheduler)
        return
    if workers <= 1:
        try:
            for task in todo:
                yield run_task(path, task, logs, transport)
        finally:
            close_pools()
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(workers, initializer=_number_worker, initargs=(ctx.Value("i", 0),))
    finished = False
    try:
        jobs = ((path, task, logs, transport) for task in todo)
        yield from pool.imap_unordered(_star, jobs, chunksize=1)
        pool.close()
        pool.join()  # workers exit normally and end their pooled agents
        finished = True
    finally:
        if not finished:  # interrupted: agents notice their worker is gone (--watch-parent)
            pool.terminate()
            pool.join()


def _star(args: tuple[str, Task, str | None, str]) -> dict[str, Any]:
    return run_task(*args)


def _dask(
    path: str, todo: list[Task], logs: str | None, transport: str, scheduler: str | None
) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ConfigError(
            "--executor dask: dask.distributed is not installed "
            '(pip install "cluster-negotiator[dask]")'
        ) from None
    if not scheduler:
        raise ConfigError("--executor dask: give the cluster's --scheduler ADDRESS")
    with Client(scheduler, timeout="10s") as client:  # type: ignore[no-untyped-call]
        futures = [client.submit(run_task, path, t, logs, transport, pure=False) for t in todo]
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            yield future.result()

"""Experiments: a grid of config changes × seeds, run in parallel, with resumable flat results.

An experiment file (``configs/experiments/*.toml``, reference in docs/experiments.md) names a base
scenario, fixed changes (``[set]``), a grid (``[grid]``: dotted key → list of values; ``[[zip]]``:
keys whose values move together), the number of seeds, the metrics and the hypotheses. Every
cell × seed is one run (inproc agents by default: no process start-up per run). Each finished run
is appended at once to ``results.csv``; running the same command again skips the runs already
recorded. Seeds: seed i (0-based) of every cell is ``derive_seed(root_seed, "sweep", str(i))`` —
the same seeds in every cell (common random numbers).
"""

from __future__ import annotations

import copy
import csv
import itertools
import json
import math
import shutil
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from negotiator.config import Config, config_from_dict, format_validation_error, set_key
from negotiator.errors import ConfigError
from negotiator.experiments import maps, screening
from negotiator.experiments.maps import MapSpec, label
from negotiator.experiments.screening import ScreeningSpec
from negotiator.experiments.stats import Estimate, difference_ci, mean_ci, verdict
from negotiator.seeding import derive_seed


def _impl(s: dict[str, Any]) -> dict[str, Any]:
    return s.get("implementation") or {}


def _num(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


#: Metrics a sweep can collect, computed from a run's summary (None: not defined for that run).
METRICS: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "agreement": lambda s: _num(s.get("agreement")),
    "agreement_round": lambda s: _num(s.get("agreement_round")),
    "rounds": lambda s: _num(s.get("rounds")),
    "settled_round": lambda s: _num(s.get("settled_round")),
    "welfare": lambda s: _num(s.get("welfare")),
    "pareto_distance": lambda s: _num(s.get("pareto_distance")),
    "nash_distance": lambda s: _num(s.get("nash_distance")),
    "fairness": lambda s: _num(s.get("fairness")),
    "misreports": lambda s: _num(len(s["misreports"])) if "misreports" in s else None,
    "compliance_rate": lambda s: _num(_impl(s).get("compliance_rate")),
    "contract_survived": lambda s: _num(_impl(s).get("contract_survived")),
    "cluster_output": lambda s: _num(_impl(s).get("cluster_output")),
    "cumulative_payoff": lambda s: (
        _num(math.fsum(_impl(s)["cumulative_payoffs"].values())) if _impl(s) else None
    ),
    "discounted_payoff": lambda s: (
        _num(math.fsum(_impl(s)["discounted_payoffs"].values())) if _impl(s) else None
    ),
    "detections": lambda s: _num(sum(_impl(s)["detections"].values())) if _impl(s) else None,
    "renegotiations": lambda s: _num(_impl(s).get("renegotiations")),
    "governments_total": lambda s: _num(_impl(s).get("governments_total")),
    "superior_net": lambda s: _num(_impl(s).get("superior_net")),
    "regional_welfare": lambda s: _num(_impl(s).get("regional_welfare")),
    "grim_trigger_sustainable": lambda s: _num(_impl(s).get("grim_trigger_sustainable")),
    "breakdown_period": lambda s: _num(_impl(s).get("breakdown_period")),
    "contract_changes": lambda s: _num(_impl(s).get("contract_changes")),
    "trembles": lambda s: _num(_impl(s).get("trembles")),
    "delta_star_max": lambda s: _num(_impl(s).get("delta_star_max")),
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HypothesisSpec(_Spec):
    """``metric`` is larger in the cells matching ``greater`` than in those matching ``than``;
    or the shorthand ``claim = "metric: A > B"`` with A and B values of one grid key."""

    claim: str | None = None
    metric: str | None = None
    greater: dict[str, Any] | None = None
    than: dict[str, Any] | None = None
    text: str = ""

    @model_validator(mode="after")
    def _form(self) -> HypothesisSpec:
        structured = self.metric is not None and self.greater is not None and self.than is not None
        if structured == (self.claim is not None):
            raise ValueError('give `claim = "metric: A > B"` or `metric`, `greater` and `than`')
        return self


class ExperimentSpec(_Spec):
    """One experiment file."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    description: str = ""
    base: str
    seeds: Annotated[int, Field(ge=1, le=100_000)] = 30
    root_seed: int = 0
    metrics: list[str] = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    zip: list[dict[str, list[Any]]] = Field(default_factory=list)
    hypotheses: list[HypothesisSpec] = Field(default_factory=list)
    maps: list[MapSpec] = Field(default_factory=list)
    screening: ScreeningSpec | None = None
    units: dict[str, str] = Field(default_factory=dict)
    """Units of the metrics, for tables and plots (metric → unit)."""


#: Keys of a ``[[zip]]`` group that start with this name the group's values (``label.population
#: = ["myopic", ...]``): they are columns of results.csv and name cells, but set nothing.
LABEL = "label."


@dataclass(frozen=True)
class Hypothesis:
    text: str
    metric: str
    greater: dict[str, Any]
    than: dict[str, Any]


@dataclass(frozen=True)
class Experiment:
    spec: ExperimentSpec
    path: Path
    base: dict[str, Any]
    cells: list[dict[str, Any]]
    hypotheses: list[Hypothesis]

    @property
    def keys(self) -> list[str]:
        return list(self.cells[0]) if self.cells else []

    def seeds(self, count: int | None = None) -> list[int]:
        n = count or self.spec.seeds
        return [derive_seed(self.spec.root_seed, "sweep", str(i)) for i in range(n)]

    @property
    def hidden(self) -> list[str]:
        """Keys that a ``label.`` key of their ``[[zip]]`` group names for cell labels."""
        out: list[str] = []
        for group in self.spec.zip:
            if any(k.startswith(LABEL) for k in group):
                out += [k for k in group if not k.startswith(LABEL)]
        return out

    def config(self, cell: dict[str, Any], seed: int) -> Config:
        data = copy.deepcopy(self.base)
        for key, value in {**self.spec.set, **cell}.items():
            if not key.startswith(LABEL):  # a name for a group of values, not a config key
                set_key(data, key, value)
        data.setdefault("run", {})["seed"] = seed
        return config_from_dict(data, source=f"{self.path.name} cell {cell}")


def load_experiment(path: Path) -> Experiment:
    """Read and check an experiment file; every cell's config is validated up front."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such experiment file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_validation_error(exc)}") from None
    for m in spec.metrics:
        if m not in METRICS:
            raise ConfigError(
                f"{path}: metrics: unknown metric {m!r} (known: {', '.join(METRICS)})"
            )
    if spec.screening is not None:
        if spec.grid or spec.zip or spec.hypotheses or spec.maps:
            raise ConfigError(
                f"{path}: a [screening] experiment has no [grid], [[zip]], hypotheses or maps"
            )
        cells = screening.design(spec.screening)
    else:
        cells = _grid_cells(path, spec)
    base_path = (path.parent / spec.base).resolve()
    try:
        base = tomllib.loads(base_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: base: no such config {base_path}") from None
    experiment = Experiment(spec, path, base, cells, [])
    for cell in cells:  # unknown keys and bad values fail here, before any run
        try:
            experiment.config(cell, 0)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}".replace(f"{path.name} cell ", "cell ")) from None
    hypotheses = [_hypothesis(path, h, cells, spec.metrics) for h in spec.hypotheses]
    for i, entry in enumerate(spec.maps):
        maps.check(entry, cells, spec.metrics, f"{path}: maps[{i}]")
    return Experiment(spec, path, base, cells, hypotheses)


def _grid_cells(path: Path, spec: ExperimentSpec) -> list[dict[str, Any]]:
    """The cells of ``[grid]`` × ``[[zip]]`` groups (their product)."""
    axes: list[list[dict[str, Any]]] = []
    for key, values in spec.grid.items():
        if not values:
            raise ConfigError(f"{path}: grid.{key}: needs at least one value")
        axes.append([{key: v} for v in values])
    for i, group in enumerate(spec.zip):
        lengths = {len(v) for v in group.values()}
        if not group or len(lengths) != 1 or 0 in lengths:
            raise ConfigError(f"{path}: zip[{i}]: every key needs the same number (≥ 1) of values")
        n = lengths.pop()
        axes.append([{k: v[j] for k, v in group.items()} for j in range(n)])
    if not axes:
        raise ConfigError(f"{path}: the grid is empty: give [grid] or [[zip]] values")
    return [
        dict(itertools.chain.from_iterable(d.items() for d in combo))
        for combo in itertools.product(*axes)
    ]


def _hypothesis(
    path: Path, h: HypothesisSpec, cells: list[dict[str, Any]], metrics: list[str]
) -> Hypothesis:
    if h.claim is not None:
        metric, sep, rest = h.claim.partition(":")
        a, gt, b = rest.partition(">")
        metric, a, b = metric.strip(), a.strip(), b.strip()
        if not sep or not gt or not a or not b:
            raise ConfigError(f'{path}: hypothesis {h.claim!r}: expected "metric: A > B"')
        key = next((k for k in cells[0] if {a, b} <= {label(c[k]) for c in cells}), None)
        if key is None:
            raise ConfigError(
                f"{path}: hypothesis {h.claim!r}: no grid key takes both values {a!r} and {b!r}"
            )
        pick = {label(c[key]): c[key] for c in cells}
        greater, than = {key: pick[a]}, {key: pick[b]}
    else:
        assert h.metric is not None and h.greater is not None and h.than is not None
        metric, greater, than = h.metric, h.greater, h.than
    if metric not in metrics:
        raise ConfigError(
            f"{path}: hypothesis on {metric!r}: not one of the experiment's metrics {metrics}"
        )
    for side in (greater, than):
        if not any(all(c.get(k) == v for k, v in side.items()) for c in cells):
            raise ConfigError(f"{path}: hypothesis on {metric!r}: no cell matches {side}")
    text = h.text or h.claim or f"{metric}: {greater} > {than}"
    return Hypothesis(text, metric, greater, than)


# -- running --------------------------------------------------------------------------------


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
        row[m] = METRICS[m](summary)
    row["final_digest"] = summary["final_digest"]
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


TIMING_COLUMNS = ("wall_seconds",)


def columns(experiment: Experiment) -> list[str]:
    return [
        "run_id",
        "cell",
        *experiment.keys,
        "seed",
        *experiment.spec.metrics,
        "final_digest",
        *TIMING_COLUMNS,
    ]


def read_results(path: Path, header: list[str]) -> list[dict[str, str]]:
    """The complete rows of a results.csv (a torn last line, from a kill, is dropped)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        path.write_text("".join(lines[:-1]), encoding="utf-8")  # drop the torn line
        lines = lines[:-1]
    reader = csv.DictReader(lines)
    if reader.fieldnames != header:
        raise ConfigError(
            f"{path}: written by a different experiment design (columns differ); "
            "use another --out or remove it"
        )
    return [row for row in reader if row.get("final_digest")]


def execute(
    experiment: Experiment,
    out: Path,
    *,
    workers: int = 2,
    seeds: int | None = None,
    transport: str = "inproc",
    keep_logs: bool = True,
    executor: str = "processes",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every missing cell × seed, appending rows as they finish; then summarise."""
    out.mkdir(parents=True, exist_ok=True)
    header = columns(experiment)
    results = out / "results.csv"
    done = {row["run_id"] for row in read_results(results, header)}
    todo = [t for t in tasks(experiment, seeds) if t.run_id not in done]
    total = len(done) + len(todo)
    logs = str(out / "runs") if keep_logs else None
    started = time.monotonic()
    finished = 0
    new_file = not results.exists() or results.stat().st_size == 0
    with results.open("a", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        if new_file:
            writer.writeheader()
            f.flush()
        if progress:
            progress(len(done), total)
        for row in _execute(experiment, todo, logs, transport, workers, executor, scheduler):
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in header})
            f.flush()
            finished += 1
            if progress:
                progress(len(done) + finished, total)
    elapsed = time.monotonic() - started
    summary = summarise(experiment, read_results(results, header))
    summary["runs"] = {
        "total": total,
        "this_invocation": finished,
        "resumed_from": len(done),
        "seconds": round(elapsed, 3),
        "runs_per_second": round(finished / elapsed, 3) if finished else None,
        "workers": workers,
        "executor": executor,
        "transport": transport,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def _execute(
    experiment: Experiment,
    todo: list[Task],
    logs: str | None,
    transport: str,
    workers: int,
    executor: str,
    scheduler: str | None,
) -> Iterator[dict[str, Any]]:
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
            '--executor dask: dask.distributed is not installed (pip install "negotiator[dask]")'
        ) from None
    if not scheduler:
        raise ConfigError("--executor dask: give the cluster's --scheduler ADDRESS")
    with Client(scheduler, timeout="10s") as client:  # type: ignore[no-untyped-call]
        futures = [client.submit(run_task, path, t, logs, transport, pure=False) for t in todo]
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            yield future.result()


# -- summary ----------------------------------------------------------------------------------


def _values(rows: Iterable[dict[str, str]], metric: str) -> list[float]:
    return [float(r[metric]) for r in rows if r.get(metric) not in ("", None)]


def _matches(row: dict[str, str], selector: dict[str, Any]) -> bool:
    return all(row.get(k) == label(v) for k, v in selector.items())


def summarise(experiment: Experiment, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Mean and 95 % CI per cell and metric; each hypothesis judged."""
    metrics = experiment.spec.metrics
    cells: list[dict[str, Any]] = []
    for i, params in enumerate(experiment.cells):
        mine = [r for r in rows if r["cell"] == str(i)]
        cells.append(
            {
                "cell": i,
                "params": params,
                "runs": len(mine),
                "metrics": {m: _estimate(mean_ci(_values(mine, m))) for m in metrics},
            }
        )
    judged = []
    for h in experiment.hypotheses:
        a = _values([r for r in rows if _matches(r, h.greater)], h.metric)
        b = _values([r for r in rows if _matches(r, h.than)], h.metric)
        diff = difference_ci(a, b)
        judged.append(
            {
                "hypothesis": h.text,
                "metric": h.metric,
                "greater": h.greater,
                "than": h.than,
                "n": [len(a), len(b)],
                "means": [
                    _round(math.fsum(a) / len(a)) if a else None,
                    _round(math.fsum(b) / len(b)) if b else None,
                ],
                "effect": _round(diff.mean),
                "ci95": [_round(diff.low), _round(diff.high)],
                "verdict": verdict(diff),
            }
        )
    out: dict[str, Any] = {
        "experiment": experiment.spec.name,
        "description": experiment.spec.description,
        "seeds": len({r["seed"] for r in rows}),  # as run (``--seeds`` may differ from the file)
        "units": dict(experiment.spec.units),
        "hidden": experiment.hidden,
        "cells": cells,
        "hypotheses": judged,
        "maps": [maps.summarise(m, experiment.cells, rows) for m in experiment.spec.maps],
    }
    if "breakdown_period" in metrics:
        out["survival"] = _survival(experiment, rows)
    design = experiment.spec.screening
    if design is not None:
        out["screening"] = {
            m: screening.analyse(design, experiment.cells, [c["metrics"][m]["mean"] for c in cells])
            for m in metrics
        }
    return out


def _survival(experiment: Experiment, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Per cell, the share of runs whose contract has not broken down by each period (every run
    of a cell has the same horizon, so the Kaplan–Meier estimate is this share)."""
    curves = []
    for i, params in enumerate(experiment.cells):
        mine = [r for r in rows if r["cell"] == str(i)]
        if "contract_survived" in experiment.spec.metrics:  # runs without a contract: out
            mine = [r for r in mine if r.get("contract_survived") not in ("", None)]
        impl = experiment.config(params, 0).implementation
        horizon = impl.periods if impl is not None else 0
        ends = [int(float(r["breakdown_period"])) for r in mine if r.get("breakdown_period")]
        n = len(mine)
        share = [(1.0 - sum(e <= t for e in ends) / n) if n else None for t in range(horizon + 1)]
        curves.append({"cell": i, "params": params, "runs": n, "surviving": share})
    return curves


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"n": e.n, "mean": _round(e.mean), "low": _round(e.low), "high": _round(e.high)}


def cell_label(params: dict[str, Any], sep: str = ", ", hidden: Iterable[str] = ()) -> str:
    """A short label: each key by its last part (a ``label.`` key by its name); keys of a zipped
    group that share a name and a value are written once (``promotion=0.5 ×3``); ``hidden``
    keys (named by a label of their group) are left out."""
    groups: dict[tuple[str, str], int] = {}
    skip = set(hidden)
    for key, value in params.items():
        if key in skip:
            continue
        name = (key.split(".")[-1], label(value))
        groups[name] = groups.get(name, 0) + 1
    return sep.join(
        f"{name}={value}" + (f" ×{n}" if n > 1 else "") for (name, value), n in groups.items()
    )


#: Okabe & Ito's colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def plot_metrics(summary: dict[str, Any], folder: Path) -> list[Path]:
    """One PNG per metric (each cell's mean and 95 % interval), one per map, the survival
    curves when ``breakdown_period`` is collected, and the screening's μ* bars."""
    import matplotlib

    matplotlib.use("Agg")

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    cells = summary["cells"]
    units = summary.get("units", {})
    screened = "screening" in summary
    for metric in cells[0]["metrics"] if cells and not screened else []:
        paths.append(_plot_metric(summary, metric, folder / f"{metric}.png"))
    for i, entry in enumerate(summary.get("maps", [])):
        paths.append(maps.plot(entry, folder / f"map{i + 1}-{entry['metric']}"))
    if summary.get("survival"):
        paths.append(_plot_survival(summary, folder / "survival.png"))
    for metric, ranking in (summary.get("screening") or {}).items():
        if ranking:
            paths.append(
                screening.plot(
                    metric, ranking, folder / f"screening-{metric}.png", units.get(metric, "")
                )
            )
    return paths


def _series_key(summary: dict[str, Any]) -> str | None:
    """With more than six cells and two or more parameters, the last parameter (e.g. the
    behavioural population) becomes the series of a grouped plot."""
    hidden = set(summary.get("hidden", ()))
    cells = summary["cells"]
    keys = [k for k in (cells[0]["params"] if cells else {}) if k not in hidden]
    return keys[-1] if len(cells) > 6 and len(keys) > 1 else None


def _plot_metric(summary: dict[str, Any], metric: str, path: Path) -> Path:
    """Each cell's mean and 95 % interval; grouped by the other parameters, one colour per value
    of the series parameter, when the design has several factors."""
    import matplotlib.pyplot as plt

    cells = summary["cells"]
    hidden = set(summary.get("hidden", ()))
    units = summary.get("units", {})
    series_key = _series_key(summary)
    series = (
        list(dict.fromkeys(label(c["params"][series_key]) for c in cells)) if series_key else [""]
    )

    def rest(c: dict[str, Any]) -> str:
        params = {k: v for k, v in c["params"].items() if k != series_key}
        return cell_label(params, "\n", hidden)

    groups = list(dict.fromkeys(rest(c) for c in cells))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(groups) * max(1, len(series) / 2) + 2), 4.4))
    for k, name in enumerate(series):
        mine = [c for c in cells if not series_key or label(c["params"][series_key]) == name]
        xs = [groups.index(rest(c)) + (k - (len(series) - 1) / 2) * width for c in mine]
        est = [c["metrics"][metric] for c in mine]
        means = [e["mean"] if e["mean"] is not None else math.nan for e in est]
        lows = [
            m - (e["low"] if e["low"] is not None else m) for m, e in zip(means, est, strict=True)
        ]
        highs = [
            (e["high"] if e["high"] is not None else m) - m for m, e in zip(means, est, strict=True)
        ]
        ax.errorbar(
            xs,
            means,
            yerr=[lows, highs],
            fmt="o",
            capsize=4,
            color=PALETTE[k % len(PALETTE)],
            label=f"{series_key.split('.')[-1]} = {name}" if series_key else None,
        )
    rotate = len(groups) > 6
    ax.set_xticks(
        range(len(groups)),
        groups,
        rotation=30 if rotate else 0,
        ha="right" if rotate else "center",
        fontsize=8,
    )
    ax.set_xlim(-0.5, len(groups) - 0.5)
    values = [
        c["metrics"][metric]["mean"] for c in cells if c["metrics"][metric]["mean"] is not None
    ]
    if (values and set(values) <= {0.0, 1.0}) or metric in ("compliance_rate", "contract_survived"):
        ax.set_ylim(-0.05, 1.05)  # a share or a yes/no metric: its whole range
    unit = f" ({units[metric]})" if metric in units else ""
    ax.set_ylabel(f"{metric}{unit}\nmean and 95 % CI", fontsize=9)
    runs = sorted({c["metrics"][metric]["n"] for c in cells})
    ax.set_title(f"{summary['experiment']}: {metric} (n = {', '.join(map(str, runs))} per cell)")
    ax.grid(axis="y", alpha=0.3)
    if series_key:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_survival(summary: dict[str, Any], path: Path) -> Path:
    """Survival curves; with more than six cells, one panel per value of the last parameter
    (e.g. the behavioural population) and one line per combination of the others."""
    import matplotlib.pyplot as plt

    hidden = set(summary.get("hidden", ()))
    curves = [c for c in summary["survival"] if c["surviving"] and c["surviving"][0] is not None]
    keys = [k for k in (curves[0]["params"] if curves else {}) if k not in hidden]
    facet = keys[-1] if len(curves) > 6 and len(keys) > 1 else None
    panels = list(dict.fromkeys(label(c["params"][facet]) for c in curves)) if facet else [""]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels) + 1.2, 4.2), sharey=True, squeeze=False
    )
    styles: dict[str, int] = {}
    for col, panel in enumerate(panels):
        ax = axes[0][col]
        for curve in curves:
            params = curve["params"]
            if facet and label(params[facet]) != panel:
                continue
            rest = {k: v for k, v in params.items() if k != facet}
            name = cell_label(rest, hidden=hidden)
            k = styles.setdefault(name, len(styles))
            share = curve["surviving"]
            ax.step(
                range(len(share)),
                share,
                where="post",
                color=PALETTE[k % len(PALETTE)],
                linestyle=("-", "--", ":", "-.")[k // len(PALETTE) % 4],
                label=f"{name} (n = {curve['runs']})",
            )
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("period")
        if facet:
            ax.set_title(f"{facet.split('.')[-1]} = {panel}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("share of contracts not broken down")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle(
        f"{summary['experiment']}: survival of the contract (Kaplan–Meier; breakdown: one "
        "government defects for good)",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0.06 + 0.035 * ((len(styles) + 1) // 2), 1, 0.95))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

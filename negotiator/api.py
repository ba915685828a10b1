"""The Python API: run a scenario, sweep an experiment and analyse a domain from a notebook or a
script, with results as typed objects and pandas DataFrames (docs/api.md).

The command line and this module drive the same library: a run here writes the same event log,
with the same digest, as ``python run.py run`` for the same config and seed. A config or an
experiment may be a TOML file's path or a mapping of the same content; ``out=None`` keeps the
files in a temporary folder that lives as long as the result object.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from negotiator.config import Config, apply_overrides, config_from_dict, set_key
from negotiator.config import load_config as _load_file
from negotiator.errors import ConfigError, OutputError, unknown
from negotiator.experiments.metrics import METRICS, metric
from negotiator.experiments.rows import read_rows
from negotiator.io.bus import Transport
from negotiator.runtime.runner import RunOptions

if TYPE_CHECKING:
    import pandas as pd

    from negotiator.experiments.summary import HypothesisResult, SweepSummary
    from negotiator.model.analysis import Analysis
    from negotiator.runtime.run_summary import RunSummary

__all__ = [
    "AnalysisResult",
    "RunResult",
    "SweepResult",
    "analyze",
    "load_config",
    "run",
    "sweep",
]

ConfigSource = str | Path | Mapping[str, Any] | Config
"""A config: a TOML file's path, a mapping with a TOML file's content, or a loaded config."""

#: Event fields that are whole numbers (``round``, ``period``: missing in events without one).
INTEGER_COLUMNS = frozenset({"line", "round", "period"})

#: A ``period`` event's per-government fields → the columns of :meth:`RunResult.periods`.
PERIOD_FIELDS = {
    "moves": "move",
    "stage": "stage_payoff",
    "noise": "noise",
    "payoffs": "payoff",
    "fines_paid": "fine_paid",
    "fines_received": "fine_received",
    "subsidies": "subsidy",
    "incident_costs": "incident_cost",
    "decision_utilities": "decision_utility",
}

#: Columns put first in :meth:`RunResult.events`, when the events have them.
EVENT_COLUMNS = ("line", "event", "t", "round", "period", "party")


def load_config(
    config: ConfigSource, overrides: Iterable[str] = (), *, seed: int | None = None
) -> Config:
    """A validated config from a path or a mapping, with ``--set``-style ``overrides``
    (``"negotiation.deadline=30"``) and ``seed`` applied; :class:`~negotiator.errors.ConfigError`
    (one line) when it is not valid."""
    if isinstance(overrides, str):
        raise ConfigError(f"overrides: a list of 'KEY=VALUE' strings, not one string {overrides!r}")
    overrides = list(overrides)
    if isinstance(config, Config):
        if not overrides and seed is None:
            return config
        config = config.model_dump(mode="json", exclude_none=True)  # absent, as in a file
    if isinstance(config, Mapping):
        data = apply_overrides(copy.deepcopy(dict(config)), overrides)
        if seed is not None:
            set_key(data, "run.seed", seed)
        return config_from_dict(data)
    return _load_file(config, overrides, seed)


def _check_transport(transport: str) -> None:
    if transport not in get_args(Transport):
        raise ConfigError(f"transport: {unknown('transport', transport, get_args(Transport))}")


@dataclass
class RunResult:
    """One finished run: its typed summary, its folder and its event log."""

    summary: RunSummary
    directory: Path
    config: Config
    _keep: Any = field(default=None, repr=False)  # the temporary folder, while this object lives

    @property
    def digest(self) -> str:
        """The log's final digest (``python run.py replay LOG --verify`` checks it)."""
        return self.summary.final_digest

    @property
    def log(self) -> Path:
        return self.directory / "events.jsonl"

    def metrics(self) -> dict[str, float | None]:
        """Every metric a sweep can record (docs/experiments.md), by name; None where a metric is
        not defined for this run (phase 2's without an implementation)."""
        return {name: metric(self.summary, name) for name in METRICS}

    def events(self, *kinds: str) -> pd.DataFrame:
        """The event log as a DataFrame, one row per event (all of them, or those of ``kinds``):
        each event's top-level fields are columns (a field an event lacks is missing), nested
        values stay Python objects. ``line`` is the event's number in the log."""
        import pandas as pd

        rows = []
        with self.log.open(encoding="utf-8") as f:
            for text in f:
                event = json.loads(text)
                if not kinds or event["event"] in kinds:
                    rows.append(event)
        frame = pd.DataFrame.from_records(rows)
        if kinds:
            frame = frame.dropna(axis="columns", how="all")
        first = [c for c in EVENT_COLUMNS if c in frame.columns]
        frame = frame[first + [c for c in frame.columns if c not in first]]
        for column in INTEGER_COLUMNS.intersection(frame.columns):
            frame[column] = frame[column].astype("Int64")  # missing where an event has none
        return frame

    def periods(self) -> pd.DataFrame:
        """Phase 2 as a table: one row per period and government, with its move, its stage-game
        payoff, the market noise, its payoff, whether it was detected, the fines it paid and
        received, its subsidy, its incident costs and the utility it decided on (docs/model.md
        §6); empty without an implementation."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for event in self.events("period").to_dict("records"):
            detected = set(event.get("detected") or ())
            for party in event["moves"]:
                row: dict[str, Any] = {"period": event["period"], "party": party}
                for source, column in PERIOD_FIELDS.items():
                    row[column] = (event.get(source) or {}).get(party)
                row["detected"] = party in detected
                rows.append(row)
        columns = ["period", "party", *PERIOD_FIELDS.values(), "detected"]
        return pd.DataFrame(rows, columns=columns)


def run(
    config: ConfigSource,
    *,
    seed: int | None = None,
    overrides: Iterable[str] = (),
    transport: Transport = "direct",
    out: str | Path | None = None,
    join_timeout: float = 30.0,
) -> RunResult:
    """Run a scenario to the end. ``transport`` is how the agents run (``direct``: in this
    process, the fastest; ``inproc``, ``ipc``, ``tcp``: as the command line's ``--transport``);
    the outcome and the digest do not depend on it. The run's folder is made under ``out``
    (default: a temporary folder kept as long as the result)."""
    from negotiator.runtime.runner import run as run_config

    _check_transport(transport)
    loaded = load_config(config, overrides, seed=seed)
    keep = None
    if out is None:
        keep = tempfile.TemporaryDirectory(prefix="negotiator-run-")
        out = keep.name
    path = str(config) if isinstance(config, str | Path) else None
    options = RunOptions(
        transport=transport, out=Path(out), join_timeout=join_timeout, config_path=path
    )
    result = run_config(loaded, options)
    return RunResult(result.summary, result.run_dir, loaded, keep)


@dataclass
class SweepResult:
    """A finished sweep: its results as DataFrames, its judged hypotheses and its folder."""

    summary: SweepSummary
    directory: Path
    _keep: Any = field(default=None, repr=False)

    @property
    def hypotheses(self) -> tuple[HypothesisResult, ...]:
        """Each pre-registered hypothesis with its effect, 95 % interval and verdict."""
        return tuple(self.summary.hypotheses)

    @property
    def rows(self) -> pd.DataFrame:
        """``results.csv``: one row per run (cell parameters, seed, metrics, final digest), with
        booleans as booleans, whole numbers as integers and an undefined metric as missing."""
        return read_rows(self.directory / "results.csv")

    @property
    def cells(self) -> pd.DataFrame:
        """One row per cell and metric: the cell's parameters, n, the mean and its 95 %
        interval."""
        import pandas as pd

        records = [
            {
                "cell": cell.cell,
                **cell.params,
                "metric": metric,
                "n": estimate.n,
                "mean": estimate.mean,
                "low": estimate.low,
                "high": estimate.high,
            }
            for cell in self.summary.cells
            for metric, estimate in cell.metrics.items()
        ]
        frame = pd.DataFrame.from_records(records)
        return frame.astype({"mean": "float64", "low": "float64", "high": "float64"})


def sweep(
    experiment: str | Path | Mapping[str, Any],
    *,
    seeds: int | None = None,
    workers: int = 1,
    transport: Transport = "direct",
    out: str | Path | None = None,
    keep_logs: bool = False,
) -> SweepResult:
    """Run an experiment's cells × seeds (``seeds`` overrides the experiment's count) and judge
    its hypotheses. ``experiment`` is an experiment file or a mapping of one (its ``base`` is
    then relative to the working directory). Results go to ``out`` (default: a temporary folder
    kept as long as the result); an ``out`` that holds some of the runs already is resumed, one
    that holds runs of another design is refused."""
    from negotiator.experiments.sweep import execute, load_experiment

    _check_transport(transport)
    if seeds is not None and seeds < 1:
        raise ConfigError(f"seeds={seeds}: must be at least 1")
    if workers < 1:
        raise ConfigError(f"workers={workers}: must be at least 1")
    keep = None
    if out is None:
        keep = tempfile.TemporaryDirectory(prefix="negotiator-sweep-")
        out = keep.name
    folder = Path(out)
    options: dict[str, Any] = {
        "workers": workers,
        "seeds": seeds,
        "transport": transport,
        "keep_logs": keep_logs,
    }
    if not isinstance(experiment, Mapping):
        summary = execute(load_experiment(Path(experiment)), folder, **options)
        return SweepResult(summary, folder, keep)
    # a mapping: checked from a file of its own (the workers read it), recorded once it ran
    with tempfile.TemporaryDirectory(prefix="negotiator-experiment-") as tmp:
        path = _write_experiment(experiment, Path(tmp))
        try:
            loaded = load_experiment(path)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(str(path), "experiment")) from None
        summary = execute(loaded, folder, **options)
        record = folder / "experiment.toml"
        try:
            record.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {record}: {exc.strerror or exc}") from None
    return SweepResult(summary, folder, keep)


def _write_experiment(spec: Mapping[str, Any], folder: Path) -> Path:
    """An experiment mapping as ``experiment.toml`` in ``folder``, its ``base`` made absolute so
    that the file stands on its own."""
    import tomli_w

    data = copy.deepcopy(dict(spec))
    if not isinstance(data.get("base"), str | Path):
        raise ConfigError("experiment: base: the path of the scenario the cells change")
    data["base"] = str(Path(data["base"]).resolve())
    path = folder / "experiment.toml"
    try:
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
    except TypeError as exc:  # a value TOML cannot hold (None, an object)
        raise ConfigError(f"experiment: {exc}") from None
    return path


@dataclass(frozen=True)
class AnalysisResult:
    """A domain's bargaining solutions (Pareto frontier, Nash, asymmetric Nash, Kalai–
    Smorodinsky, maximum welfare) and, for a derived domain, the economy's dependence report."""

    analysis: Analysis
    outcomes: dict[str, Any] = field(repr=False)
    power: dict[str, float]
    dependence: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """Exactly what ``python run.py analyze CONFIG --json`` prints."""
        return {**self.outcomes, "power": self.power, "dependence": self.dependence}

    @property
    def pareto(self) -> pd.DataFrame:
        """The Pareto frontier: one row per outcome, its issues' values and each party's
        utility."""
        import pandas as pd

        return pd.DataFrame.from_records(
            [
                {**_flat(outcome), **{f"u_{p}": pt.utilities[p] for p in self.analysis.parties}}
                for outcome, pt in zip(self.outcomes["pareto"], self.analysis.pareto, strict=True)
            ]
        )

    @property
    def solutions(self) -> pd.DataFrame:
        """One row per bargaining solution (missing when the domain has none): its outcome's
        issues and each party's utility."""
        import pandas as pd

        names = ("nash", "asymmetric_nash", "kalai_smorodinsky", "max_welfare")
        records = []
        for name in names:
            point = self.outcomes[name]
            if point is not None:
                utilities = {f"u_{p}": u for p, u in point["utilities"].items()}
                records.append({"solution": name, **_flat(point["outcome"]), **utilities})
        return pd.DataFrame.from_records(records).set_index("solution")


def _flat(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """An outcome's issues as columns; a share issue's division as one column per party."""
    out: dict[str, Any] = {}
    for issue, value in outcome.items():
        if isinstance(value, Mapping):
            out.update({f"{issue}.{party}": v for party, v in value.items()})
        else:
            out[issue] = value
    return out


def analyze(config: ConfigSource, overrides: Sequence[str] = ()) -> AnalysisResult:
    """The bargaining solutions of a config's domain (derived or explicit)."""
    from negotiator.model.analysis import analyze as solve
    from negotiator.model.contract import build_setting

    loaded = load_config(config, overrides)
    if loaded.scenario is None and loaded.domain is None:
        source = config if isinstance(config, str | Path) else "config"
        raise ConfigError(f"{source}: nothing to analyze: no [scenario] or [domain]")
    setting = build_setting(loaded)
    analysis = solve(setting.domain, setting.utilities, setting.power)
    return AnalysisResult(
        analysis,
        analysis.to_json(setting.domain),
        dict(setting.power),
        setting.economy.report() if setting.economy is not None else None,
    )

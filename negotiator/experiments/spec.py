"""Experiment files: their schema, and the experiment they describe (cells, seeds, hypotheses).

An experiment file (``configs/experiments/*.toml``, reference in docs/experiments.md) names a base
scenario, fixed changes (``[set]``), a grid (``[grid]``: dotted key → list of values; ``[[zip]]``:
keys whose values move together), the number of seeds, the metrics and the hypotheses.
:func:`load_experiment` reads and checks one, validating every cell's config up front. Seeds: seed
i (0-based) of every cell is ``derive_seed(root_seed, "sweep", str(i))`` — the same seeds in every
cell (common random numbers).
"""

from __future__ import annotations

import copy
import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from negotiator.config import Config, config_from_dict, format_validation_error, set_key
from negotiator.errors import ConfigError, unknown
from negotiator.experiments import maps, screening
from negotiator.experiments.maps import MapSpec, label
from negotiator.experiments.metrics import METRICS
from negotiator.experiments.screening import ScreeningSpec
from negotiator.seeding import derive_seed


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
        # a module:Class strategy is looked for beside the base config, then the experiment file
        folders = [(self.path.parent / self.spec.base).resolve().parent, self.path.parent]
        return config_from_dict(data, source=f"{self.path.name} cell {cell}", folders=folders)


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
        raise ConfigError(f"{path}: {format_validation_error(exc, ExperimentSpec)}") from None
    for m in spec.metrics:
        if m not in METRICS:
            raise ConfigError(f"{path}: metrics: {unknown('metric', m, METRICS, listed=True)}")
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

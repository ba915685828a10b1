"""Where a mechanism makes a difference: maps over two parameters (docs/experiments.md).

An experiment's ``[[maps]]`` entry names a ``mechanism`` (a grid key and the two values compared,
``on`` and ``off``), two axes ``x`` and ``y`` (grid keys) and a ``metric``. For every (x, y) the
map gives the difference of the metric's mean between the runs with the mechanism on and off,
with its 95 % interval (Welch), and marks the cells whose interval excludes zero. Cells where the
metric is undefined for one side (e.g. no contract) are empty.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from negotiator.errors import ConfigError
from negotiator.experiments import labels, style
from negotiator.experiments.stats import column, difference_ci


class MapSpec(BaseModel):
    """One ``[[maps]]`` entry of an experiment file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    mechanism: str
    on: Any
    off: Any
    x: str
    y: str
    title: str = ""
    units: str = ""


@dataclass(frozen=True)
class MapCell:
    """One (x, y) of a map: the on − off difference of the metric's mean, its 95 % interval
    (None where undefined) and the runs on each side."""

    x: Any
    y: Any
    n: tuple[int, int]
    effect: float | None
    low: float | None
    high: float | None
    excludes_zero: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "x": self.x,
            "y": self.y,
            "n": list(self.n),
            "effect": self.effect,
            "low": self.low,
            "high": self.high,
            "excludes_zero": self.excludes_zero,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MapCell:
        a, b = data["n"]
        return cls(
            x=data["x"],
            y=data["y"],
            n=(a, b),
            effect=data["effect"],
            low=data["low"],
            high=data["high"],
            excludes_zero=data["excludes_zero"],
        )


@dataclass(frozen=True)
class MapResult:
    """A summarised map: its spec, the axes' values in order, and a cell per (x, y)."""

    spec: MapSpec
    xs: tuple[Any, ...]
    ys: tuple[Any, ...]
    cells: tuple[MapCell, ...]

    def to_json(self) -> dict[str, Any]:
        """The spec's fields, then ``xs``, ``ys`` and ``cells`` (as in ``summary.json``)."""
        return {
            **self.spec.model_dump(mode="json"),
            "xs": list(self.xs),
            "ys": list(self.ys),
            "cells": [c.to_json() for c in self.cells],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MapResult:
        spec = MapSpec.model_validate({k: data[k] for k in MapSpec.model_fields if k in data})
        return cls(
            spec=spec,
            xs=tuple(data["xs"]),
            ys=tuple(data["ys"]),
            cells=tuple(MapCell.from_json(c) for c in data["cells"]),
        )


def label(value: Any) -> str:
    """How a grid value is written in results.csv (strings as they are, others as JSON)."""
    return json.dumps(value) if not isinstance(value, str) else value


def check(spec: MapSpec, cells: list[dict[str, Any]], metrics: list[str], where: str) -> None:
    """A map must name collected metrics and grid keys that take the values it names."""
    if spec.metric not in metrics:
        raise ConfigError(f"{where}: metric {spec.metric!r} is not one of the experiment's metrics")
    for key in (spec.mechanism, spec.x, spec.y):
        if not cells or key not in cells[0]:
            raise ConfigError(f"{where}: {key!r} is not a grid key")
    values = {label(c[spec.mechanism]) for c in cells}
    for side in (spec.on, spec.off):
        if label(side) not in values:
            raise ConfigError(f"{where}: {spec.mechanism} never takes the value {side!r}")


def summarise(spec: MapSpec, cells: list[dict[str, Any]], rows: list[dict[str, str]]) -> MapResult:
    """The map's cells: for each (x, y), the on − off difference, its interval and n."""
    xs = _unique(c[spec.x] for c in cells)
    ys = _unique(c[spec.y] for c in cells)
    on, off = label(spec.on), label(spec.off)
    out = []
    for y in ys:
        for x in xs:
            here = [r for r in rows if r.get(spec.x) == label(x) and r.get(spec.y) == label(y)]
            a = column((r for r in here if r.get(spec.mechanism) == on), spec.metric)
            b = column((r for r in here if r.get(spec.mechanism) == off), spec.metric)
            diff = difference_ci(a, b)
            defined = not math.isnan(diff.mean)
            out.append(
                MapCell(
                    x=x,
                    y=y,
                    n=(len(a), len(b)),
                    effect=diff.mean if defined else None,
                    low=diff.low if defined and not math.isnan(diff.low) else None,
                    high=diff.high if defined and not math.isnan(diff.high) else None,
                    excludes_zero=defined
                    and not math.isnan(diff.low)
                    and (diff.low > 0 or diff.high < 0),
                )
            )
    return MapResult(spec=spec, xs=tuple(xs), ys=tuple(ys), cells=tuple(out))


def _unique(values: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def plot(result: MapResult, path: Path, fmt: str = "png") -> Path:
    """A heat map of the effect (diverging colours centred on zero; a cell outlined in black
    where the 95 % interval excludes zero), each cell annotated with the effect and interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    spec = result.spec
    xs, ys = list(result.xs), list(result.ys)
    grid = np.full((len(ys), len(xs)), np.nan)
    for cell in result.cells:
        if cell.effect is not None:
            grid[ys.index(cell.y), xs.index(cell.x)] = cell.effect
    finite = grid[np.isfinite(grid)]
    reach = float(np.abs(finite).max()) if finite.size else 1.0
    reach = reach or 1.0
    fig, ax = plt.subplots(figsize=(1.6 * len(xs) + 2.6, 1.0 * len(ys) + 2.2))
    image = ax.imshow(
        grid,
        cmap=style.DIVERGING,
        norm=TwoSlopeNorm(0.0, -reach, reach),
        origin="lower",
        aspect="auto",
    )
    for cell in result.cells:
        i, j = ys.index(cell.y), xs.index(cell.x)
        if cell.effect is None:
            ax.text(j, i, "–", ha="center", va="center", fontsize=8)
            continue
        interval = f"\n[{cell.low:.3g}, {cell.high:.3g}]" if cell.low is not None else ""
        strong = abs(cell.effect) > 0.6 * reach
        ax.text(
            j,
            i,
            f"{cell.effect:.3g}{interval}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if strong else "black",
        )
        if cell.excludes_zero:
            ax.add_patch(
                Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2)
            )
    ax.set_xticks(range(len(xs)), [label(v) for v in xs])
    ax.set_yticks(range(len(ys)), [label(v) for v in ys])
    ax.set_xlabel(spec.x)
    ax.set_ylabel(spec.y)
    n = {c.n for c in result.cells}
    runs = ", ".join(f"{a} vs {b}" for a, b in sorted(n))
    unit = f" ({spec.units})" if spec.units else ""
    title = spec.title or (
        f"{spec.metric}: {spec.mechanism} = {label(spec.on)} minus {label(spec.off)}"
    )
    ax.set_title(f"{title}\nruns per cell: {runs}; outlined: 95 % interval excludes 0", fontsize=9)
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(f"difference in {labels.describe(spec.metric).label.lower()}{unit}")
    fig.tight_layout()
    style.save(fig, style.suffixed(path, fmt))
    plt.close(fig)
    return style.suffixed(path, fmt)

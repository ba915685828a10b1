"""Which parameters matter most: Morris elementary-effects screening (SALib), docs/experiments.md.

An experiment with a ``[screening]`` section runs the points of a Morris design (Morris 1991;
Campolongo, Cariboni & Saltelli 2007, the μ* measure) instead of a grid: ``trajectories`` random
one-at-a-time paths through ``levels`` levels of each parameter's range. A parameter may set
several config keys at once (λ of every government). Each point runs with the experiment's seeds;
the mean of each metric over the seeds is the model output SALib analyses. μ* ranks parameters by
overall influence, σ shows interactions or non-linearity.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from negotiator.experiments import labels, style


class Factor(BaseModel):
    """One screened parameter: a range, and the config keys it sets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    keys: list[str] = Field(min_length=1)
    low: float
    high: float

    @model_validator(mode="after")
    def _range(self) -> Factor:
        if not self.high > self.low:
            raise ValueError(f"screening factor {self.name}: high must exceed low")
        return self


class ScreeningSpec(BaseModel):
    """``[screening]``: a Morris design."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    factors: list[Factor] = Field(min_length=2)
    trajectories: Annotated[int, Field(ge=2, le=1000)] = 10
    levels: Annotated[int, Field(ge=2, le=20)] = 4
    seed: int = 0


@dataclass(frozen=True)
class FactorEffect:
    """A factor's Morris measures for one metric: μ*, its 95 % bootstrap half-width, σ and μ."""

    factor: str
    mu_star: float
    mu_star_ci95: float
    sigma: float
    mu: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FactorEffect:
        return cls(**{k: data[k] for k in ("factor", "mu_star", "mu_star_ci95", "sigma", "mu")})


def problem(spec: ScreeningSpec) -> dict[str, Any]:
    return {
        "num_vars": len(spec.factors),
        "names": [f.name for f in spec.factors],
        "bounds": [[f.low, f.high] for f in spec.factors],
    }


def design(spec: ScreeningSpec) -> list[dict[str, Any]]:
    """The cells (config key → value) of the Morris design, in SALib's order."""
    from SALib.sample import morris

    points = morris.sample(problem(spec), spec.trajectories, num_levels=spec.levels, seed=spec.seed)
    cells = []
    for point in points:
        cell: dict[str, Any] = {}
        for factor, value in zip(spec.factors, point, strict=True):
            v: Any = round(float(value), 10)
            for key in factor.keys:
                cell[key] = v
        cells.append(cell)
    return cells


def analyse(
    spec: ScreeningSpec, cells: list[dict[str, Any]], means: list[float | None]
) -> list[FactorEffect]:
    """μ*, its 95 % bootstrap interval and σ for each factor, from each cell's mean output
    (cells whose output is undefined make the analysis undefined: None)."""
    import numpy as np
    from SALib.analyze import morris

    if any(m is None or math.isnan(m) for m in means):
        return []
    x = np.array([[cell[f.keys[0]] for f in spec.factors] for cell in cells], dtype=float)
    y = np.array(means, dtype=float)
    result = morris.analyze(
        problem(spec), x, y, num_levels=spec.levels, seed=spec.seed, print_to_console=False
    )
    out = []
    for i, factor in enumerate(spec.factors):
        out.append(
            FactorEffect(
                factor=factor.name,
                mu_star=float(result["mu_star"][i]),
                mu_star_ci95=float(result["mu_star_conf"][i]),
                sigma=float(result["sigma"][i]),
                mu=float(result["mu"][i]),
            )
        )
    return sorted(out, key=lambda r: -r.mu_star)


def plot(metric: str, ranking: list[FactorEffect], path: Path, units: str = "") -> Path:
    """Horizontal bars of μ* with their 95 % interval, σ marked beside them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.factor for r in ranking][::-1]
    mu = [r.mu_star for r in ranking][::-1]
    ci = [r.mu_star_ci95 for r in ranking][::-1]
    sigma = [r.sigma for r in ranking][::-1]
    fig, ax = plt.subplots(figsize=(7.0, 0.5 * len(names) + 1.8))
    ys = range(len(names))
    ax.barh(ys, mu, xerr=ci, color=style.colour(0), capsize=4, label="μ* (95 % interval)")
    ax.scatter(sigma, ys, marker="D", color=style.colour(1), zorder=3, label="σ")
    ax.set_yticks(list(ys), names)
    unit = f" ({units})" if units else ""
    name = labels.describe(metric).label
    ax.set_xlabel(f"effect on {name.lower()}{unit}")
    ax.set_title(f"Morris screening of {name.lower()} ({metric})", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    style.save(fig, path)
    plt.close(fig)
    return path

"""A sweep's figures: each metric by cell, the survival curves, the maps and the screening's bars,
in the format ``fmt`` names (png, svg or pdf).

A metric's figure (:func:`metric_figure`) puts the design's first factor
(:mod:`negotiator.experiments.design`) on the x axis, its last factor in grouped series (one
colour and marker each, the legend outside the axes), and any factors between in side-by-side
panels. Each point is a cell's mean with its 95 % interval: Student's t for a measured quantity;
for a yes-or-no metric (:data:`~negotiator.experiments.metrics.BINARY`) the share of runs with
Wilson's interval, on [0, 1]. The y axis names the metric, its unit and the runs per cell (n,
beside each point where cells differ); a metric with the same value everywhere gets an axis
around that value and says so.
"""

from __future__ import annotations

import math
from itertools import product
from pathlib import Path
from typing import Any

from negotiator.experiments import labels, maps, screening, style
from negotiator.experiments.design import Factor, cell_label, factors
from negotiator.experiments.summary import Cell, SweepSummary

__all__ = ["cell_label", "metric_figure", "plot_metrics", "survival_figure"]


def plot_metrics(summary: SweepSummary, folder: Path, fmt: str = "png") -> list[Path]:
    """One file per metric (:func:`metric_figure`), one per map, the survival curves when
    ``breakdown_period`` is collected, and the screening's μ* bars."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    screened = summary.screening is not None
    for metric in summary.metrics if not screened else []:
        path = style.suffixed(folder / metric, fmt)
        paths.append(style.save(metric_figure(summary, metric), path))
    for i, entry in enumerate(summary.maps):
        paths.append(maps.plot(entry, folder / f"map{i + 1}-{entry.spec.metric}", fmt))
    if summary.survival:
        paths.append(style.save(survival_figure(summary), style.suffixed(folder / "survival", fmt)))
    for metric, ranking in (summary.screening or {}).items():
        if ranking:
            paths.append(
                screening.plot(
                    metric,
                    list(ranking),
                    style.suffixed(folder / f"screening-{metric}", fmt),
                    summary.units.get(metric, ""),
                )
            )
    return paths


Estimate = tuple[float, float, float]
"""A cell's mean and the two ends of its interval."""


def _estimate(cell: Cell, metric: str, kind: labels.Kind) -> Estimate | None:
    """The mean and interval drawn for a cell: Wilson's for a yes-or-no metric, else the t
    interval clipped to the metric's range (a share to [0, 1], a count to ≥ 0)."""
    est = cell.metrics[metric]
    if est.mean is None:
        return None
    if kind == "binary":
        return (est.mean, *labels.wilson(est.mean, est.n))
    low = est.low if est.low is not None else est.mean
    high = est.high if est.high is not None else est.mean
    if kind in ("share", "count"):
        low = max(low, 0.0)
    if kind == "share":
        high = min(high, 1.0)
    return (est.mean, low, high)


def _layout(summary: SweepSummary) -> tuple[Factor | None, Factor | None, list[Factor]]:
    """The x factor, the series factor and the panel factors."""
    fs = factors([c.params for c in summary.cells], summary.hidden)
    if not fs:
        return None, None, []
    return fs[0], (fs[-1] if len(fs) > 1 else None), fs[1:-1]


def metric_figure(summary: SweepSummary, metric: str) -> Any:
    """Each cell's mean and 95 % interval of ``metric`` (module docstring)."""
    info = labels.describe(metric, summary.units)
    x, series, middle = _layout(summary)
    panels = list(product(*(f.levels for f in middle)))
    xs = list(x.levels) if x else ["every cell"]
    names = list(series.levels) if series else [""]
    width = max(3.4, 0.55 * len(xs) * max(1.0, len(names) / 1.6) + 1.2)
    fig = style.figure(min(26.0, width * len(panels) + 1.8 + (2.0 if series else 0.0)), 4.6)
    axes = list(fig.subplots(1, len(panels), sharey=True, squeeze=False)[0])
    ns = sorted({c.metrics[metric].n for c in summary.cells})
    drawn: list[Estimate] = []
    for ax, panel in zip(axes, panels, strict=True):
        for k, name in enumerate(names):
            cells = [
                c
                for c in summary.cells
                if all(f.level(c.params) == v for f, v in zip(middle, panel, strict=True))
                and (not series or series.level(c.params) == name)
            ]
            offset = (k - (len(names) - 1) / 2) * 0.8 / len(names)
            at = [(xs.index(x.level(c.params)) if x else 0) + offset for c in cells]
            drawn += _points(ax, metric, info.kind, cells, at, k, name, len(ns) > 1)
        ax.set_xticks(range(len(xs)), xs, fontsize=8, rotation=30 if len(xs) > 6 else 0)
        ax.set_xlim(-0.5, len(xs) - 0.5)
        ax.set_xlabel(x.name if x else "")
        ax.grid(axis="y", alpha=0.3)
        if middle:
            names_of = [f.name for f in middle]
            ax.set_title(cell_label(dict(zip(names_of, panel, strict=True))), fontsize=9)
    _y_axis(axes[0], info, drawn, ns)
    if series:
        handles, levels = axes[0].get_legend_handles_labels()
        style.legend_outside(fig, handles, levels, title=series.name)
    fig.suptitle(f"{info.label} — {summary.experiment}", fontsize=10)
    return fig


def _points(
    ax: Any,
    metric: str,
    kind: labels.Kind,
    cells: list[Cell],
    at: list[float],
    k: int,
    name: str,
    show_n: bool,
) -> list[Estimate]:
    """One series' cells at x positions ``at``; each cell's n beside it when ``show_n`` (at
    the bottom, ``n=0``, for a cell where the metric is undefined in every run)."""
    estimates = [_estimate(c, metric, kind) for c in cells]
    shown = [(x, e) for x, e in zip(at, estimates, strict=True) if e is not None]
    ax.errorbar(
        [x for x, _ in shown],
        [e[0] for _, e in shown],
        yerr=[[max(0.0, e[0] - e[1]) for _, e in shown], [max(0.0, e[2] - e[0]) for _, e in shown]],
        fmt=style.marker(k),
        color=style.colour(k),
        capsize=3,
        markersize=5,
        label=name or None,
    )
    for x, c, e in zip(at, cells, estimates, strict=True):
        if show_n:
            where = (x, e[1]) if e is not None else (x, 0.0)
            ax.annotate(
                f"n={c.metrics[metric].n}",
                where,
                xycoords="data" if e is not None else ("data", "axes fraction"),
                xytext=(0, -9) if e is not None else (0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=6,
                color=style.colour(k),
            )
    return [e for _, e in shown]


def _y_axis(ax: Any, info: labels.MetricLabel, drawn: list[Estimate], ns: list[int]) -> None:
    """The y label (metric, unit, statistic, n) and range."""
    n = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}–{ns[-1]} (beside each point)"
    binary = info.kind == "binary"
    statistic = "share of runs, Wilson 95 % CI" if binary else "mean, 95 % CI"
    unit = "" if binary else f" ({info.unit})" if info.unit else ""
    runs = "run" if ns == [1] else "runs"
    ax.set_ylabel(f"{info.label}{unit}\n{statistic}; n = {n} {runs} per cell", fontsize=9)
    if info.kind in ("binary", "share"):
        ax.set_ylim(-0.03, 1.03)
        return
    if not drawn:
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, "not defined in any run", transform=ax.transAxes, ha="center")
        return
    low, high = min(e[1] for e in drawn), max(e[2] for e in drawn)
    if math.isclose(low, high, rel_tol=1e-9, abs_tol=1e-12):  # the same value everywhere
        pad = max(abs(low) * 0.1, 1.0)
        ax.set_ylim(min(0.0, low - pad), max(0.0, high + pad))
        ax.text(0.02, 0.97, f"{low:g} in every run", transform=ax.transAxes, va="top", fontsize=8)


def survival_figure(summary: SweepSummary) -> Any:
    """Kaplan–Meier survival of the contract per cell; with more than six cells, one panel per
    level of the design's last factor and one line per combination of the others."""
    hidden = set(summary.hidden)
    curves = [c for c in summary.survival or () if c.surviving and c.surviving[0] is not None]
    _, facet, _ = _layout(summary) if len(curves) > 6 else (None, None, [])
    panels = list(facet.levels) if facet else [""]
    fig = style.figure(3.6 * len(panels) + 3.6, 4.2)
    axes = list(fig.subplots(1, len(panels), sharey=True, squeeze=False)[0])
    styles: dict[str, int] = {}
    for ax, panel in zip(axes, panels, strict=True):
        for curve in curves:
            if facet and facet.level(curve.params) != panel:
                continue
            rest = {k: v for k, v in curve.params.items() if not facet or k not in facet.keys}
            name = cell_label(rest, hidden=hidden)
            k = styles.setdefault(name, len(styles))
            ax.step(
                range(len(curve.surviving)),
                curve.surviving,
                where="post",
                color=style.colour(k),
                linestyle=style.linestyle(k),
                label=f"{name} (n = {curve.runs})",
            )
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("period")
        if facet:
            ax.set_title(f"{facet.name} = {panel}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of contracts not broken down")
    handles, names = axes[0].get_legend_handles_labels()
    style.legend_outside(fig, handles, names)
    fig.suptitle(
        f"{summary.experiment}: survival of the contract (Kaplan–Meier; breakdown: one "
        "government defects for good)",
        fontsize=9,
    )
    return fig

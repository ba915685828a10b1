"""A sweep's figures: each metric by cell (mean and 95 % interval), the maps, the survival curves
and the screening's bars, as PNG files; and the short cell labels they and the tables use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from negotiator.experiments import maps, screening
from negotiator.experiments.maps import label
from negotiator.experiments.summary import Cell, SweepSummary


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


def plot_metrics(summary: SweepSummary, folder: Path) -> list[Path]:
    """One PNG per metric (each cell's mean and 95 % interval), one per map, the survival
    curves when ``breakdown_period`` is collected, and the screening's μ* bars."""
    import matplotlib

    matplotlib.use("Agg")

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    screened = summary.screening is not None
    for metric in summary.metrics if not screened else []:
        paths.append(_plot_metric(summary, metric, folder / f"{metric}.png"))
    for i, entry in enumerate(summary.maps):
        paths.append(maps.plot(entry, folder / f"map{i + 1}-{entry.spec.metric}"))
    if summary.survival:
        paths.append(_plot_survival(summary, folder / "survival.png"))
    for metric, ranking in (summary.screening or {}).items():
        if ranking:
            paths.append(
                screening.plot(
                    metric,
                    list(ranking),
                    folder / f"screening-{metric}.png",
                    summary.units.get(metric, ""),
                )
            )
    return paths


def _series_key(summary: SweepSummary) -> str | None:
    """With more than six cells and two or more parameters, the last parameter (e.g. the
    behavioural population) becomes the series of a grouped plot."""
    hidden = set(summary.hidden)
    cells = summary.cells
    keys = [k for k in (cells[0].params if cells else {}) if k not in hidden]
    return keys[-1] if len(cells) > 6 and len(keys) > 1 else None


def _plot_metric(summary: SweepSummary, metric: str, path: Path) -> Path:
    """Each cell's mean and 95 % interval; grouped by the other parameters, one colour per value
    of the series parameter, when the design has several factors."""
    import matplotlib.pyplot as plt

    cells = summary.cells
    hidden = set(summary.hidden)
    units = summary.units
    series_key = _series_key(summary)
    series = list(dict.fromkeys(label(c.params[series_key]) for c in cells)) if series_key else [""]

    def rest(c: Cell) -> str:
        params = {k: v for k, v in c.params.items() if k != series_key}
        return cell_label(params, "\n", hidden)

    groups = list(dict.fromkeys(rest(c) for c in cells))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(groups) * max(1, len(series) / 2) + 2), 4.4))
    for k, name in enumerate(series):
        mine = [c for c in cells if not series_key or label(c.params[series_key]) == name]
        xs = [groups.index(rest(c)) + (k - (len(series) - 1) / 2) * width for c in mine]
        est = [c.metrics[metric] for c in mine]
        means = [e.mean if e.mean is not None else math.nan for e in est]
        lows = [m - (e.low if e.low is not None else m) for m, e in zip(means, est, strict=True)]
        highs = [(e.high if e.high is not None else m) - m for m, e in zip(means, est, strict=True)]
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
    values = [v for c in cells if (v := c.metrics[metric].mean) is not None]
    if (values and set(values) <= {0.0, 1.0}) or metric in ("compliance_rate", "contract_survived"):
        ax.set_ylim(-0.05, 1.05)  # a share or a yes/no metric: its whole range
    unit = f" ({units[metric]})" if metric in units else ""
    ax.set_ylabel(f"{metric}{unit}\nmean and 95 % CI", fontsize=9)
    runs = sorted({c.metrics[metric].n for c in cells})
    ax.set_title(f"{summary.experiment}: {metric} (n = {', '.join(map(str, runs))} per cell)")
    ax.grid(axis="y", alpha=0.3)
    if series_key:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_survival(summary: SweepSummary, path: Path) -> Path:
    """Survival curves; with more than six cells, one panel per value of the last parameter
    (e.g. the behavioural population) and one line per combination of the others."""
    import matplotlib.pyplot as plt

    hidden = set(summary.hidden)
    curves = [c for c in summary.survival or () if c.surviving and c.surviving[0] is not None]
    keys = [k for k in (curves[0].params if curves else {}) if k not in hidden]
    facet = keys[-1] if len(curves) > 6 and len(keys) > 1 else None
    panels = list(dict.fromkeys(label(c.params[facet]) for c in curves)) if facet else [""]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels) + 1.2, 4.2), sharey=True, squeeze=False
    )
    styles: dict[str, int] = {}
    for col, panel in enumerate(panels):
        ax = axes[0][col]
        for curve in curves:
            params = curve.params
            if facet and label(params[facet]) != panel:
                continue
            rest = {k: v for k, v in params.items() if k != facet}
            name = cell_label(rest, hidden=hidden)
            k = styles.setdefault(name, len(styles))
            share = curve.surviving
            ax.step(
                range(len(share)),
                share,
                where="post",
                color=PALETTE[k % len(PALETTE)],
                linestyle=("-", "--", ":", "-.")[k // len(PALETTE) % 4],
                label=f"{name} (n = {curve.runs})",
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
        f"{summary.experiment}: survival of the contract (Kaplan–Meier; breakdown: one "
        "government defects for good)",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0.06 + 0.035 * ((len(styles) + 1) // 2), 1, 0.95))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

"""A sweep's report, from its directory alone: ``summary.json`` (cells, hypotheses, maps,
survival, screening) and ``results.csv`` (the rows the summary was computed from, counted).

Sections: the summary of the invocation, the cells (each metric's mean, 95 % interval and n),
the hypotheses and their verdicts, the maps (tables and heat maps), the survival curves, the
screening, and the figures of each metric by cell.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable
from pathlib import Path

from negotiator import __version__
from negotiator.cli.htmlreport import figures
from negotiator.cli.htmlreport.page import (
    Cell,
    Markup,
    Section,
    definitions,
    figure,
    join,
    note,
    page,
    paragraph,
    section,
    side_by_side,
    table,
    tag,
    text,
)
from negotiator.cli.report import number
from negotiator.errors import ConfigError
from negotiator.experiments.figures import cell_label
from negotiator.experiments.maps import MapResult, label
from negotiator.experiments.summary import MetricEstimate, SweepSummary


def count_rows(path: Path) -> int:
    """The runs recorded in ``results.csv`` (a one-line error if it is missing or not one)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = sum(1 for _ in reader)
            fields = reader.fieldnames or []
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing (a sweep directory holds results.csv)") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: not a results table ({exc})") from None
    if "run_id" not in fields:
        raise ConfigError(f"{path}: not a results table (no run_id column)")
    return rows


def estimate(e: MetricEstimate | None, runs: int) -> Markup:
    """A metric's mean over its 95 % interval, with its n when it is not the cell's every run."""
    if e is None or e.mean is None:
        return text(None)
    lines = [tag("span", number(e.mean), class_="mean")]
    if e.low is not None:
        lines.append(tag("span", f"[{number(e.low)}, {number(e.high)}]", class_="ci"))
    if e.n != runs:
        lines.append(tag("span", f"n = {e.n}", class_="ci"))
    return join(lines, " ")


def build(directory: Path, summary: SweepSummary) -> str:
    """The report of the sweep in ``directory`` whose ``summary.json`` holds ``summary``."""
    rows = count_rows(directory / "results.csv")
    images = figures.sweep_figures(summary)
    by_key = {i.key: i for i in images}
    numbers = itertools.count(1)  # figures are numbered as the page places them

    def figs(keys: list[str]) -> Markup:
        return join(figure(by_key[k], next(numbers)) for k in keys if k in by_key)

    sections = [_overview(summary, rows)]
    if summary.hypotheses:
        sections.append(_hypotheses(summary))
    if summary.screening is None:
        sections.append(_cells(summary))
    if summary.maps:
        sections.append(
            section(
                "maps",
                "Maps",
                *(
                    join([_map(m), figs([f"map{i}-{m.spec.metric}"])])
                    for i, m in enumerate(summary.maps, start=1)
                ),
            )
        )
    if summary.survival:
        sections.append(
            section(
                "survival",
                "Survival of the contract",
                paragraph(
                    "The share of each cell's runs whose contract has not broken down by each "
                    "period (Kaplan–Meier; every run of a cell has the same horizon)."
                ),
                figs(["survival"]),
            )
        )
    if summary.screening is not None:
        sections.append(_screening(summary, figs))
    if summary.screening is None and summary.metrics:
        sections.append(
            section("figures", "Each metric by cell", side_by_side(figs(summary.metrics)))
        )
    unplaced = [i.key for i in images if not _placed(i.key, summary)]
    if unplaced:
        sections.append(section("other-figures", "Other figures", figs(unplaced)))
    return page(
        f"Sweep {summary.experiment} — negotiator report",
        f"Sweep report: {summary.experiment}",
        paragraph(summary.description, class_="meta"),
        sections,
        paragraph(
            f"Written by negotiator {__version__} from the sweep directory's summary.json and "
            f"results.csv; rebuild it with: python run.py report {directory.name}"
        ),
    )


def _placed(key: str, summary: SweepSummary) -> bool:
    """Is the figure ``key`` shown in a section of its own (else under "Other figures")?"""
    if key in summary.metrics:
        return summary.screening is None
    maps = {f"map{i}-{m.spec.metric}" for i, m in enumerate(summary.maps, start=1)}
    screened = {f"screening-{m}" for m in summary.screening or {}}
    return key in maps or key in screened or (key == "survival" and bool(summary.survival))


def _overview(summary: SweepSummary, rows: int) -> Section:
    items: list[tuple[object, object]] = [
        ("Experiment", summary.experiment),
        ("Description", summary.description or "–"),
        ("Seeds per cell", summary.seeds),
        ("Cells", len(summary.cells)),
        ("Runs in results.csv", rows),
        (
            "Metrics",
            ", ".join(
                f"{m} ({summary.units[m]})" if m in summary.units else m for m in summary.metrics
            ),
        ),
    ]
    runs = summary.runs
    if runs is not None:
        rate = f", {runs.runs_per_second:.1f} runs/s" if runs.runs_per_second else ""
        items.append(
            (
                "Last invocation",
                f"{runs.this_invocation} runs in {runs.seconds:.1f} s{rate} on {runs.workers} "
                f"workers ({runs.executor}, {runs.transport} agents); {runs.resumed_from} "
                "already recorded",
            )
        )
    return section(
        "summary",
        "Summary",
        definitions(items),
        paragraph(
            "Intervals are 95 % confidence intervals (Student's t; Welch for differences); "
            "n is the number of runs each estimate is over."
        ),
    )


def _cells(summary: SweepSummary) -> Section:
    metrics = summary.metrics
    header = [
        "cell",
        "parameters",
        "runs",
        *(
            join([m, " ", tag("span", f"({summary.units[m]})", class_="unit")])
            if m in summary.units
            else m
            for m in metrics
        ),
    ]
    rows = [
        [
            c.cell,
            cell_label(c.params, hidden=summary.hidden),
            c.runs,
            *(estimate(c.metrics.get(m), c.runs) for m in metrics),
        ]
        for c in summary.cells
    ]
    return section(
        "cells",
        "Cells: mean [95 % interval] of each metric",
        table(
            "Mean and [95 % CI] by cell (with n where it is not every run of the cell)",
            header,
            rows,
            numeric=[0, *range(2, len(header))],
        ),
    )


def _hypotheses(summary: SweepSummary) -> Section:
    rows = []
    for h in summary.hypotheses:
        low, high = h.ci95
        interval = f"[{number(low)}, {number(high)}]" if low is not None else "–"
        rows.append(
            [
                tag("span", h.verdict, class_=h.verdict.replace(" ", "-")),
                h.hypothesis,
                h.metric,
                f"{cell_label(h.greater)} vs {cell_label(h.than)}",
                f"{number(h.means[0])} vs {number(h.means[1])}",
                f"{number(h.effect)} {interval}",
                Cell(f"{h.n[0]} vs {h.n[1]}", "num"),
            ]
        )
    return section(
        "hypotheses",
        "Hypotheses",
        paragraph(
            "Each pre-registered hypothesis: held if the 95 % interval of the difference lies "
            "above 0, did not hold if below, inconclusive otherwise."
        ),
        table(
            "Hypotheses and verdicts",
            ["verdict", "hypothesis", "metric", "compared", "means", "difference [95 % CI]", "n"],
            rows,
            row_headers=False,
        ),
    )


def _map(entry: MapResult) -> Markup:
    spec = entry.spec
    title = spec.title or spec.metric
    unit = f", {spec.units}" if spec.units else ""
    caption = (
        f"{title} ({spec.metric}{unit}): {spec.mechanism} = {label(spec.on)} minus "
        f"{label(spec.off)}; rows {spec.y}, columns {spec.x}; * the 95 % interval excludes 0"
    )
    cells = {(label(c.x), label(c.y)): c for c in entry.cells}
    rows = []
    for y in entry.ys:
        row: list[object] = [label(y)]
        for x in entry.xs:
            c = cells.get((label(x), label(y)))
            if c is None or c.effect is None:
                row.append("–")
                continue
            lines = [
                tag("span", f"{number(c.effect)}{' *' if c.excludes_zero else ''}", class_="mean")
            ]
            if c.low is not None:
                lines.append(tag("span", f"[{number(c.low)}, {number(c.high)}]", class_="ci"))
            lines.append(tag("span", f"n = {c.n[0]} vs {c.n[1]}", class_="ci"))
            row.append(join(lines, " "))
        rows.append(row)
    header = [f"{spec.y} \\ {spec.x}", *(label(x) for x in entry.xs)]
    return join([tag("h3", title), table(caption, header, rows, numeric=range(1, len(header)))])


def _screening(summary: SweepSummary, figs: Callable[[list[str]], Markup]) -> Section:
    parts: list[object] = [
        paragraph(
            "A Morris design: μ* is a factor's overall influence (with a bootstrap 95 % "
            "interval), σ its interactions or non-linearity; largest μ* first."
        )
    ]
    for metric, ranking in (summary.screening or {}).items():
        if not ranking:
            parts.append(note(f"{metric}: undefined (no variation)."))
            continue
        rows = [
            [
                r.factor,
                number(r.mu_star),
                f"± {number(r.mu_star_ci95)}",
                number(r.sigma),
                number(r.mu),
            ]
            for r in ranking
        ]
        unit = f" ({summary.units[metric]})" if metric in summary.units else ""
        parts.append(
            table(
                f"Morris screening of {metric}{unit}",
                ["factor", "μ*", "95 % interval of μ*", "σ", "μ"],
                rows,
                numeric=range(1, 5),
            )
        )
        parts.append(figs([f"screening-{metric}"]))
    return section("screening", "Screening", *parts)

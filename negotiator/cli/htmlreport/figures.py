"""The report's one adapter to the figure code: every figure of a report is drawn here, by the
figure functions the command line already has, into a temporary folder, and read back as bytes
for the page to inline (:class:`~negotiator.cli.htmlreport.page.Image`).

* a run: :func:`negotiator.cli.plots.negotiation_dance`,
  :func:`negotiator.cli.plots.utility_space` and :func:`negotiator.cli.plots.compliance_heatmap`
  (from the config and the log), each written as SVG;
* a sweep: :func:`negotiator.experiments.figures.plot_metrics`, which writes its PNG files into
  a folder.

To draw the report's figures with other functions, change :func:`run_figures` and
:func:`sweep_figures` only: the pages take whatever :class:`Image` list they return. SVG is
written with its text as text (searchable, scalable) and ids derived from the figure's name, so
that the same inputs give the same bytes (a rebuilt report equals the one written by the run).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from negotiator.cli.htmlreport.page import Image
from negotiator.config import Config
from negotiator.experiments.summary import SweepSummary
from negotiator.runtime.run_summary import RunSummary

MIME = {".svg": "image/svg+xml", ".png": "image/png"}
"""The figure files the page can inline, by suffix."""


def _draw(
    folder: Path, key: str, draw: Callable[[Path], Path | None], alt: str, caption: str
) -> Image | None:
    """Call ``draw`` with an SVG path in ``folder`` (None: nothing to draw) and read it back."""
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": key}):
        path = draw(folder / f"{key}.svg")
    if path is None:
        return None
    return Image(key, MIME[path.suffix], path.read_bytes(), alt, caption)


def run_figures(config: Config, events: list[dict[str, Any]], summary: RunSummary) -> list[Image]:
    """The figures of a run: the negotiation dance, the utility space and the compliance map
    (each only when the run has what it draws)."""
    from negotiator.cli.plots import compliance_heatmap, negotiation_dance, utility_space

    impl = summary.implementation
    moves = "; ".join(f"{p}: {m}" for p, m in impl.moves.items()) if impl is not None else ""
    figures: list[Image | None] = []
    with tempfile.TemporaryDirectory(prefix="negotiator-report-") as tmp:
        folder = Path(tmp)
        figures.append(
            _draw(
                folder,
                "negotiation_dance",
                lambda path: negotiation_dance(config, events, path),
                "The negotiation dance, one panel per party: its normalised utility of every "
                "offer (alternating offers: its own offers joined, the others' hollow) or of the "
                "text in force and of every proposal put to the vote (single text: its vote as "
                "an upward or downward triangle, accepted filled, rejected hollow), with its "
                "reservation value and the Nash point; the timeline below lists the same values.",
                "The negotiation dance: each party's utility of the offers or texts, round by "
                "round.",
            )
        )
        figures.append(
            _draw(
                folder,
                "utility_space",
                lambda path: utility_space(config, events, path),
                "Utility space, one panel per pair of parties: the Pareto frontier, the "
                "reservation values, the Nash and asymmetric Nash points of the analysis, the "
                "offers or proposals and the agreement.",
                "Utility space: the Pareto frontier, the bargaining solutions and the agreement.",
            )
        )
        figures.append(
            _draw(
                folder,
                "compliance_map",
                lambda path: compliance_heatmap(events, path),
                "Compliance map, government by period: blue where the government complied, "
                "vermillion where it defected, a cross where it was caught; shocks and "
                "renegotiations marked and labelled; below, the share complying in each "
                f"period. Moves (C comply, D defect): {moves}.",
                "Compliance map (blue comply, vermillion defect, × caught; shocks dashed, "
                "renegotiations solid) and the share complying by period.",
            )
        )
    return [f for f in figures if f is not None]


def sweep_figures(summary: SweepSummary) -> list[Image]:
    """The figures of a sweep, as :func:`~negotiator.experiments.figures.plot_metrics` draws
    them (each metric by cell, the maps, the survival curves, the screening), in its order."""
    from negotiator.experiments.figures import plot_metrics

    with tempfile.TemporaryDirectory(prefix="negotiator-report-") as tmp:
        paths = plot_metrics(summary, Path(tmp))
        return [
            Image(path.stem, MIME[path.suffix], path.read_bytes(), *_describe(summary, path.stem))
            for path in paths
            if path.suffix in MIME
        ]


def _describe(summary: SweepSummary, stem: str) -> tuple[str, str]:
    """The text alternative and the caption of a sweep figure, from its file's name."""
    units = summary.units
    if stem in summary.metrics:
        unit = f" ({units[stem]})" if stem in units else ""
        return (
            f"{stem}{unit}: each cell's mean with its 95 % confidence interval; the table of "
            "cells gives the same values.",
            f"{stem}{unit}: mean and 95 % interval by cell.",
        )
    if stem.startswith("map") and "-" in stem and stem[3 : stem.index("-")].isdigit():
        spec = summary.maps[int(stem[3 : stem.index("-")]) - 1].spec
        what = spec.title or spec.metric
        return (
            f"Map of {what}: the difference in {spec.metric} between {spec.mechanism} = "
            f"{spec.on} and {spec.off}, for each {spec.x} (columns) and {spec.y} (rows); cells "
            "whose 95 % interval excludes 0 are outlined. The map's table gives the values.",
            f"Map: {what} ({spec.mechanism}: {spec.on} minus {spec.off}).",
        )
    if stem == "survival":
        return (
            "Survival curves: the share of each cell's contracts not broken down by each period.",
            "Survival of the contract by cell (Kaplan–Meier).",
        )
    if stem.startswith("screening-"):
        metric = stem.removeprefix("screening-")
        return (
            f"Morris screening of {metric}: each factor's μ* with its 95 % interval, largest "
            "first; the screening table gives the values.",
            f"Screening of {metric}: μ* by factor.",
        )
    return (f"Figure {stem} of the sweep.", stem)

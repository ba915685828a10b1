"""Plots of a run from its event log: the negotiation dance and the compliance heat map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from negotiator.config import Config
from negotiator.model.analysis import analyze
from negotiator.model.contract import build_setting


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def negotiation_dance(config: Config, events: list[dict[str, Any]], path: Path) -> Path | None:
    """Every offer (SAOP) or text (single text) of the first negotiation, valued by each party
    in normalised utility. Two parties: the offers in utility space with the Pareto frontier and
    the Nash point; more: one line per party over the turns, markers by proposer."""
    if config.scenario is None and config.domain is None:
        return None
    setting = build_setting(config)
    utilities = setting.utilities
    parties = list(config.party_names)
    points: list[tuple[int, str, dict[str, float]]] = []  # (round, author, utilities)
    for event in events:
        if event["event"] == "negotiation_end":
            break
        outcome, author = None, None
        if event["event"] == "offer":
            outcome, author = event["outcome"], event["party"]
        elif event["event"] == "text_start":
            outcome, author = event["text"], "text"
        elif event["event"] == "votes" and event["accepted"]:
            outcome, author = event["proposal"], "text"
        if outcome is None:
            continue
        o = setting.domain.encode(outcome)
        points.append(
            (
                event.get("round", 1),
                str(author),
                {p: utilities[p].normalize(utilities[p](o)) for p in parties},
            )
        )
    if not points:
        return None
    plt = _pyplot()
    authors = sorted({a for _, a, _ in points})
    colors = {a: plt.get_cmap("tab10")(i) for i, a in enumerate(authors)}
    if len(parties) == 2:
        a, b = parties
        analysis = analyze(setting.domain, utilities, setting.power)
        fig, ax = plt.subplots(figsize=(6.5, 6))
        frontier = sorted(
            (utilities[a].normalize(pt.utilities[a]), utilities[b].normalize(pt.utilities[b]))
            for pt in analysis.pareto
        )
        ax.plot(
            [x for x, _ in frontier],
            [y for _, y in frontier],
            color="grey",
            linewidth=1,
            label="Pareto frontier",
        )
        for author in authors:
            xs = [u[a] for _, who, u in points if who == author]
            ys = [u[b] for _, who, u in points if who == author]
            ax.plot(
                xs,
                ys,
                marker="o",
                linestyle="-",
                alpha=0.7,
                color=colors[author],
                label=f"offers by {author}",
            )
        if analysis.nash is not None:
            ax.plot(
                utilities[a].normalize(analysis.nash.utilities[a]),
                utilities[b].normalize(analysis.nash.utilities[b]),
                marker="*",
                markersize=16,
                color="black",
                linestyle="none",
                label="Nash point",
            )
        ax.set_xlabel(f"utility of {a} (normalised)")
        ax.set_ylabel(f"utility of {b} (normalised)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
    else:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        steps = list(range(len(points)))
        for p in parties:
            ax.plot(steps, [u[p] for _, _, u in points], label=f"utility of {p}")
        for author in authors:
            idx = [i for i, (_, who, _) in enumerate(points) if who == author]
            ax.scatter(
                idx,
                [-0.04] * len(idx),
                marker="|",
                color=colors[author],
                s=60,
                label=f"proposed by {author}",
            )
        ax.set_xlabel("offer / accepted text, in order")
        ax.set_ylabel("normalised utility")
        ax.set_ylim(-0.08, 1.02)
    ax.set_title("The negotiation dance")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def compliance_heatmap(events: list[dict[str, Any]], path: Path) -> Path | None:
    """Government × period: green complied, red defected; a cross where caught."""
    periods = [e for e in events if e["event"] == "period"]
    if not periods:
        return None
    parties = list(periods[0]["moves"])
    plt = _pyplot()
    grid = [[1.0 if e["moves"][p] == "C" else 0.0 for e in periods] for p in parties]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.3 * len(periods) + 2), 1 + 0.5 * len(parties)))
    ax.imshow(
        grid,
        aspect="auto",
        cmap="RdYlGn",
        vmin=0,
        vmax=1,
        extent=(0.5, len(periods) + 0.5, len(parties) - 0.5, -0.5),
    )
    for j, e in enumerate(periods, start=1):
        for i, p in enumerate(parties):
            if p in e["detected"]:
                ax.text(j, i, "×", ha="center", va="center", fontsize=9)
    for e in events:
        if e["event"] == "renegotiation":
            ax.axvline(e["period"] - 0.5, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(parties)), parties)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("period")
    ax.set_title("Compliance (green = comply, red = defect, × = caught; dashed = renegotiation)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

"""The first negotiation in utility space: one panel per pair of parties (two parties: one panel;
three: three; four: six; more: no figure), each party's normalised utility on an axis.

Grey: the Pareto frontier of :func:`negotiator.model.analysis.analyze`; with more than two
parties its projection onto the pair (light dots) and that projection's upper-right boundary
(the line: the best the pair can get together). Dashed: the reservation values, so the
individually rational outcomes are up and to the right of both lines. Diamonds: the Nash point
(filled) and the asymmetric Nash point (hollow). SAOP: each proposer's offers, joined in order;
single text: the text in force (joined) and the rejected proposals (hollow). The star is the
agreement.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from negotiator.cli.dance import Dance, Values, read_dance
from negotiator.config import Config
from negotiator.experiments import style

MAX_PARTIES = 4


def utility_space_figure(config: Config, events: list[dict[str, Any]]) -> Any:
    """The utility-space view of the run's first negotiation (module docstring), or None."""
    dance = read_dance(config, events)
    if dance is None or len(dance.parties) > MAX_PARTIES:
        return None
    pairs = list(combinations(dance.parties, 2))
    cols = min(len(pairs), 3)
    rows = (len(pairs) + cols - 1) // cols
    fig = style.figure(3.4 + 3.9 * cols, 0.9 + 3.7 * rows)
    grid = fig.subplots(rows, cols, squeeze=False)
    for i, (a, b) in enumerate(pairs):
        ax = grid[i // cols][i % cols]
        _pareto(ax, dance, a, b)
        _moves(ax, dance, a, b)
        _theory(ax, dance, a, b)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_aspect("equal")
        ax.set_xlabel(f"utility of {a} (0–1)", fontsize=9)
        ax.set_ylabel(f"utility of {b} (0–1)", fontsize=9)
    for j in range(len(pairs), rows * cols):
        grid[j // cols][j % cols].set_visible(False)
    handles, labels = _legend(grid[0][0])
    style.legend_outside(fig, handles, labels)
    kind = "SAOP" if not dance.texts else f"single text from {dance.start_text}"
    fig.suptitle(f"The negotiation in utility space — {kind}", fontsize=10)
    return fig


def _legend(ax: Any) -> tuple[list[Any], list[str]]:
    """The first panel's handles, one per label."""
    seen: dict[str, Any] = {}
    for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
        seen.setdefault(label, handle)
    return list(seen.values()), list(seen)


def _pareto(ax: Any, dance: Dance, a: str, b: str) -> None:
    if dance.analysis is None:
        return
    fns = dance.setting.utilities
    pts = [
        (fns[a].normalize(p.utilities[a]), fns[b].normalize(p.utilities[b]))
        for p in dance.analysis.pareto
    ]
    if len(dance.parties) > 2:
        ax.scatter(
            *zip(*pts, strict=True),
            s=1,
            color="#BBBBBB",
            linewidths=0,
            rasterized=True,
            label="Pareto frontier, projected",
        )
    edge = _upper_right(pts)
    ax.plot(
        *zip(*edge, strict=True),
        color="#777777",
        linewidth=1.2,
        label="Pareto frontier" if len(dance.parties) == 2 else "best the pair can get",
    )


def _upper_right(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points no other point beats on both coordinates, by increasing x."""
    best = float("-inf")
    out: list[tuple[float, float]] = []
    for x, y in sorted(set(points), key=lambda p: (-p[0], -p[1])):
        if y > best:
            out.append((x, y))
            best = y
    return out[::-1]


def _moves(ax: Any, dance: Dance, a: str, b: str) -> None:
    if dance.texts:
        ax.plot(
            [v[a] for _, v in dance.texts],
            [v[b] for _, v in dance.texts],
            color=style.colour(0),
            marker="o",
            markersize=4,
            linewidth=1.5,
            label="text in force",
        )
        rejected = [p.values for p in dance.proposals if not p.accepted]
        ax.scatter(
            [v[a] for v in rejected],
            [v[b] for v in rejected],
            s=22,
            marker="o",
            facecolors="none",
            edgecolors=style.REJECTED,
            linewidths=0.9,
            label="rejected proposal",
        )
    else:
        proposers = style.assign([*dance.parties, *(o.proposer for o in dance.offers)])
        for name, k in proposers.items():
            mine = [o.values for o in dance.offers if o.proposer == name]
            if mine:
                ax.plot(
                    [v[a] for v in mine],
                    [v[b] for v in mine],
                    color=style.colour(k),
                    marker=style.marker(k),
                    markersize=3.5,
                    linewidth=0.8,
                    alpha=0.8,
                    label=f"offers by {name}" if name in dance.parties else "the plan",
                )
    if dance.agreement is not None:
        style.star(ax, dance.agreement[1][a], dance.agreement[1][b])


def _theory(ax: Any, dance: Dance, a: str, b: str) -> None:
    theory = dance.theory
    ax.axvline(
        theory.reservation[a],
        color=style.REFERENCE,
        linestyle="--",
        linewidth=1,
        label="reservation values",
    )
    ax.axhline(theory.reservation[b], color=style.REFERENCE, linestyle="--", linewidth=1)
    points: list[tuple[Values | None, str, str]] = [
        (theory.nash, "black", "Nash point"),
        (theory.asymmetric_nash, "none", "asymmetric Nash point"),
    ]
    for values, face, label in points:
        if values is not None:
            ax.plot(
                values[a],
                values[b],
                marker="D",
                markersize=8,
                markerfacecolor=face,
                markeredgecolor="black",
                linestyle="none",
                zorder=6,
                label=label,
            )

"""Figures of one run from its event log: the negotiation dance, the utility-space view and the
compliance map.

Each figure has a function that returns a :class:`matplotlib.figure.Figure` (or None when the run
has nothing to draw) and one that saves it to a path, in the format its suffix names (``.png``,
``.svg``, ``.pdf``; :func:`negotiator.experiments.style.save`):

* :func:`dance_figure` / :func:`negotiation_dance` — one panel per party, the rounds of the first
  negotiation on the x axis, the party's normalised utility on the y axis. Single text: the text
  in force after every round, each mutation put to the vote (▲ the party voted for it, ▼ against;
  filled if accepted, hollow if rejected) and the ratification votes. SAOP: every offer, the
  party's own joined by a line, the others' hollow, coloured by proposer; the agreement as a star.
  Dashed: the party's reservation value; dotted: its utility at the Nash point; dash-dotted: at
  the asymmetric Nash point.
* :func:`utility_space_figure` / :func:`utility_space` — :mod:`negotiator.cli.space`.
* :func:`compliance_figure` / :func:`compliance_heatmap` — :mod:`negotiator.cli.compliance_map`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from negotiator.cli.compliance_map import compliance_figure
from negotiator.cli.dance import Dance, Values, read_dance
from negotiator.cli.space import utility_space_figure
from negotiator.config import Config
from negotiator.experiments import style

__all__ = [
    "compliance_figure",
    "compliance_heatmap",
    "dance_figure",
    "negotiation_dance",
    "utility_space",
    "utility_space_figure",
]


def _saved(fig: Any, path: Path) -> Path | None:
    return None if fig is None else style.save(fig, path)


def negotiation_dance(config: Config, events: list[dict[str, Any]], path: Path) -> Path | None:
    """Save :func:`dance_figure` to ``path`` (format from its suffix); None if nothing to draw."""
    return _saved(dance_figure(config, events), path)


def utility_space(config: Config, events: list[dict[str, Any]], path: Path) -> Path | None:
    """Save :func:`utility_space_figure` to ``path``; None if nothing to draw."""
    return _saved(utility_space_figure(config, events), path)


def compliance_heatmap(events: list[dict[str, Any]], path: Path) -> Path | None:
    """Save :func:`compliance_figure` to ``path``; None for a run without phase 2."""
    return _saved(compliance_figure(events), path)


def dance_figure(config: Config, events: list[dict[str, Any]]) -> Any:
    """The negotiation dance of the run's first negotiation (module docstring), or None."""
    dance = read_dance(config, events)
    if dance is None:
        return None
    n = len(dance.parties)
    fig = style.figure(10.0, 0.8 + 2.1 * n)
    axes = list(fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0])
    handles = _single_text(dance, axes) if dance.texts else _saop(dance, axes)
    for ax, party in zip(axes, dance.parties, strict=True):
        _references(ax, dance, party)
        ax.set_ylim(*(_zoom(dance, party) if dance.texts else (-0.05, 1.05)))
        ax.set_ylabel(f"{party}\nutility (0–1)", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    handles += _reference_handles(dance)
    style.legend_outside(fig, handles, [h.get_label() for h in handles])
    fig.suptitle(_title(dance), fontsize=10)
    return fig


def _title(dance: Dance) -> str:
    outcome = "agreement" if dance.agreement is not None else f"no agreement ({dance.status})"
    if dance.texts:
        accepted = sum(p.accepted for p in dance.proposals)
        return (
            f"Negotiation dance — single text from {dance.start_text}: {len(dance.proposals)} "
            f"mutations put to the vote, {accepted} accepted; {outcome}"
        )
    rounds = f"{dance.rounds} round" + ("s" if dance.rounds != 1 else "")
    return f"Negotiation dance — SAOP, {rounds}; {outcome}"


def _line(**kwargs: Any) -> Any:
    """A legend handle."""
    from matplotlib.lines import Line2D

    return Line2D([], [], **kwargs)


def _single_text(dance: Dance, axes: list[Any]) -> list[Any]:
    """The text in force, the proposals and the ratification, one panel per party."""
    rounds = [r for r, _ in dance.texts]
    ratify = (rounds[-1] if rounds else 0) + 1
    c = style.TEXT
    for ax, party in zip(axes, dance.parties, strict=True):
        ax.plot(
            rounds,
            [v[party] for _, v in dance.texts],
            drawstyle="steps-post",
            color=c,
            marker="o",
            markersize=3,
            linewidth=2,
            label="text in force",
        )
        for p in dance.proposals:
            ax.plot(
                p.round,
                p.values[party],
                linestyle="none",
                marker="^" if p.votes[party] else "v",
                markersize=7,
                markerfacecolor=style.ACCEPTED if p.accepted else "none",
                markeredgecolor=style.ACCEPTED if p.accepted else style.REJECTED,
                label="proposal",
            )
        if dance.ratification is not None:
            yes = dance.ratification[party]
            ax.plot(
                ratify,
                dance.texts[-1][1][party],
                linestyle="none",
                marker="s",
                markersize=8,
                markerfacecolor=c if yes else "none",
                markeredgecolor=c,
                label="ratification vote",
            )
    last = axes[-1]
    ticks = [r for r in range(0, ratify) if ratify <= 25 or r % 5 == 0]
    last.set_xticks([*ticks, ratify], [*map(str, ticks), "ratify"])
    last.set_xlabel(f"round (0: the starting text, {dance.start_text})")
    return [
        _line(color=c, marker="o", markersize=3, linewidth=2, label="text in force"),
        _line(
            color="black", marker="^", linestyle="none", markerfacecolor="none", label="voted for"
        ),
        _line(
            color="black",
            marker="v",
            linestyle="none",
            markerfacecolor="none",
            label="voted against",
        ),
        _line(color=style.ACCEPTED, marker="o", linestyle="none", label="accepted (filled)"),
        _line(
            color=style.REJECTED,
            marker="o",
            linestyle="none",
            markerfacecolor="none",
            label="rejected (hollow)",
        ),
        _line(color=c, marker="s", linestyle="none", label="ratification (filled: yes)"),
    ]


def _saop(dance: Dance, axes: list[Any]) -> list[Any]:
    """Every offer valued by each party: own offers joined, the others' hollow."""
    proposers = style.assign([*dance.parties, *(o.proposer for o in dance.offers)])
    named = {
        who: f"offers by {who}" if who in dance.parties else f"the plan ({who})"
        for who in proposers
    }
    for ax, party in zip(axes, dance.parties, strict=True):
        for proposer, k in proposers.items():
            mine = [o for o in dance.offers if o.proposer == proposer]
            xs, ys = [o.x for o in mine], [o.values[party] for o in mine]
            if proposer == party:
                ax.plot(
                    xs,
                    ys,
                    color=style.colour(k),
                    marker=style.marker(k),
                    markersize=4,
                    linewidth=1.6,
                    label=named[proposer],
                    zorder=3,
                )
            elif mine:
                ax.scatter(
                    xs,
                    ys,
                    marker=style.marker(k),
                    s=18,
                    facecolors="none",
                    edgecolors=style.colour(k),
                    linewidths=0.9,
                    zorder=2,
                    label=named[proposer],
                )
        if dance.agreement is not None:
            style.star(ax, *_at(dance.agreement, party))
    axes[-1].set_xlabel("round (each party's turn within its round)")
    from matplotlib.ticker import MaxNLocator

    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlim(1 - 1.5 / len(dance.parties), dance.last_round + 1)
    handles = [
        _line(color=style.colour(k), marker=style.marker(k), linestyle="none", label=named[who])
        for who, k in proposers.items()
        if any(o.proposer == who for o in dance.offers)
    ]
    handles += [
        _line(color="black", marker="o", markersize=4, label="own offers (joined)"),
        _line(
            color="black",
            marker="o",
            linestyle="none",
            markerfacecolor="none",
            label="the others' offers (hollow)",
        ),
    ]
    return handles + ([_star_handle()] if dance.agreement is not None else [])


def _zoom(dance: Dance, party: str) -> tuple[float, float]:
    """The y range of a single-text panel: every value drawn, the reference lines included, with
    a margin (mutations move a party's utility little: [0, 1] would flatten them)."""
    theory = dance.theory
    values = [v[party] for _, v in dance.texts] + [p.values[party] for p in dance.proposals]
    values += [
        ref[party]
        for ref in (theory.reservation, theory.nash, theory.asymmetric_nash)
        if ref is not None
    ]
    low, high = min(values), max(values)
    margin = max(0.05, 0.08 * (high - low))
    return max(-0.05, low - margin), min(1.05, high + margin)


def _at(agreement: tuple[float, Values], party: str) -> tuple[float, float]:
    return agreement[0], agreement[1][party]


def _star_handle() -> Any:
    return _line(marker="*", markersize=12, color="black", linestyle="none", label="agreement")


#: The theory's reference lines: (attribute of Theory, line style, legend label).
_REFERENCES = (
    ("reservation", "--", "reservation value"),
    ("nash", ":", "Nash point"),
    ("asymmetric_nash", "-.", "asymmetric Nash point"),
)


def _references(ax: Any, dance: Dance, party: str) -> None:
    for name, linestyle, label in _REFERENCES:
        values: Values | None = getattr(dance.theory, name)
        if values is not None:
            ax.axhline(
                values[party],
                color=style.REFERENCE,
                linestyle=linestyle,
                linewidth=1,
                label=label,
                zorder=1,
            )


def _reference_handles(dance: Dance) -> list[Any]:
    return [
        _line(color=style.REFERENCE, linestyle=linestyle, linewidth=1, label=label)
        for name, linestyle, label in _REFERENCES
        if getattr(dance.theory, name) is not None
    ]

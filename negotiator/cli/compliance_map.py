"""The compliance map of a run's phase 2, from its event log.

Top: government × period, blue where the government complied, vermillion where it defected
(moves as carried out); × where the defection was detected, a small circle where a tremble
carried out the other move than the one chosen. Bottom: the share of governments complying in
each period, and the run's compliance rate as a dashed line. Vertical lines sit between periods,
before the period they act on: dashed for a shock (demand, rotation, incident), solid for a
renegotiation; each is labelled along the top (e.g. ``demand ×0.5``, ``rotation: wuyi``,
``renegotiation: agreed, changed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from negotiator.experiments import style

MAX_WIDTH = 16.0
"""Inches: a long phase 2 is compressed, not drawn wider."""


@dataclass(frozen=True)
class Marker:
    """A shock or a renegotiation, acting from ``period`` on."""

    period: int
    kind: str  # "shock" or "renegotiation"
    label: str


@dataclass(frozen=True)
class ComplianceLog:
    """What the compliance map shows, read from the events."""

    parties: list[str]
    moves: list[dict[str, str]]  # per period
    caught: list[list[str]]
    trembles: list[list[str]]
    markers: list[Marker]

    @property
    def shares(self) -> list[float]:
        return [sum(m[p] == "C" for p in self.parties) / len(self.parties) for m in self.moves]

    @property
    def rate(self) -> float:
        return sum(self.shares) / len(self.moves)


def _shock_label(event: dict[str, Any]) -> str:
    kind = str(event["kind"])
    if kind == "demand":
        return f"demand ×{float(event['factor']):g}"
    return f"{kind}: {event.get('government', '?')}"


def _renegotiation_label(event: dict[str, Any]) -> str:
    status = str(event.get("status", "")).replace("_", " ")
    return f"renegotiation: {status}" + (", changed" if event.get("changed") else "")


def read_compliance(events: list[dict[str, Any]]) -> ComplianceLog | None:
    """The periods, shocks and renegotiations of the log; None without a period."""
    periods = [e for e in events if e["event"] == "period"]
    if not periods:
        return None
    parties = list(periods[0]["moves"])
    markers = [
        Marker(int(e["period"]), "shock", _shock_label(e))
        if e["event"] == "shock"
        else Marker(int(e["period"]), "renegotiation", _renegotiation_label(e))
        for e in events
        if e["event"] in ("shock", "renegotiation")
    ]
    trembles = [
        [p for p in parties if (e.get("intended") or e["moves"])[p] != e["moves"][p]]
        for e in periods
    ]
    return ComplianceLog(
        parties=parties,
        moves=[dict(e["moves"]) for e in periods],
        caught=[list(e["detected"]) for e in periods],
        trembles=trembles,
        markers=markers,
    )


def compliance_figure(events: list[dict[str, Any]]) -> Any:
    """The compliance map (module docstring), or None for a run without phase 2."""
    log = read_compliance(events)
    if log is None:
        return None
    from matplotlib.colors import ListedColormap
    from matplotlib.ticker import MaxNLocator

    parties, count = log.parties, len(log.moves)
    width = min(MAX_WIDTH, max(7.5, 0.32 * count + 4.5))
    fig = style.figure(width, 3.2 + 0.45 * len(parties))
    top, bottom = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [max(len(parties), 2), 2]}
    )
    grid = [[1.0 if m[p] == "C" else 0.0 for m in log.moves] for p in parties]
    top.imshow(
        grid,
        aspect="auto",
        cmap=ListedColormap([style.DEFECT, style.COMPLY]),
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0.5, count + 0.5, len(parties) - 0.5, -0.5),
    )
    size = min(7.0, 0.5 * 72 * (width - 4.0) / count)  # a mark fits in its cell
    cells: list[tuple[int, float]] = [
        (j + 1, i) for j in range(count) for i, p in enumerate(parties) if p in log.caught[j]
    ]
    top.plot(
        *_xy(cells),
        linestyle="none",
        marker="x",
        markersize=size,
        color="white",
        markeredgewidth=1.2,
        label="detected",
    )
    cells = [  # below the cell's centre: a tremble can be detected too
        (j + 1, i + 0.3)
        for j in range(count)
        for i, p in enumerate(parties)
        if p in log.trembles[j]
    ]
    top.plot(
        *_xy(cells),
        linestyle="none",
        marker="o",
        markersize=0.6 * size,
        markerfacecolor="white",
        markeredgecolor="black",
        label="tremble",
    )
    top.set_yticks(range(len(parties)), parties)
    bottom.plot(
        range(1, count + 1),
        log.shares,
        marker="o",
        markersize=4,
        color=style.COMPLY,
        label="share complying",
    )
    bottom.axhline(log.rate, color=style.REFERENCE, linestyle="--", linewidth=1)
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_ylabel("share\ncomplying", fontsize=9)
    bottom.set_xlabel("period")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.grid(axis="y", alpha=0.3)
    _mark(top, bottom, log.markers)
    style.legend_outside(fig, *_legend(log))
    fig.suptitle("Compliance by government and period", fontsize=10)
    return fig


def _xy(cells: list[tuple[int, float]]) -> tuple[list[int], list[float]]:
    return [x for x, _ in cells], [y for _, y in cells]


def _mark(top: Any, bottom: Any, markers: list[Marker]) -> None:
    """The vertical lines (a shock and a renegotiation before the same period side by side, in
    the order they happened), and their labels on a secondary axis along the top."""
    both = {m.period for m in markers if m.kind == "shock"} & {
        m.period for m in markers if m.kind == "renegotiation"
    }
    for m in markers:
        shift = (0.06 if m.kind == "renegotiation" else -0.06) if m.period in both else 0.0
        for ax in (top, bottom):
            ax.axvline(
                m.period - 0.5 + shift,
                color="black",
                linestyle="--" if m.kind == "shock" else "-",
                linewidth=1.1,
            )
    positions: dict[int, list[str]] = {}
    for m in markers:
        positions.setdefault(m.period, []).append(m.label)
    labels = top.secondary_xaxis("top")
    labels.set_xticks(
        [p - 0.5 for p in positions],
        ["\n".join(v) for v in positions.values()],
        fontsize=7,
        rotation=40,
        ha="left",
        rotation_mode="anchor",
    )
    labels.tick_params(length=3)


def _legend(log: ComplianceLog) -> tuple[list[Any], list[str]]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Patch(color=style.COMPLY, label="complied"),
        Patch(color=style.DEFECT, label="defected"),
    ]
    if any(log.caught):
        handles.append(
            Line2D([], [], marker="x", color="black", linestyle="none", label="defection detected")
        )
    if any(log.trembles):
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                markersize=4,
                markerfacecolor="white",
                markeredgecolor="black",
                linestyle="none",
                label="tremble (the other move)",
            )
        )
    kinds = {m.kind for m in log.markers}
    if "shock" in kinds:
        handles.append(
            Line2D(
                [],
                [],
                color="black",
                linestyle="--",
                label="shock (acts from the period after the line)",
            )
        )
    if "renegotiation" in kinds:
        handles.append(Line2D([], [], color="black", linestyle="-", label="renegotiation"))
    handles += [
        Line2D([], [], color=style.COMPLY, marker="o", markersize=4, label="share complying"),
        Line2D(
            [],
            [],
            color=style.REFERENCE,
            linestyle="--",
            label=f"compliance rate of the run ({log.rate:.0%})",
        ),
    ]
    return handles, [h.get_label() for h in handles]

"""The look of every figure and how it is written: one colour-blind-safe palette, the colour maps,
the file formats, and the one function that saves a figure.

The qualitative palette is Okabe & Ito's (2008, "Color universal design"), distinguishable with
every common form of colour blindness; series that could still be confused also differ by marker
or line style. Colour maps: ``viridis`` (sequential) and ``PuOr`` (diverging), both readable in
grey and by colour-blind readers. Complying and defecting are blue and vermillion, never green
and red.

Figures are :class:`matplotlib.figure.Figure` objects made without :mod:`matplotlib.pyplot` (no
global state, nothing to close); :func:`save` writes one in the format its file suffix names.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Okabe & Ito's colour-blind-safe palette: blue, vermillion, bluish green, reddish purple,
#: orange, sky blue, yellow, black.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: One marker per palette colour, so that a series is told apart without its colour.
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")
#: Line styles for series beyond the palette's length.
LINESTYLES = ("-", "--", ":", "-.")

COMPLY = PALETTE[0]
"""A period in which a government complied (blue)."""
DEFECT = PALETTE[1]
"""A period in which a government defected (vermillion)."""
ACCEPTED = PALETTE[2]
"""An accepted proposal or an agreement (bluish green)."""
REJECTED = PALETTE[1]
"""A rejected proposal (vermillion, drawn hollow)."""
REFERENCE = "#555555"
"""Reference lines: reservation values, theory."""
TEXT = "#333333"
"""The single text in force (its proposals are green or vermillion)."""
SEQUENTIAL = "viridis"
DIVERGING = "PuOr"

#: The formats a figure can be written in (``--format``); the first is the default.
FORMATS = ("png", "svg", "pdf")
DPI = 120


def colour(i: int) -> str:
    """The ``i``-th colour of the palette (cycling)."""
    return PALETTE[i % len(PALETTE)]


def marker(i: int) -> str:
    """The ``i``-th marker (cycling)."""
    return MARKERS[i % len(MARKERS)]


def linestyle(i: int) -> str:
    """Solid for the palette's first pass, then dashed, dotted, dash-dotted."""
    return LINESTYLES[i // len(PALETTE) % len(LINESTYLES)]


def assign(names: Iterable[str]) -> dict[str, int]:
    """A fixed palette index per name, in order of first appearance."""
    out: dict[str, int] = {}
    for name in names:
        out.setdefault(name, len(out))
    return out


def figure(width: float, height: float) -> Any:
    """A new figure with constrained layout (legends placed outside the axes fit)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def suffixed(path: Path, fmt: str) -> Path:
    """``path`` with the suffix of ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r} (choose one of: {', '.join(FORMATS)})")
    return path.with_suffix(f".{fmt}")


def _metadata(fmt: str) -> dict[str, Any] | None:
    """No creation date, so that the same figure gives the same bytes."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    return None


def save(fig: Any, path: Path) -> Path:
    """Write ``fig`` to ``path`` in the format its suffix names (png, svg or pdf); return it."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"{path}: a figure's file must end in .png, .svg or .pdf")
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "negotiator"}):
        fig.savefig(path, format=fmt, dpi=DPI, metadata=_metadata(fmt))
    return path


def svg(fig: Any) -> str:
    """The figure as SVG text (to inline in an HTML page)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "negotiator"}):
        fig.savefig(buffer, format="svg", metadata=_metadata("svg"))
    return buffer.getvalue()


def legend_outside(fig: Any, handles: list[Any], labels: list[str], **kwargs: Any) -> Any:
    """A figure legend to the right of every axes, never over the data."""
    return fig.legend(handles, labels, loc="outside right center", fontsize=8, **kwargs)


def star(ax: Any, x: float, y: float) -> None:
    """The agreement: a black star, above the other marks."""
    ax.plot(
        x,
        y,
        marker="*",
        markersize=15,
        color="black",
        linestyle="none",
        zorder=5,
        label="agreement",
    )

"""Figures as the terminal report writes them: fixed notation, thousands separators, decimals
that suit the size (:func:`number`), and an estimate with its interval to the same decimals
(:func:`interval`). Never scientific notation: ``6,130 [6,060, 6,200]``, ``0.412 [0.388,
0.436]``."""

from __future__ import annotations

import math


def decimals(size: float) -> int:
    """The decimals that suit a figure of magnitude ``size`` (≥ 0): none from 1,000, one from
    100, two from 1 (and for 0), three from 0.001, and below that three significant digits (at
    most 9 decimals)."""
    if size >= 1000:
        return 0
    if size >= 100:
        return 1
    if size >= 1 or size == 0:
        return 2
    if size >= 0.001:
        return 3
    return min(2 - math.floor(math.log10(size)), 9)


def _places(size: float) -> int:
    """:func:`decimals` of ``size`` as it will be rounded (999.96 is written 1,000)."""
    places = decimals(size)
    rounded = decimals(round(size, places))
    return min(places, rounded) if size >= 0.001 else places


def number(x: float | None, places: int | None = None) -> str:
    """A figure in fixed notation with thousands separators, to ``places`` decimals or as many
    as suit its size (:func:`decimals`): ``6,130``, ``415.2``, ``8.23``, ``0.412``,
    ``0.000412``. None and NaN are ``–``, infinities ``∞`` and ``-∞``; zero has no sign (a
    negative figure that rounds to zero keeps its: ``-0.000``)."""
    if x is None or math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    text = f"{x:,.{_places(abs(x)) if places is None else places}f}"
    return text.removeprefix("-") if x == 0 else text


def interval(mean: float | None, low: float | None, high: float | None) -> str:
    """``mean [low, high]``, the three with the same decimals: those that suit the largest in
    magnitude (``129.6 [65.7, 193.5]``); the mean alone without an interval."""
    if mean is None or math.isnan(mean):
        return "–"
    if low is None or high is None:
        return number(mean)
    finite = [abs(v) for v in (mean, low, high) if math.isfinite(v)]
    places = _places(max(finite)) if finite else None
    return f"{number(mean, places)} [{number(low, places)}, {number(high, places)}]"

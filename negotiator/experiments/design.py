"""The factors of a sweep's design, recovered from its cells, and the short labels of cells.

A sweep's cells are the product of its grid keys and ``[[zip]]`` groups, so two keys belong to
different factors exactly when every combination of their values occurs (they are crossed), and
to the same factor (a zip group) when some combinations never do. A key with a single value is
fixed, not a factor; a key hidden behind a zip group's label (``label.population``) is left out.
The figures put the first factor on the x axis, the last one in grouped series, and the ones
between in panels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from negotiator.experiments.maps import label


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


@dataclass(frozen=True)
class Factor:
    """One factor of the design: its keys (several for a zip group), a name and its levels, in
    the order the cells first take them."""

    keys: tuple[str, ...]
    name: str
    levels: tuple[str, ...]

    def level(self, params: dict[str, Any]) -> str:
        """The label of the level a cell's ``params`` take."""
        return _level(self.keys, params)


def _short(keys: Sequence[str]) -> list[str]:
    return [k.split(".")[-1] for k in keys]


def _level(keys: Sequence[str], params: dict[str, Any]) -> str:
    values = [label(params[k]) for k in keys]
    if len(set(_short(keys))) == 1 and len(set(values)) == 1:
        return values[0]  # one key, or a zip of keys with one name and one value
    return cell_label({k: params[k] for k in keys}, "\n")


def _name(keys: Sequence[str]) -> str:
    names = list(dict.fromkeys(_short(keys)))
    if len(names) == 1:
        return names[0] + (f" (×{len(keys)})" if len(keys) > 1 else "")
    return ", ".join(names)


def factors(cells: Sequence[dict[str, Any]], hidden: Iterable[str] = ()) -> list[Factor]:
    """The design's factors (module docstring), in the order of the cells' keys."""
    if not cells:
        return []
    skip = set(hidden)
    keys = [k for k in cells[0] if k not in skip]
    distinct = {k: {label(c[k]) for c in cells} for k in keys}
    varying = [k for k in keys if len(distinct[k]) > 1]
    groups: list[list[str]] = []
    for key in varying:
        for group in groups:
            first = group[0]
            pairs = {(label(c[first]), label(c[key])) for c in cells}
            if len(pairs) < len(distinct[first]) * len(distinct[key]):  # not crossed: zipped
                group.append(key)
                break
        else:
            groups.append([key])
    out = []
    for group in groups:
        levels = tuple(dict.fromkeys(_level(group, c) for c in cells))
        out.append(Factor(tuple(group), _name(group), levels))
    return out

"""``--set`` overrides: ``a.b.c=value`` parsed as TOML and set into a raw config mapping.

:func:`set_key` is the code base's one dotted-key setter: ``--set``, an experiment's cells and a
replay branch's changes all go through it.
"""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any

from negotiator.errors import ConfigError

_KEY = r"[A-Za-z0-9_\-]+(\[\d+\])?"
KEY_PATTERN = re.compile(rf"{_KEY}(\.{_KEY})*")
"""A dotted key, each part optionally indexing a list: ``implementation.shocks[0].factor``."""


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``a.b.c=value``; the value is read as a TOML value, else taken as a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not KEY_PATTERN.fullmatch(key):
        raise ConfigError(f"--set {text!r}: expected KEY.PATH=VALUE, e.g. negotiation.deadline=80")
    try:
        value: Any = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def set_key(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``dotted`` (``a.b``, ``a.list[0].b``) in a raw config mapping, creating tables on the
    way (the one dotted-key setter: ``--set``, experiments, branches). A list must exist."""
    node: Any = data
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        name, _, index = part.partition("[")
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        if not isinstance(node, dict):
            raise ConfigError(f"{dotted}: {'.'.join(parts[:i])} is not a table")
        if not index:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            continue
        items = node.get(name)
        k = int(index.rstrip("]"))
        if not isinstance(items, list) or not 0 <= k < len(items):
            raise ConfigError(f"{dotted}: {where} is not an item of a list")
        if last:
            items[k] = value
            return
        node = items[k]


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of the raw config ``data`` with each ``a.b=v`` override applied."""
    out = copy.deepcopy(data)
    for text in overrides:
        key, value = parse_override(text)
        try:
            set_key(out, key, value)
        except ConfigError as exc:
            raise ConfigError(f"--set {text!r}: {str(exc).split(': ', 1)[1]}") from None
    return out

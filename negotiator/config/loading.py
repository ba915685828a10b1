"""Loading a config: read the TOML file, apply ``--set`` overrides, validate, and turn every
mistake into a :class:`~negotiator.errors.ConfigError` of one line that names the field.

Validation checks strategy names against the registry (:mod:`negotiator.config.strategies`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from negotiator.config.overrides import apply_overrides
from negotiator.config.schema import Config
from negotiator.errors import ConfigError, unknown

#: pydantic's names for the alternatives of a union, which it puts in an error's path.
_UNION_TAGS = frozenset({"float", "int", "str", "bool"})


def format_validation_error(exc: ValidationError, root: type[BaseModel] | None = None) -> str:
    """One line: the field path and message of the first error, and how many more there are.
    An unknown key is named with the closest key its table takes, if one is close: the tables
    are ``root``'s (default: :class:`Config`'s, when the error is a config's).
    A union reports an error for each of its alternatives; those that only say the value is not
    of that alternative's type (``float_type``, ``dict_type``, …) give way to the others, which
    say what is wrong inside the value."""
    errors = exc.errors()
    first = next((e for e in errors if not e["type"].endswith("_type")), errors[0])
    msg = str(first["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # drop pydantic's union and validator tags (e.g. "function-after[...]") from the path;
    # list positions are written [i]
    parts: list[str] = []
    for p in first["loc"]:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif "[" not in str(p) and "(" not in str(p) and str(p) not in _UNION_TAGS:
            parts.append(("." if parts else "") + str(p))
    loc = "".join(parts)
    if first["type"] == "extra_forbidden":
        if root is None and exc.title == Config.__name__:
            root = Config
        known = _known_keys(root, parts[:-1]) if root is not None else []
        return unknown("key", loc, known, compare=str(first["loc"][-1])) + (
            f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        )
    if first["type"] == "missing":
        msg = "required key is missing"
    text = msg if (not loc or msg.startswith(loc.split(".")[0])) else f"{loc}: {msg}"
    if first["type"] not in ("extra_forbidden", "missing") and "input" in first and loc:
        text += f" (got {first['input']!r})" if not isinstance(first["input"], dict) else ""
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return text


def _known_keys(root: type[BaseModel], path: list[str]) -> list[str]:
    """The keys a table of the config takes, the table named by ``path`` as an error writes it
    (``parties.wuyi``, ``implementation.shocks[0]``); none if the path leads to no table."""
    types: list[Any] = [root]
    for part in path:
        key = part.lstrip(".")
        inside = [t for a in types for t in _inside(a, key)]
        # pydantic names a union's model alternative in the path by its class name
        types = inside or [t for a in types for t in _alternatives(a) if _named(t, key)]
    names: set[str] = set()
    for annotation in (t for a in types for t in _alternatives(a)):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(n for n, f in annotation.model_fields.items() if not f.exclude)
    return sorted(names)


def _named(annotation: Any, name: str) -> bool:
    return getattr(annotation, "__name__", None) == name


def _alternatives(annotation: Any) -> list[Any]:
    """The members of a union (the type itself if it is not one), ``Annotated`` unwrapped."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _alternatives(args[0])
    if origin in (Union, UnionType):
        return [t for a in args for t in _alternatives(a)]
    return [annotation]


def _inside(annotation: Any, key: str) -> list[Any]:
    """The types that the value at ``key`` (a field, a table's key or ``[i]``) of a value of type
    ``annotation`` may have."""
    alternatives = _alternatives(annotation)
    if alternatives != [annotation]:
        return [t for a in alternatives for t in _inside(a, key)]
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(key)
        return [field.annotation] if field is not None else []
    if origin is dict and not key.startswith("["):
        return [args[1]]
    if origin is list and key.startswith("["):
        return [args[0]]
    return []


def config_from_dict(
    data: dict[str, Any], *, source: str = "config", folders: Sequence[str | Path] = ()
) -> Config:
    """Validate a raw config mapping, its strategy names and parameters against the registry
    included (a ``module:Class`` strategy's module looked for in ``folders``, then the working
    directory's and the rest of the strategy path, docs/strategies.md); raise
    :class:`ConfigError` with a one-line message."""
    try:
        from negotiator.config.strategies import validation_context  # the agents, when needed

        return Config.model_validate(data, context=validation_context(folders))
    except ValidationError as exc:
        raise ConfigError(f"{source}: {format_validation_error(exc)}") from None


def load_config(
    path: str | Path, overrides: list[str] | None = None, seed: int | None = None
) -> Config:
    """Read, override and validate a TOML config. ``seed`` replaces ``run.seed``. A
    ``module:Class`` strategy's module is looked for first in the file's folder."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    data = apply_overrides(data, overrides or [])
    if seed is not None:
        data.setdefault("run", {})["seed"] = seed
    return config_from_dict(data, source=str(path), folders=[path.parent])

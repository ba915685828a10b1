"""The strategy registry: names in configs → strategy classes.

A config names a registered strategy (``boulware``) or any importable class as
``package.module:ClassName`` (for researchers' own strategies and for fault-injection agents in
tests). Registered names are listed in ``docs/config.md``.

A ``module:Class`` module is looked for in the folders of a *strategy path*
(:func:`strategy_path`: the config file's folder, the folders of :data:`STRATEGY_PATH_ENV`, the
working directory), then on ``sys.path``. The folders are put in front of ``sys.path`` only while
the module is imported, and taken out again (docs/strategies.md).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from negotiator.agents.base import NegotiationStrategy, StrategyError, make_params
from negotiator.agents.compliance import ComplianceStrategy
from negotiator.errors import unknown

T = TypeVar("T")

__all__ = [
    "STRATEGY_PATH_ENV",
    "StrategyError",
    "compliance_strategies",
    "negotiation_strategies",
    "resolve",
    "resolve_compliance",
    "strategy_path",
    "validate_compliance",
    "validate_strategy",
]

#: Environment variable: folders (separated by ``os.pathsep``) searched for ``module:Class``
#: strategies after a config's own folder and before the working directory. The launcher sets it
#: for the agent processes it starts to the strategy path of the process that loaded the config.
STRATEGY_PATH_ENV = "NEGOTIATOR_STRATEGY_PATH"

SearchPath = Sequence[str]
"""Folders searched, in order, for a ``module:Class`` strategy's module before ``sys.path``."""


def strategy_path(first: Sequence[str | Path] = ()) -> tuple[str, ...]:
    """The folders searched for a ``module:Class`` strategy's module, in this order: ``first``
    (a config file's folder; in a replay, the folders its run searched), the folders of
    :data:`STRATEGY_PATH_ENV`, the working directory. Absolute, each once; ``sys.path`` comes
    after them."""
    env = [p for p in os.environ.get(STRATEGY_PATH_ENV, "").split(os.pathsep) if p]
    folders = [os.path.abspath(p) for p in (*first, *env, os.getcwd())]
    return tuple(dict.fromkeys(folders))


@contextlib.contextmanager
def _searching(folders: SearchPath) -> Iterator[None]:
    """``folders`` in front of ``sys.path`` while a strategy's module is imported (so that it may
    import its neighbours), then taken out again."""
    added = list(folders)
    sys.path[:0] = added
    importlib.invalidate_caches()  # a folder's listing may have been cached before a file came
    try:
        yield
    finally:
        for folder in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)


def compliance_strategies() -> dict[str, type[ComplianceStrategy]]:
    """Registered phase-2 strategies by name."""
    from negotiator.agents import compliance, incentives, learners

    registered: tuple[type[ComplianceStrategy], ...] = (
        *compliance.CLASSIC,
        compliance.GenerousTitForTat,
        incentives.BestResponse,
        incentives.ConditionalCooperator,
        learners.RothErev,
        learners.Ewa,
    )
    return {cls.name: cls for cls in registered}


def resolve_compliance(name: str, search: SearchPath | None = None) -> type[ComplianceStrategy]:
    """The class for a compliance strategy name or ``module:Class`` path (its module looked for
    in ``search``, default :func:`strategy_path`, then on ``sys.path``)."""
    known = compliance_strategies()
    return _resolve(name, ComplianceStrategy, known, "compliance strategy", search)


def validate_compliance(
    name: str, params: dict[str, Any], search: SearchPath | None = None
) -> None:
    """Check a compliance strategy name and its parameters (raises :class:`StrategyError`)."""
    make_params(resolve_compliance(name, search).Params, params)


#: The shipped agents' module path before they were installed as ``negotiator.agents``: configs
#: and logs written then name e.g. ``agents.testing:Silent``, which still resolves. Only the
#: shipped modules' names are read this way; ``agents.mine:Class`` of a researcher's own
#: package ``agents`` is imported as written.
FORMER_PREFIX = "agents."


def _current(module_name: str) -> str:
    """``module_name``, or the shipped module it named before the move (``agents.testing`` →
    ``negotiator.agents.testing``)."""
    if not module_name.startswith(FORMER_PREFIX):
        return module_name
    import pkgutil

    import negotiator.agents

    first = module_name.removeprefix(FORMER_PREFIX).partition(".")[0]
    shipped = {m.name for m in pkgutil.iter_modules(negotiator.agents.__path__)}
    return "negotiator." + module_name if first in shipped else module_name


def _import(name: str, search: SearchPath) -> Any:
    """The class ``module:Class`` names, its module looked for in ``search`` then on
    ``sys.path`` (a module already imported is not looked for again)."""
    module_name, _, attr = name.partition(":")
    module_name = _current(module_name)
    try:
        if module_name in sys.modules:
            module = sys.modules[module_name]
        else:
            with _searching(search):
                module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not (module_name == missing or module_name.startswith(missing + ".")):
            raise StrategyError("strategy", f"cannot import {name!r}: {exc}") from None
        where = ", ".join(search)
        raise StrategyError(
            "strategy",
            f"cannot import {name!r}: no module {missing!r} in {where} or on sys.path",
        ) from None
    except Exception as exc:  # the module itself fails: a syntax error, an error at import
        raise StrategyError(
            "strategy", f"cannot import {name!r}: {type(exc).__name__}: {exc}"
        ) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        where = getattr(module, "__file__", None) or module_name
        classes = sorted(n for n, v in vars(module).items() if isinstance(v, type))
        raise StrategyError(
            "strategy", f"cannot import {name!r}: {where}: {unknown('class', attr, classes)}"
        ) from None


def negotiation_strategies() -> dict[str, type[NegotiationStrategy]]:
    """Registered phase-1 strategies by name."""
    from negotiator.agents import negotiation

    return {cls.name: cls for cls in negotiation.REGISTERED}


def resolve(name: str, search: SearchPath | None = None) -> type[NegotiationStrategy]:
    """The class for a strategy name or ``module:Class`` path (its module looked for in
    ``search``, default :func:`strategy_path`, then on ``sys.path``); :class:`StrategyError` if
    none."""
    return _resolve(name, NegotiationStrategy, negotiation_strategies(), "strategy", search)


def _resolve(
    name: str,
    base: type[T],
    known: dict[str, type[T]],
    what: str,
    search: SearchPath | None,
) -> type[T]:
    """A registered name, or a ``module:Class`` path to a subclass of ``base``."""
    if ":" in name:
        cls = _import(name, strategy_path() if search is None else search)
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise StrategyError("strategy", f"{name!r} is not a {base.__name__} subclass")
        return cls
    if name not in known:
        raise StrategyError("strategy", unknown(what, name, sorted(known), listed=True))
    return known[name]


def validate_strategy(
    name: str,
    params: dict[str, Any],
    *,
    n_parties: int,
    protocol: str = "saop",
    search: SearchPath | None = None,
) -> None:
    """Check that ``name`` resolves (``module:Class``: in ``search``, then on ``sys.path``), plays
    ``protocol`` and that ``params`` fit it (raises :class:`StrategyError`)."""
    cls = resolve(name, search)
    make_params(cls.Params, params)
    if protocol not in cls.protocols:
        fits = sorted(n for n, c in negotiation_strategies().items() if protocol in c.protocols)
        raise StrategyError(
            "strategy", f"{name} does not play {protocol} (choose one of: {', '.join(fits)})"
        )
    min_parties = getattr(cls, "exact_parties", None)
    if min_parties is not None and n_parties != min_parties:
        raise StrategyError("strategy", f"{name} needs exactly {min_parties} parties")

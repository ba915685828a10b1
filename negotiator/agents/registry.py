"""The strategy registry: names in configs → strategy classes.

A config names a registered strategy (``boulware``) or any importable class as
``package.module:ClassName`` (for researchers' own strategies and for fault-injection agents in
tests). Registered names are listed in ``docs/config.md``.
"""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from negotiator.agents.base import NegotiationStrategy, StrategyError, make_params
from negotiator.agents.compliance import ComplianceStrategy
from negotiator.errors import unknown

T = TypeVar("T")

__all__ = [
    "StrategyError",
    "compliance_strategies",
    "negotiation_strategies",
    "resolve",
    "resolve_compliance",
    "validate_compliance",
    "validate_strategy",
]


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


def resolve_compliance(name: str) -> type[ComplianceStrategy]:
    """The class for a compliance strategy name or ``module:Class`` path."""
    return _resolve(name, ComplianceStrategy, compliance_strategies(), "compliance strategy")


def validate_compliance(name: str, params: dict[str, Any]) -> None:
    """Check a compliance strategy name and its parameters (raises :class:`StrategyError`)."""
    make_params(resolve_compliance(name).Params, params)


#: The shipped agents' module path before they were installed as ``negotiator.agents``: configs
#: and logs written then name e.g. ``agents.testing:Silent``, which still resolves.
FORMER_PREFIX = "agents."


def _import(name: str) -> Any:
    module_name, _, attr = name.partition(":")
    if module_name.startswith(FORMER_PREFIX):
        module_name = "negotiator." + module_name
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise StrategyError("strategy", f"cannot import {name!r}: {exc}") from None


def negotiation_strategies() -> dict[str, type[NegotiationStrategy]]:
    """Registered phase-1 strategies by name."""
    from negotiator.agents import negotiation

    return {cls.name: cls for cls in negotiation.REGISTERED}


def resolve(name: str) -> type[NegotiationStrategy]:
    """The class for a strategy name or ``module:Class`` path; :class:`StrategyError` if none."""
    return _resolve(name, NegotiationStrategy, negotiation_strategies(), "strategy")


def _resolve(name: str, base: type[T], known: dict[str, type[T]], what: str) -> type[T]:
    """A registered name, or a ``module:Class`` path to a subclass of ``base``."""
    if ":" in name:
        cls = _import(name)
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise StrategyError("strategy", f"{name!r} is not a {base.__name__} subclass")
        return cls
    if name not in known:
        raise StrategyError("strategy", unknown(what, name, sorted(known), listed=True))
    return known[name]


def validate_strategy(
    name: str, params: dict[str, Any], *, n_parties: int, protocol: str = "saop"
) -> None:
    """Check that ``name`` resolves, plays ``protocol`` and that ``params`` fit it (raises
    :class:`StrategyError`)."""
    cls = resolve(name)
    make_params(cls.Params, params)
    if protocol not in cls.protocols:
        fits = sorted(n for n, c in negotiation_strategies().items() if protocol in c.protocols)
        raise StrategyError(
            "strategy", f"{name} does not play {protocol} (choose one of: {', '.join(fits)})"
        )
    min_parties = getattr(cls, "exact_parties", None)
    if min_parties is not None and n_parties != min_parties:
        raise StrategyError("strategy", f"{name} needs exactly {min_parties} parties")

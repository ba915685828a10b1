"""The strategy registry: names in configs → strategy classes.

A config names a registered strategy (``boulware``) or any importable class as
``package.module:ClassName`` (for researchers' own strategies and for fault-injection agents in
tests). Registered names are listed in ``docs/config.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

from agents.base import NegotiationStrategy, StrategyError

__all__ = ["StrategyError", "negotiation_strategies", "resolve", "validate_strategy"]


def negotiation_strategies() -> dict[str, type[NegotiationStrategy]]:
    """Registered phase-1 strategies by name."""
    from agents import negotiation

    return {cls.name: cls for cls in negotiation.REGISTERED}


def resolve(name: str) -> type[NegotiationStrategy]:
    """The class for a strategy name or ``module:Class`` path; :class:`StrategyError` if none."""
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise StrategyError("strategy", f"cannot import {name!r}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, NegotiationStrategy)):
            raise StrategyError("strategy", f"{name!r} is not a NegotiationStrategy subclass")
        return cls
    known = negotiation_strategies()
    if name not in known:
        raise StrategyError(
            "strategy", f"unknown strategy {name!r} (known: {', '.join(sorted(known))})"
        )
    return known[name]


def validate_strategy(name: str, params: dict[str, Any], *, n_parties: int) -> None:
    """Check that ``name`` resolves and ``params`` fit it (raises :class:`StrategyError`)."""
    cls = resolve(name)
    cls.make_params(params)
    min_parties = getattr(cls, "exact_parties", None)
    if min_parties is not None and n_parties != min_parties:
        raise StrategyError("strategy", f"{name} needs exactly {min_parties} parties")

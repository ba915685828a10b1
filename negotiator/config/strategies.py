"""The strategy registry's loader for configs: strategy names and parameters are checked
against :mod:`negotiator.agents.registry` when a config is loaded.

This is the only module of :mod:`negotiator.config` that imports :mod:`agents`. The schema
(:mod:`negotiator.config.schema`) knows no strategies; :func:`validation_context` gives it
:class:`RegistryCheck`, and :func:`negotiator.config.loading.config_from_dict` validates every
config under that context.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from negotiator.agents.registry import (
    StrategyError,
    strategy_path,
    validate_compliance,
    validate_strategy,
)
from negotiator.config.schema import STRATEGY_CHECK, Rejection, StrategyCheck
from negotiator.config.sections import ParamValue


class RegistryCheck:
    """A :class:`~negotiator.config.schema.StrategyCheck` by the registered strategies (or the
    ``module:Class`` a config names, its module looked for in ``search`` then on ``sys.path``)."""

    def __init__(self, search: Sequence[str]) -> None:
        self.search = tuple(search)

    def negotiation(
        self, name: str, params: dict[str, ParamValue], *, n_parties: int, protocol: str
    ) -> Rejection | None:
        """The registry's :class:`~negotiator.agents.base.StrategyError`, if any, as a rejection."""
        try:
            validate_strategy(
                name, params, n_parties=n_parties, protocol=protocol, search=self.search
            )
        except StrategyError as exc:
            return Rejection(exc.field, str(exc))
        return None

    def compliance(self, name: str, params: dict[str, ParamValue]) -> Rejection | None:
        """The registry's :class:`~negotiator.agents.base.StrategyError`, if any, as a rejection."""
        try:
            validate_compliance(name, params, self.search)
        except StrategyError as exc:
            return Rejection(exc.field, str(exc))
        return None


def validation_context(folders: Sequence[str | Path] = ()) -> dict[str, StrategyCheck]:
    """Pydantic's validation context for a :class:`~negotiator.config.schema.Config` whose
    strategies are checked against the registry, ``module:Class`` modules looked for in
    ``folders`` (the config file's), then the rest of the strategy path
    (:func:`~negotiator.agents.registry.strategy_path`)."""
    return {STRATEGY_CHECK: RegistryCheck(strategy_path(folders))}

"""The strategy registry's loader for configs: strategy names and parameters are checked
against :mod:`negotiator.agents.registry` when a config is loaded.

This is the only module of :mod:`negotiator.config` that imports :mod:`agents`. The schema
(:mod:`negotiator.config.schema`) knows no strategies; :func:`validation_context` gives it
:class:`RegistryCheck`, and :func:`negotiator.config.loading.config_from_dict` validates every
config under that context.
"""

from __future__ import annotations

from negotiator.agents.registry import StrategyError, validate_compliance, validate_strategy
from negotiator.config.schema import STRATEGY_CHECK, Rejection, StrategyCheck
from negotiator.config.sections import ParamValue


class RegistryCheck:
    """A :class:`~negotiator.config.schema.StrategyCheck` by the registered strategies (or the
    ``module:Class`` a config names)."""

    def negotiation(
        self, name: str, params: dict[str, ParamValue], *, n_parties: int, protocol: str
    ) -> Rejection | None:
        """The registry's :class:`~negotiator.agents.base.StrategyError`, if any, as a rejection."""
        try:
            validate_strategy(name, params, n_parties=n_parties, protocol=protocol)
        except StrategyError as exc:
            return Rejection(exc.field, str(exc))
        return None

    def compliance(self, name: str, params: dict[str, ParamValue]) -> Rejection | None:
        """The registry's :class:`~negotiator.agents.base.StrategyError`, if any, as a rejection."""
        try:
            validate_compliance(name, params)
        except StrategyError as exc:
            return Rejection(exc.field, str(exc))
        return None


def validation_context() -> dict[str, StrategyCheck]:
    """Pydantic's validation context for a :class:`~negotiator.config.schema.Config` whose
    strategies are checked against the registry."""
    return {STRATEGY_CHECK: RegistryCheck()}

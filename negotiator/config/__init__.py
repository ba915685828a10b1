"""Scenario configuration: TOML files validated by pydantic, with typed ``--set`` overrides.

A config either derives the negotiation domain from the economic scenario of docs/model.md §1
(``[scenario]`` + ``[contract]``) or gives it explicitly (``[domain]`` + per-party value tables).
Every error becomes a :class:`~negotiator.errors.ConfigError` with one line that names the field.
The reference for every key is ``docs/config.md``.

The package:

* :mod:`~negotiator.config.sections`: one model per table, pure schema;
* :mod:`~negotiator.config.schema`: :class:`Config`, the rules across tables, and the
  :class:`~negotiator.config.schema.StrategyCheck` through which strategy names are checked;
* :mod:`~negotiator.config.strategies`: that check by the strategy registry (the only module
  here that imports :mod:`agents`);
* :mod:`~negotiator.config.overrides`: ``--set`` and the one dotted-key setter, :func:`set_key`;
* :mod:`~negotiator.config.loading`: reading, validating and one-line error messages.
"""

from negotiator.config.loading import config_from_dict, format_validation_error, load_config
from negotiator.config.overrides import KEY_PATTERN, apply_overrides, parse_override, set_key
from negotiator.config.schema import Config, ancestors, common_parent
from negotiator.config.sections import (
    NAME_PATTERN,
    ContractSection,
    DomainSection,
    Guidance,
    ImplementationSection,
    IssueKind,
    IssueSpec,
    MediatorSection,
    Name,
    NegotiationSection,
    ParamValue,
    PartySpec,
    PayoffSpec,
    Probability,
    RunSection,
    ScenarioSection,
    ShockKind,
    ShockSpec,
    SuperiorSection,
    TournamentSection,
)

__all__ = [
    "KEY_PATTERN",
    "NAME_PATTERN",
    "Config",
    "ContractSection",
    "DomainSection",
    "Guidance",
    "ImplementationSection",
    "IssueKind",
    "IssueSpec",
    "MediatorSection",
    "Name",
    "NegotiationSection",
    "ParamValue",
    "PartySpec",
    "PayoffSpec",
    "Probability",
    "RunSection",
    "ScenarioSection",
    "ShockKind",
    "ShockSpec",
    "SuperiorSection",
    "TournamentSection",
    "ancestors",
    "apply_overrides",
    "common_parent",
    "config_from_dict",
    "format_validation_error",
    "load_config",
    "parse_override",
    "set_key",
]

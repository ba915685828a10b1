"""``import genius``: a Genius domain file and one profile per party → an explicit-domain config.

The mapping (docs/genius.md):

* the parties are the profiles, named after their files' stems, in the order given; the issues
  and each issue's values keep the domain file's order; names that are not valid config names
  are made valid by :mod:`negotiator.interop.names` and keep their original as ``label``;
* a discrete issue becomes ``categorical`` (``ordinal`` if it carries ``ordered="true"``, which
  ``export genius`` writes; ``boolean`` if its values are exactly ``false``, ``true``); an integer
  or real issue becomes ``ordinal`` on a grid of ``step`` from its lower to its upper bound;
* a value's entry in a party's table is Genius' utility term for it: the issue's weight times the
  value's evaluation, which for a discrete issue is its evaluation divided by the issue's largest
  (``EvaluatorDiscrete.getEvaluation``); weights are used as written, as Genius does when it reads
  a profile, unless ``normalize_weights`` divides them by their sum;
* the reservation value is kept; Genius' discount factor d, which leaves d · U of an agreement
  at the deadline, becomes δ = d^(1 / turns) per turn (turns = deadline × parties, SAOP).

The values and reservation values written are rounded to 12 significant digits (so that what
``export genius`` writes comes back as it was); δ is not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from negotiator.config import config_from_dict
from negotiator.errors import ConfigError
from negotiator.interop.genius_files import GeniusIssue, Profile, read_domain, read_profile
from negotiator.interop.names import unique_names

MAX_VALUES = 10_000
"""The most values a discretised integer or real issue may get."""
CAP_TOLERANCE = 1e-6
"""How far above 1 a profile's best outcome may be before Genius' cap at 1 would matter."""


@dataclass(frozen=True)
class ImportOptions:
    """What the Genius files do not say: grids, weight normalisation, the deadline."""

    step: float | None = None
    """The grid step of every integer and real issue (integers default to 1; reals need one)."""
    steps: dict[str, float] = field(default_factory=dict)
    """Per issue (its Genius name): a grid step that replaces ``step``."""
    normalize_weights: bool = False
    deadline: int = 60
    """``negotiation.deadline`` of the config, which the discount factor is spread over."""


def rounded(x: float) -> float:
    """``x`` to 12 significant digits (and never ``-0.0``)."""
    return float(f"{x:.12g}") + 0.0


def import_genius(
    domain: Path, profiles: Sequence[Path], options: ImportOptions | None = None
) -> dict[str, Any]:
    """The config (a plain mapping, validated) that the Genius files describe."""
    options = options or ImportOptions()
    if len(profiles) < 2:
        raise ConfigError("import genius: give the domain file and at least two profiles")
    if not 1 <= options.deadline <= 100_000:
        raise ConfigError(f"--deadline: must be within 1..100000, not {options.deadline}")
    issues = read_domain(domain)
    read = [read_profile(p, issues) for p in profiles]
    for name in options.steps:
        issue = next((i for i in issues if i.name == name), None)
        if issue is None:
            raise ConfigError(f"--step {name}=...: no issue {name!r} in {domain}")
        if issue.type == "discrete":
            raise ConfigError(f"--step {name}=...: {name!r} is discrete (steps are for numbers)")
    grids = [_grid(domain, issue, options) for issue in issues]
    issue_names = unique_names([i.name for i in issues], "issue", reserved={"transfer"})
    stems = [p.stem for p in profiles]
    party_names = unique_names(stems, "party", reserved={"mediator"})
    turns = options.deadline * len(profiles)
    specs: list[dict[str, Any]] = []
    for issue, name, grid in zip(issues, issue_names, grids, strict=True):
        spec: dict[str, Any] = {"name": name} | _label(name, issue.name)
        spec["kind"] = _kind(issue, grid)
        if spec["kind"] != "boolean":
            spec["values"] = list(grid)
        specs.append(spec)
    parties: dict[str, Any] = {}
    for name, stem, profile in zip(party_names, stems, read, strict=True):
        parties[name] = _label(name, stem) | _party(profile, issues, issue_names, grids, options)
        parties[name]["discount"] = _discount(profile.discount, turns)
    data: dict[str, Any] = {
        "run": {"name": unique_names([domain.stem], "run")[0]},
        "negotiation": {"deadline": options.deadline},
        "domain": {"issues": specs},
        "parties": parties,
    }
    config_from_dict(data, source=str(domain))  # what we write must load
    return data


def to_toml(data: dict[str, Any], domain: Path, profiles: Sequence[Path]) -> str:
    """The config as TOML text, headed by a comment naming the files it came from."""
    import tomli_w

    files = ", ".join(p.name for p in (domain, *profiles))
    head = (
        f"# Imported from Genius by `negotiator import genius`: {files}\n"
        "# Each value: the issue's weight × the value's evaluation / the issue's largest "
        "evaluation (docs/genius.md).\n\n"
    )
    return head + tomli_w.dumps(data)


def _label(name: str, original: str) -> dict[str, str]:
    return {} if name == original else {"label": original}


def _kind(issue: GeniusIssue, grid: tuple[str, ...]) -> str:
    if issue.type == "discrete" and grid == ("false", "true"):
        return "boolean"
    return "ordinal" if issue.type != "discrete" or issue.ordered else "categorical"


def _party(
    profile: Profile,
    issues: list[GeniusIssue],
    names: list[str],
    grids: list[tuple[str, ...]],
    options: ImportOptions,
) -> dict[str, Any]:
    total = math.fsum(profile.weights.values())
    scale = total if options.normalize_weights else 1.0
    values: dict[str, dict[str, float]] = {}
    for issue, name, grid in zip(issues, names, grids, strict=True):
        weight = profile.weights[issue.index] / scale
        evaluate = profile.evaluators[issue.index].evaluate
        values[name] = {label: rounded(weight * evaluate(label)) for label in grid}
    best = math.fsum(max(table.values()) for table in values.values())
    if best > 1 + CAP_TOLERANCE:
        if total > 1 + CAP_TOLERANCE:
            hint = f"the weights sum to {total:.6g}: give --normalize-weights to divide them by it"
        else:  # the weights are fine: an evaluation above 1 (a constant or linear real one)
            hint = "an issue's evaluation exceeds 1, which Genius' evaluators do not give"
        raise ConfigError(
            f"{profile.path}: the best outcome is worth {best:.6g}, but Genius caps a utility at "
            f"1, which no additive table can express ({hint})"
        )
    return {"reservation": rounded(profile.reservation), "values": values}


def _discount(d: float, turns: int) -> float:
    """δ per turn for Genius' d over the whole negotiation (d outside (0, 1] means none)."""
    if not 0 < d < 1:
        return 1.0
    return float(d ** (1.0 / turns))


def _grid(path: Path, issue: GeniusIssue, options: ImportOptions) -> tuple[str, ...]:
    """The option labels of an issue: a discrete issue's values, or an integer or real issue's
    grid of ``step`` from its lower to its upper bound."""
    where = f"{path}: issue {issue.name!r}"
    if issue.type == "discrete":
        return issue.values
    step = options.steps.get(issue.name, options.step)
    bounds = f"from {issue.lower:g} to {issue.upper:g}"
    if step is None:
        if issue.type == "real":
            raise ConfigError(
                f"{where} is real-valued ({bounds}): give --step {issue.name}=S (or --step S) "
                "to discretise it"
            )
        step = 1.0
    if not step > 0 or (issue.type == "integer" and step != int(step)):
        need = "a whole number ≥ 1" if issue.type == "integer" else "positive"
        raise ConfigError(f"{where}: the step must be {need}, not {step:g}")
    count = (issue.upper - issue.lower) / step
    if abs(count - round(count)) > 1e-9 * max(1.0, count):
        raise ConfigError(f"{where}: the step {step:g} does not divide the range ({bounds})")
    if round(count) + 1 > MAX_VALUES:
        raise ConfigError(
            f"{where}: a step of {step:g} gives {round(count) + 1:,} values {bounds} (at most "
            f"{MAX_VALUES:,}): give a larger --step"
        )
    points = [issue.lower + k * step for k in range(round(count) + 1)]
    points = [0.0 if abs(x) < 1e-9 * step else x for x in points]  # -0.3 + 3 × 0.1 is 0
    if issue.type == "integer":
        labels = tuple(str(round(x)) for x in points)
    else:
        labels = tuple(f"{rounded(x):.12g}" for x in points)
    if len(set(labels)) != len(labels):
        raise ConfigError(f"{where}: the step {step:g} is too small to label the values apart")
    return labels

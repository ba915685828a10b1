"""``export genius``: an explicit-domain config → a Genius domain file and one profile per party.

Every issue becomes a discrete Genius issue with the same values in the same order; an ordinal
issue carries ``ordered="true"`` (ignored by Genius and NegMAS, read back by ``import genius``).
A share issue, which Genius cannot express, becomes a discrete issue with one value per division
of its grid, labelled ``party=share;...`` in protocol order, each party's evaluation being its
share × amount. An issue or party is written under its label when the name rule of
:mod:`negotiator.interop.names` gives its config name back from the label (so that ``import
genius`` finds the same names: always so for an imported config), else under its name; a
party's profile file is named so (by its name if an earlier file has that name already), the
domain file after ``run.name``.

A party's utility U = offset + Σ v_i is written as Genius' U' = Σ w_i · e_i / max e_i, a
positive affine image of U (the same preferences, Pareto frontier and Nash outcome): each issue
with a negative value is raised by its lowest value c_i; then w_i is the issue's largest value
and e_i = v_i / w_i, all divided by s = max(1, Σ w_i) so that U' ≤ 1 (Genius caps a utility at
1); U' = (U − offset − Σ c_i) / s and the reservation value is mapped the same way. A table with
no negative values, no offset and Σ w_i ≤ 1 (every imported config) is written unchanged, so that
``import genius`` gives it back. δ per turn becomes Genius' discount factor δ^turns (turns =
deadline × parties under SAOP, deadline under the single text). Numbers are written to 15
significant digits (the discount factor to 12), which ``import genius`` reads back as the
config's values when these have at most 12.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from negotiator.config import Config
from negotiator.errors import ConfigError, OutputError
from negotiator.interop.genius import rounded
from negotiator.interop.genius_files import ORDERED
from negotiator.interop.names import unique_names
from negotiator.model.contract import build_setting
from negotiator.model.domain import Issue, Utility

#: Characters Genius' XML parser cannot read back in an attribute (it decodes no entities).
_UNSAFE = re.compile(r'["&<>\x00-\x1f]')
#: A label that can name a profile file as it is.
_STEM = re.compile(r"[^\W_][\w .-]{0,99}")


def export_genius(config: Config, source: str = "config") -> dict[str, str]:
    """The Genius files of ``config``: file name → XML text (the domain first)."""
    if config.domain is None:
        raise ConfigError(
            f"{source}: export genius needs an explicit [domain] (this config has "
            f"{'a [scenario]' if config.scenario is not None else 'no domain'})"
        )
    setting = build_setting(config)
    domain = setting.domain
    names = _genius_names(
        [(spec.name, spec.label) for spec in config.domain.issues], "issue", {"transfer"}
    )
    labels = [(p, config.parties[p].label) for p in domain.parties]
    stems = _genius_names(
        [(p, s if s and _STEM.fullmatch(s) else None) for p, s in labels], "party", {"mediator"}
    )
    taken = {f"{config.run.name}.xml".lower()}
    for i, party in enumerate(domain.parties):  # one label for two parties: the later by name
        if f"{stems[i]}.xml".lower() in taken:
            stems[i] = party
        taken.add(f"{stems[i]}.xml".lower())
    options = [_options(issue) for issue in domain.issues]
    for text in [*names, *(v for values in options for v in values)]:
        if _UNSAFE.search(text):
            raise ConfigError(f'{source}: {text!r}: Genius cannot read a name with " & < or >')
    turns = config.negotiation.deadline
    if config.negotiation.protocol == "saop":
        turns *= len(domain.parties)
    files = {f"{config.run.name}.xml": _domain_xml(config.run.name, domain.issues, names, options)}
    for party, stem in zip(domain.parties, stems, strict=True):
        spec = config.parties[party]
        discount = rounded(spec.discount**turns)
        if discount <= 0:
            raise ConfigError(
                f"{source}: parties.{party}.discount: {spec.discount:g} over {turns} turns "
                "leaves nothing (Genius would read a discount factor of 0 as none)"
            )
        weights, evaluations, reservation = _profile(source, setting.utilities[party])
        body = _profile_xml(config.run.name, domain.issues, names, options, weights, evaluations)
        files[f"{stem}.xml"] = body + _tail(discount, reservation)
    seen: dict[str, str] = {}
    for name in files:
        if name.lower() in seen:
            raise ConfigError(f"{source}: two files would be called {name!r}: rename a party")
        seen[name.lower()] = name
    return files


def _genius_names(named: list[tuple[str, str | None]], kind: str, reserved: set[str]) -> list[str]:
    """The names written to Genius: each label from which the name rule gives the config's name
    back (so that ``import genius`` finds the same names), else the name itself."""
    names = [name for name, _ in named]
    chosen = [label or name for name, label in named]
    while (back := unique_names(chosen, kind, reserved)) != names:
        chosen = [c if b == n else n for c, b, n in zip(chosen, back, names, strict=True)]
    return chosen


def write_files(files: dict[str, str], out: Path) -> list[Path]:
    """Write ``files`` into the folder ``out`` (created); :class:`OutputError` if it cannot."""
    paths: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = out / name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise OutputError(f"{exc.filename or out}: {exc.strerror or exc}") from None
    return paths


def _options(issue: Issue) -> list[str]:
    """The Genius values of an issue: its labels, or a share issue's divisions."""
    if issue.kind != "share":
        return list(issue.labels)
    return [
        ";".join(f"{p}={k / issue.units:.12g}" for p, k in zip(issue.parties, point, strict=True))
        for point in issue.grid
    ]


def _profile(source: str, u: Utility) -> tuple[list[float], list[list[float]], float]:
    """Weights, evaluations (largest 1 per issue) and reservation of U' (module docstring)."""
    if all(min(table) == max(table) for table in u.tables):
        raise ConfigError(
            f"{source}: parties.{u.party}: every outcome is worth the same to it, which a Genius "
            "profile cannot say"
        )
    lows = [min(0.0, min(table)) for table in u.tables]
    raised = [[v - c for v in table] for table, c in zip(u.tables, lows, strict=True)]
    tops = [max(values) for values in raised]
    total = math.fsum(tops)
    scale = max(1.0, total)
    weights = [top / scale for top in tops]
    evaluations = [
        [v / top if top > 0 else 0.0 for v in values]
        for values, top in zip(raised, tops, strict=True)
    ]
    reservation = (u.reservation - u.offset - math.fsum(lows)) / scale + 0.0
    return weights, evaluations, reservation


def _issue_open(index: int, name: str, ordered: bool = False) -> str:
    extra = f' {ORDERED}="true"' if ordered else ""
    return (
        f'<issue index="{index}" name="{name}" type="discrete" etype="discrete" '
        f'vtype="discrete"{extra}>\n'
    )


def _objective_open(name: str) -> str:
    kind = 'type="objective" etype="objective"'
    return f'<objective index="0" description="" name="{name}" {kind}>\n'


def _domain_xml(
    title: str, issues: tuple[Issue, ...], names: list[str], options: list[list[str]]
) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<negotiation_template>\n',
        f'<utility_space number_of_issues="{len(issues)}">\n',
        _objective_open(title),
    ]
    for i, (issue, name, values) in enumerate(zip(issues, names, options, strict=True), 1):
        lines.append(_issue_open(i, name, issue.kind == "ordinal"))
        lines += [f'<item index="{k}" value="{v}"/>\n' for k, v in enumerate(values, 1)]
        lines.append("</issue>\n")
    lines.append("</objective>\n</utility_space>\n</negotiation_template>\n")
    return "".join(lines)


def _profile_xml(
    title: str,
    issues: tuple[Issue, ...],
    names: list[str],
    options: list[list[str]],
    weights: list[float],
    evaluations: list[list[float]],
) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>\n<utility_space>\n', _objective_open(title)]
    rows = zip(issues, names, options, evaluations, strict=True)
    for i, (issue, name, values, evals) in enumerate(rows, 1):
        lines.append(_issue_open(i, name, issue.kind == "ordinal"))
        lines += [
            f'<item index="{k}" value="{v}" evaluation="{e:.15g}"/>\n'
            for k, (v, e) in enumerate(zip(values, evals, strict=True), 1)
        ]
        lines.append("</issue>\n")
    lines += [f'<weight index="{i}" value="{w:.15g}"/>\n' for i, w in enumerate(weights, 1)]
    lines.append("</objective>\n")
    return "".join(lines)


def _tail(discount: float, reservation: float) -> str:
    return (
        f'<discount_factor value="{discount:.12g}"/>\n<reservation value="{reservation:.15g}"/>\n'
        "</utility_space>\n"
    )

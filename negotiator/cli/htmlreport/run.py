"""A run's report, from its directory alone: ``summary.json`` (the metrics) and ``events.jsonl``
(the config, the timeline, the figures, the digest and its verification).

Sections: the summary, the parties, the contract, the negotiation (metrics and the dance), the
implementation (a compliance map with shocks and renegotiations marked, the figures, each
government's record), the timeline (who did what and who saw it, from
:func:`negotiator.replay.timeline`) and the log (its digest and whether it verifies, by
:func:`negotiator.replay.verify`). A log that does not verify is reported as such; what is drawn
from it is then shown only where it can be read.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from negotiator import __version__
from negotiator.cli.htmlreport import figures
from negotiator.cli.htmlreport.page import (
    Markup,
    Section,
    definitions,
    figure,
    join,
    note,
    page,
    paragraph,
    section,
    side_by_side,
    table,
    tag,
)
from negotiator.cli.htmlreport.runlog import (
    compliance_map,
    log_section,
    share,
    timeline_table,
    value,
)
from negotiator.cli.report import number
from negotiator.config import Config, apply_overrides, config_from_dict
from negotiator.errors import NegotiatorError
from negotiator.replay import Report, config_of, load_log, verify
from negotiator.replay.logfile import run_start, strategy_folders
from negotiator.runtime.run_summary import ImplementationSummary, NegotiationSummary, RunSummary

T = TypeVar("T")


def build(directory: Path, summary: RunSummary) -> str:
    """The report of the run in ``directory`` whose ``summary.json`` holds ``summary``."""
    _, events = load_log(directory)
    check = verify(directory)
    config = _config(events)
    start = run_start(events) or {}
    runtime = start.get("runtime") if isinstance(start.get("runtime"), dict) else {}
    counter = itertools.count(1)

    def guarded(what: str, build: Callable[[], Markup]) -> Markup:
        return _lenient(
            check, build, lambda exc: note(f"{what} cannot be drawn from this log ({exc}).")
        )

    images = {
        i.key: i
        for i in _lenient(check, lambda: figures.run_figures(config, events, summary), lambda _: [])
    }

    def fig(key: str) -> Markup:
        return figure(images[key], next(counter)) if key in images else Markup("")

    sections = [
        *_warning(summary, events),
        _overview(summary, config, runtime or {}),
        _parties(summary, config),
        _contract(summary),
    ]
    if summary.negotiation is not None:
        sections.append(
            _negotiation(
                summary.negotiation, join([fig("negotiation_dance"), fig("utility_space")])
            )
        )
    impl = summary.implementation
    if impl is not None:
        grid = guarded("The compliance map", lambda: compliance_map(summary.parties, events))
        more = join([fig("compliance_map")])
        sections.append(_implementation(summary.parties, impl, grid, more))
    sections.append(
        section(
            "timeline",
            "Timeline: who did what, and who saw it",
            guarded("The timeline", lambda: timeline_table(events)),
        )
    )
    sections.append(log_section(directory, summary, events, check))
    name = config.run.name
    return page(
        f"Run {summary.run_id} — negotiator report",
        f"Run report: {name}",
        paragraph(f"Run {summary.run_id}, seed {summary.seed}", class_="meta"),
        sections,
        paragraph(
            f"Written by negotiator {__version__} from the run directory's summary.json and "
            f"events.jsonl; rebuild it with: python run.py report {directory.name}"
        ),
    )


def _lenient(check: Report, build: Callable[[], T], fallback: Callable[[str], T]) -> T:
    """``build()``; from a log that does not verify, ``fallback(why)`` where the log's content
    cannot be read (a verified log's errors are errors)."""
    if check.ok:
        return build()
    try:
        return build()
    except (NegotiatorError, LookupError, TypeError, ValueError) as exc:
        return fallback(f"{type(exc).__name__}: {exc}")


def _config(events: list[dict[str, Any]]) -> Config:
    """The config the run played: its ``run_started`` config, with a branch's overrides (a
    branched log starts with ``branched_from``, which records them) applied."""
    config = config_of(events)
    first = events[0]
    overrides = first.get("overrides") if first.get("event") == "branched_from" else None
    if not overrides:
        return config
    data = apply_overrides(config.model_dump(mode="json", exclude_none=True), list(overrides))
    start = run_start(events) or {}
    return config_from_dict(data, source="the branch's config", folders=strategy_folders(start))


def _warning(summary: RunSummary, events: list[dict[str, Any]]) -> list[Section]:
    """A section first of all when ``summary.json`` is not this log's or the run did not
    finish: nothing below is to be trusted as the record of a finished run."""
    problems = []
    if events[-1].get("digest") != summary.final_digest:
        problems.append(
            "summary.json does not come from this log (its final digest differs from the "
            "log's last digest): the summary, parties and metrics below may be another run's."
        )
    if events[-1].get("event") != "run_finished":
        problems.append(
            f"The log ends with {events[-1].get('event')!r}, not run_finished: the run did not "
            "finish, or the log was cut short."
        )
    if not problems:
        return []
    body = [paragraph(tag("strong", text), class_="bad") for text in problems]
    return [section("warning", "Warning: this report does not describe one finished run", *body)]


def _overview(summary: RunSummary, config: Config, runtime: dict[str, Any]) -> Section:
    n, impl = summary.negotiation, summary.implementation
    items: list[tuple[object, object]] = [
        ("Scenario", config.run.name),
        ("Run", summary.run_id),
        ("Seed", summary.seed),
        ("Protocol", summary.protocol or "none (no negotiation)"),
        ("Transparency", config.mediator.transparency),
        ("Transport", runtime.get("transport")),
    ]
    if config.scenario is not None:
        items.append(("Money", config.scenario.units))
    if summary.branch is not None:
        b = summary.branch
        step = "round" if b.phase == 1 else "period"
        items.append(
            ("Branched from", f"{b.branched_from} after {step} {b.after}: {', '.join(b.overrides)}")
        )
    if n is not None:
        outcome = (
            f"agreement in round {n.agreement_round}"
            if n.agreement
            else f"no agreement ({n.status} after {n.rounds} rounds)"
        )
        items.append(("Negotiation", outcome))
    if impl is not None:
        survived = {True: "survived", False: "broke down", None: "–"}[impl.contract_survived]
        rate = share(impl.compliance_rate)
        items.append(
            (
                "Implementation",
                f"{impl.periods} periods, compliance {rate}, contract {survived}, "
                f"{impl.renegotiations} renegotiation(s)",
            )
        )
    items.append(("Final digest", tag("code", summary.final_digest)))
    return section("summary", "Summary", definitions(items))


def _parties(summary: RunSummary, config: Config) -> Section:
    n = summary.negotiation
    header = [
        "party",
        "role",
        "negotiation strategy",
        "compliance strategy",
        "promotion λ",
        "discount",
        "reservation",
        "power",
        "utility",
        "normalised utility",
    ]
    rows = []
    for name, spec in config.parties.items():
        params = f" ({value(spec.params)})" if spec.params else ""
        cparams = f" ({value(spec.compliance_params)})" if spec.compliance_params else ""
        reservation = n.reservation.get(name) if n is not None else spec.reservation
        rows.append(
            [
                name,
                f"government (under {spec.parent})" if spec.parent else "government",
                spec.strategy + params if config.negotiates else "–",
                spec.compliance + cparams if config.implementation is not None else "–",
                value(spec.promotion),
                value(spec.discount),
                value(reservation),
                value(n.power.get(name)) if n is not None else "–",
                value(n.utilities.get(name)) if n is not None else "–",
                value(n.normalized_utilities.get(name)) if n is not None else "–",
            ]
        )
    guidance = summary.guidance
    if guidance.superior is not None:
        plan = guidance.plan
        role = f"superior ({plan.guidance})" if plan is not None else "superior"
        rows.append([guidance.superior, role, *["–"] * (len(header) - 2)])
    body = [
        table(
            "Parties: strategies, reservation value and discount factor; utilities in money per "
            "period",
            header,
            rows,
            numeric=range(4, len(header)),
        )
    ]
    if guidance.misreports:
        body.append(paragraph("Misreports caught by the audit: ", ", ".join(guidance.misreports)))
    return section("parties", "Parties", *body)


def _contract(summary: RunSummary) -> Section:
    n, impl, plan = summary.negotiation, summary.implementation, summary.guidance.plan
    agreed = n.contract if n is not None else None
    final = impl.final_contract if impl is not None else None
    columns: list[tuple[str, dict[str, Any]]] = []
    if plan is not None and plan.text:
        columns.append(("superior's plan", plan.text))
    if agreed:
        columns.append(("agreed", agreed))
    if final and final != agreed:
        columns.append(("in force at the end", final))
    if not columns:
        if n is not None:
            why = "No contract was agreed."
        elif impl is not None and impl.contract_in_force:
            why = "No negotiation: the compliance game was played under the config's terms."
        else:
            why = "No negotiation and no contract."
        return section("contract", "Contract", paragraph(why))
    issues = list(dict.fromkeys(k for _, terms in columns for k in terms))
    rows = [[issue, *(value(terms.get(issue)) for _, terms in columns)] for issue in issues]
    body = [table("Issues and terms", ["issue", *(c for c, _ in columns)], rows)]
    if plan is not None:
        body.append(
            paragraph(
                f"The superior co-funds {plan.cofunding:.0%} of the shared infrastructure"
                + (f", pays a subsidy of {number(plan.subsidy)} a period" if plan.subsidy else "")
                + (f" from a budget of {number(plan.budget)}" if plan.budget else "")
                + "."
            )
        )
    return section("contract", "Contract", *body)


def _negotiation(n: NegotiationSummary, dance: Markup) -> Section:
    keys = (
        "welfare",
        "max_welfare",
        "pareto_distance",
        "nash_distance",
        "asymmetric_nash_distance",
        "kalai_smorodinsky_distance",
        "fairness",
        "nash_product",
        "rounds",
        "agreement_round",
        "settled_round",
        "outcomes",
        "pareto_size",
    )
    rows = [[k, value(getattr(n, k))] for k in keys]
    metrics = table("Phase-1 metrics", ["metric", "value"], rows, numeric=[1])
    return section("negotiation", "Negotiation", side_by_side(metrics, dance))


def _implementation(
    parties: tuple[str, ...], impl: ImplementationSummary, grid: Markup, more: Markup
) -> Section:
    rows = [
        [
            p,
            share(impl.compliance_by_government.get(p)),
            value(impl.detections.get(p)),
            value(impl.cumulative_payoffs.get(p)),
            value(impl.discounted_payoffs.get(p)),
            value(impl.delta_star.get(p)),
            value(impl.sustainable.get(p)),
        ]
        for p in parties
    ]
    by_government = table(
        f"Phase 2 by government (δ = {number(impl.delta)}; sustainable: δ ≥ δ* at signing)",
        ["government", "compliance", "caught", "total payoff", "discounted", "δ*", "sustainable"],
        rows,
        numeric=range(1, 6),
    )
    keys = (
        "compliance_rate",
        "contract_survived",
        "breakdown_period",
        "renegotiations",
        "contract_changes",
        "cluster_output",
        "governments_total",
        "superior_net",
        "regional_welfare",
        "penalties",
        "trembles",
        "delta_star_max",
        "grim_trigger_sustainable",
    )
    metrics = table(
        "Phase-2 metrics",
        ["metric", "value"],
        [[k, value(getattr(impl, k))] for k in keys],
        numeric=[1],
    )
    return section(
        "implementation", "Implementation", grid, side_by_side(by_government, metrics), more
    )

"""Human-readable output (rich tables) of run summaries, analyses, timelines, tournaments and
sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from negotiator.cli.numbers import interval
from negotiator.cli.numbers import number as number  # also the HTML report's
from negotiator.runtime.run_summary import ImplementationSummary, NegotiationSummary, RunSummary

if TYPE_CHECKING:
    from negotiator.experiments.maps import MapResult
    from negotiator.experiments.summary import MetricEstimate, SweepSummary
    from negotiator.experiments.tournament import TournamentResult


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, dict) and all(isinstance(v, float) for v in value.values()):
        return ", ".join(f"{k} {v:.2f}" for k, v in value.items())
    return str(value)


def _outcome_table(title: str, outcome: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("issue")
    table.add_column("value")
    for issue, value in outcome.items():
        table.add_row(issue, _fmt(value))
    return table


def print_run_summary(
    summary: RunSummary, console: Console | None = None, compliance_plot: Path | None = None
) -> None:
    console = console or Console()
    if summary.negotiation is not None:
        _print_negotiation(summary, summary.negotiation, console)
    if summary.implementation is not None:
        _print_implementation(summary.parties, summary.implementation, console)
        if compliance_plot is not None:
            console.print(f"compliance plot: {compliance_plot}", soft_wrap=True)
    console.print(f"log: {summary.log}\nfinal digest: {summary.final_digest}", soft_wrap=True)


def _print_negotiation(
    summary: RunSummary, negotiation: NegotiationSummary, console: Console
) -> None:
    guidance = summary.metrics.guidance
    if guidance.superior:
        plan = guidance.plan
        cofunding = plan.cofunding if plan is not None else 0
        money = f", co-funds {cofunding:.0%} of the infrastructure"
        if plan is not None and plan.subsidy:
            money += f", subsidy {plan.subsidy:g} per period (budget {plan.budget:g})"
        tabled = "a plan" if plan is not None and plan.text else "no plan"
        console.print(
            f"Superior: [bold]{guidance.superior}[/] "
            f"({plan.guidance if plan is not None else '?'}: {tabled}"
            f"{money}); protocol {summary.protocol}"
        )
    if guidance.misreports:
        caught = ", ".join(guidance.misreports)
        console.print(f"[yellow]Misreports caught by the audit[/]: {caught}")
    n = negotiation
    if n.agreement:
        head = f"[bold green]Agreement[/] in round {n.agreement_round}"
    else:
        head = f"[bold red]No agreement[/] ({n.status} after {n.rounds} rounds)"
    console.print(head)
    table = Table(title="Parties (money per period)", title_justify="left")
    for col in ("party", "reservation", "utility", "normalised", "power", "forfeits"):
        table.add_column(col, justify="right" if col != "party" else "left")
    for p in summary.parties:
        table.add_row(
            p,
            _fmt(n.reservation[p]),
            _fmt(n.utilities[p]),
            _fmt(n.normalized_utilities[p]),
            _fmt(n.power[p]),
            str(n.forfeits[p]),
        )
    console.print(table)
    if n.contract:
        console.print(_outcome_table("Contract", n.contract))
    metrics = Table(title="Metrics", title_justify="left")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for key in (
        "welfare",
        "max_welfare",
        "pareto_distance",
        "nash_distance",
        "asymmetric_nash_distance",
        "fairness",
        "outcomes",
        "pareto_size",
    ):
        value = getattr(n, key)
        metrics.add_row(key, _fmt(value) if value is not None else "–")
    console.print(metrics)


def _print_implementation(
    parties: tuple[str, ...], impl: ImplementationSummary, console: Console
) -> None:
    head = "under the contract" if impl.contract_in_force else "without a contract"
    survived = {True: "survived", False: "broke down", None: "–"}[impl.contract_survived]
    console.print(
        f"[bold]Implementation[/]: {impl.periods} periods {head}; compliance "
        f"{impl.compliance_rate:.0%}; contract {survived}; "
        f"{impl.renegotiations} renegotiation(s)"
    )
    table = Table(title="Phase 2 by government (money per period)", title_justify="left")
    for col in ("government", "moves", "comply", "caught", "total", "discounted", "δ*"):
        table.add_column(col, justify="left" if col in ("government", "moves") else "right")
    for p in parties:
        moves = impl.moves[p]
        table.add_row(
            p,
            moves if len(moves) <= 24 else moves[:21] + "...",
            f"{impl.compliance_by_government[p]:.0%}",
            str(impl.detections[p]),
            f"{impl.cumulative_payoffs[p]:,.0f}",
            f"{impl.discounted_payoffs[p]:,.0f}",
            f"{impl.delta_star[p]:.2f}",
        )
    console.print(table)
    holds = [p for p in parties if impl.sustainable.get(p)]
    fails = [p for p in parties if not impl.sustainable.get(p)]
    if not fails:
        theory = "for every government"
    elif not holds:
        theory = "for no government"
    else:
        theory = f"for {', '.join(holds)}, not for {', '.join(fails)}"
    console.print(
        f"δ = {impl.delta:g}; at signing, grim-trigger reasoning would sustain compliance "
        f"{theory} (δ ≥ δ*, from each official's decision utility)"
    )
    console.print(
        f"cluster output {impl.cluster_output:,.1f}; governments "
        f"{impl.governments_total:,.1f}; superior {impl.superior_net:+,.1f}; "
        f"regional welfare {impl.regional_welfare:,.1f}; fines {impl.penalties:,.1f}"
    )


def print_analysis(out: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"{out['outcomes']:,} outcomes, {len(out['pareto']):,} on the Pareto frontier")
    table = Table(title="Solutions (utilities, money per period)", title_justify="left")
    table.add_column("solution")
    for p in out["parties"]:
        table.add_column(p, justify="right")
    table.add_row("disagreement", *(_fmt(out["disagreement"][p]) for p in out["parties"]))
    for key in ("nash", "asymmetric_nash", "kalai_smorodinsky", "max_welfare"):
        point = out.get(key)
        if point is None:
            table.add_row(key, *("–" for _ in out["parties"]))
        else:
            table.add_row(key, *(_fmt(point["utilities"][p]) for p in out["parties"]))
    console.print(table)
    if out.get("nash"):
        console.print(_outcome_table("Nash bargaining outcome", out["nash"]["outcome"]))
    eco = out.get("dependence")
    if eco:
        dep = Table(title="Dependence D[i][j] (row depends on column)", title_justify="left")
        dep.add_column("")
        govs = list(eco["matrix"])
        for g in govs:
            dep.add_column(g, justify="right")
        dep.add_column("power", justify="right")
        for i in govs:
            row = [_fmt(eco["matrix"][i][j]) if j != i else "–" for j in govs]
            dep.add_row(i, *row, _fmt(eco["power"][i]))
        console.print(dep)
        cf = eco.get("counterfactual")
        if cf:
            alt = Table(
                title="Counterfactual dependence: share of the row's Shapley value of the surplus "
                "lost if the column leaves",
                title_justify="left",
            )
            alt.add_column("")
            for g in govs:
                alt.add_column(g, justify="right")
            alt.add_column("Shapley value", justify="right")
            for i in govs:
                row = [_fmt(cf[i][j]) if j != i else "–" for j in govs]
                alt.add_row(i, *row, _fmt(eco["shapley"][i]))
            console.print(alt)
        console.print(
            f"surplus S = {eco['surplus']:.2f} ({eco['surplus_pct']:.1f} % of stand-alone output)"
        )


def print_tournament(result: TournamentResult, plot: Any, console: Console | None = None) -> None:
    console = console or Console()
    game = result.game
    table = Table(
        title=f"Tournament: {result.turns} turns, R={game.R:g} S={game.S:g} "
        f"T={game.T:g} P={game.P:g}",
        title_justify="left",
    )
    table.add_column("rank", justify="right")
    table.add_column("strategy")
    table.add_column("mean score per turn", justify="right")
    for i, row in enumerate(result.ranking, start=1):
        table.add_row(str(i), row.strategy, f"{row.mean_score_per_turn:.3f}")
    console.print(table)
    console.print(f"pair scores: {plot}\nmatch logs: {result.folder}", soft_wrap=True)


def print_timeline(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Timeline", title_justify="left")
    for col in ("line", "phase", "step", "who", "what", "worth (normalised)", "seen by"):
        table.add_column(col, justify="right" if col in ("line", "phase", "step") else "left")
    for row in rows:
        what = row["action"]
        if "votes" in row:
            what += " " + " ".join(f"{p}:{'y' if v else 'n'}" for p, v in row["votes"].items())
        if "moves" in row:
            what += " " + "".join(row["moves"].values())
            if row.get("detected"):
                what += f" caught {','.join(row['detected'])}"
        if row.get("detail") and isinstance(row["detail"], str):
            what += f" ({row['detail']})"
        worth = row.get("utilities")
        table.add_row(
            str(row["line"]),
            str(row["phase"]),
            str(row.get("step", "")),
            str(row.get("party") or ""),
            what,
            " ".join(f"{v:.2f}" for v in worth.values()) if worth else "",
            row["visible_to"],
        )
    console.print(table)


def _estimate(e: MetricEstimate) -> str:
    return interval(e.mean, e.low, e.high)


def print_sweep(
    summary: SweepSummary, out: Any, plots: list[Any], console: Console | None = None
) -> None:
    console = console or Console()
    from negotiator.experiments.sweep import cell_label

    runs = summary.runs
    assert runs is not None, "a sweep's summary as execute returns it"
    rate = runs.runs_per_second
    console.print(
        f"[bold]{summary.experiment}[/]: {runs.total} runs "
        f"({runs.this_invocation} now, {runs.resumed_from} already recorded)"
        + (f", {rate:.1f} runs/s on {runs.workers} workers" if rate else "")
    )
    metrics = summary.metrics
    units = summary.units
    if summary.screening is None:
        table = Table(title="Mean [95 % CI] by cell", title_justify="left")
        table.add_column("cell")
        for m in metrics:
            table.add_column(f"{m} ({units[m]})" if m in units else m, justify="right")
        for cell in summary.cells:
            table.add_row(
                cell_label(cell.params, hidden=summary.hidden),
                *(_estimate(cell.metrics[m]) for m in metrics),
            )
        console.print(table)
    for h in summary.hypotheses:
        colour = {"held": "green", "did not hold": "red"}.get(h.verdict, "yellow")
        low, high = h.ci95
        effect = interval(h.effect, low, high) if low is not None else f"{number(h.effect)} [n/a]"
        console.print(
            f"[{colour}]{h.verdict}[/]: {h.hypothesis} — difference "
            f"{effect} (n = {h.n[0]} vs {h.n[1]})"
        )
    for entry in summary.maps:
        _print_map(entry, console)
    for metric, ranking in (summary.screening or {}).items():
        table = Table(title=f"Morris screening of {metric}", title_justify="left")
        for col in ("factor", "μ*", "95 % interval of μ*", "σ", "μ"):
            table.add_column(col, justify="left" if col == "factor" else "right")
        for r in ranking:
            table.add_row(
                r.factor,
                number(r.mu_star),
                f"± {number(r.mu_star_ci95)}",
                number(r.sigma),
                number(r.mu),
            )
        console.print(table)
    console.print(
        f"results: {out}/results.csv, summary.json, plots/ ({len(plots)} figures)", soft_wrap=True
    )


def _print_map(entry: MapResult, console: Console) -> None:
    from negotiator.experiments.maps import label

    spec = entry.spec
    title = spec.title or spec.metric
    table = Table(
        title=f"{title}: {spec.mechanism} = {label(spec.on)} minus "
        f"{label(spec.off)} (* : 95 % interval excludes 0)",
        title_justify="left",
    )
    table.add_column(f"{spec.y} \\ {spec.x}")
    for x in entry.xs:
        table.add_column(label(x), justify="right")
    for y in entry.ys:
        row = []
        for x in entry.xs:
            cell = next(c for c in entry.cells if c.x == x and c.y == y)
            if cell.effect is None:
                row.append("–")
                continue
            effect = interval(cell.effect, cell.low, cell.high)
            row.append(f"{effect}{' *' if cell.excludes_zero else ''}")
        table.add_row(label(y), *row)
    console.print(table)

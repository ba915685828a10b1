"""Human-readable output (rich tables) of run summaries and analyses."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


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


def print_run_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    parties = summary["parties"]
    if summary["agreement"]:
        head = f"[bold green]Agreement[/] in round {summary['agreement_round']}"
    else:
        head = f"[bold red]No agreement[/] ({summary['status']} after {summary['rounds']} rounds)"
    console.print(head)
    table = Table(title="Parties (money per period)", title_justify="left")
    for col in ("party", "reservation", "utility", "normalised", "power", "forfeits"):
        table.add_column(col, justify="right" if col != "party" else "left")
    for p in parties:
        table.add_row(
            p,
            _fmt(summary["reservation"][p]),
            _fmt(summary["utilities"][p]),
            _fmt(summary["normalized_utilities"][p]),
            _fmt(summary["power"][p]),
            str(summary["forfeits"][p]),
        )
    console.print(table)
    if summary["contract"]:
        console.print(_outcome_table("Contract", summary["contract"]))
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
        metrics.add_row(key, _fmt(summary[key]) if summary[key] is not None else "–")
    console.print(metrics)
    console.print(f"log: {summary['log']}\nfinal digest: {summary['final_digest']}", soft_wrap=True)


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
        console.print(
            f"surplus S = {eco['surplus']:.2f} ({eco['surplus_pct']:.1f} % of stand-alone output)"
        )


def print_tournament(result: dict[str, Any], plot: Any, console: Console | None = None) -> None:
    console = console or Console()
    game = result["game"]
    table = Table(
        title=f"Tournament: {result['turns']} turns, R={game['R']:g} S={game['S']:g} "
        f"T={game['T']:g} P={game['P']:g}",
        title_justify="left",
    )
    table.add_column("rank", justify="right")
    table.add_column("strategy")
    table.add_column("mean score per turn", justify="right")
    for i, row in enumerate(result["ranking"], start=1):
        table.add_row(str(i), row["strategy"], f"{row['mean_score_per_turn']:.3f}")
    console.print(table)
    console.print(f"pair scores: {plot}\nmatch logs: {result['folder']}", soft_wrap=True)

"""What a run's report reads from the log itself: the compliance map (moves, detections, shocks
and renegotiations by period), the timeline (who did what and who saw it, from
:func:`negotiator.replay.timeline`) and the log's digest with its verification; and how the
report writes a value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from negotiator.cli.htmlreport.page import (
    Cell,
    Markup,
    Section,
    bullet_list,
    definitions,
    join,
    note,
    paragraph,
    section,
    table,
    tag,
)
from negotiator.cli.report import number
from negotiator.replay import Report, timeline
from negotiator.runtime.run_summary import RunSummary

MAP_COLUMNS = 20
"""Periods per row of tables in the compliance map."""
MAP_PERIODS = 500
"""Periods shown in the compliance map (the figure shows them all)."""
TIMELINE_ROWS = 1000
"""Rows shown in the timeline (``replay RUN`` prints them all)."""


def value(v: Any) -> str:
    """A summary or contract value as text: numbers by size, shares per party, yes/no."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return number(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {value(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(value(x) for x in v)
    return "–" if v is None else str(v)


def share(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def compliance_map(parties: tuple[str, ...], events: list[dict[str, Any]]) -> Markup:
    """Government × period as tables (C complied, D defected, × caught), with a row marking the
    periods where a shock struck (S) or the contract was renegotiated (R), and their list."""
    periods = [e for e in events if e["event"] == "period"]
    marks: dict[int, list[str]] = {}
    notes: list[str] = []
    for e in events:
        if e["event"] == "shock":
            detail = e.get("government") or f"× {value(e.get('factor'))}"
            marks.setdefault(e["period"], []).append("S")
            notes.append(f"period {e['period']}: {e['kind']} shock ({detail})")
        elif e["event"] == "renegotiation":
            marks.setdefault(e["period"], []).append("R")
            changed = "contract changed" if e.get("changed") else "contract unchanged"
            notes.append(f"period {e['period']}: renegotiation {e.get('status')}, {changed}")
    shown = periods[:MAP_PERIODS]
    tables = []
    for start in range(0, len(shown), MAP_COLUMNS):
        chunk = shown[start : start + MAP_COLUMNS]
        header = ["", *(str(e["period"]) for e in chunk)]
        rows: list[list[object]] = [
            ["shock (S), renegotiation (R)", *(" ".join(marks.get(e["period"], [])) for e in chunk)]
        ]
        for p in parties:
            row: list[object] = [p]
            for e in chunk:
                move = e["moves"].get(p)
                caught = " ×" if p in e["detected"] else ""
                cls = {"C": "c", "D": "d"}.get(move, "gap")
                row.append(Cell(f"{move or '–'}{caught}", cls))
            rows.append(row)
        first, last = chunk[0]["period"], chunk[-1]["period"]
        tables.append(table(f"Compliance map, periods {first}–{last}", header, rows, class_="map"))
    legend = paragraph(
        "C complied, D defected, × caught; S a shock struck before the period's moves, R the "
        "contract was renegotiated.",
        class_="legend",
    )
    cut = (
        note(f"The first {MAP_PERIODS} of {len(periods)} periods; the figure shows them all.")
        if len(periods) > MAP_PERIODS
        else Markup("")
    )
    events_list = bullet_list(notes) if notes else paragraph("No shock and no renegotiation.")
    return join([tag("h3", "Compliance map"), legend, *tables, cut, events_list])


def timeline_table(events: list[dict[str, Any]]) -> Markup:
    rows = timeline(events)
    shown = []
    for row in rows[:TIMELINE_ROWS]:
        what = [row["action"]]
        if "votes" in row:
            what.append(" ".join(f"{p} {'yes' if v else 'no'}" for p, v in row["votes"].items()))
        if "moves" in row:
            what.append(" ".join(f"{p} {m}" for p, m in row["moves"].items()))
            if row.get("detected"):
                what.append(f"caught: {', '.join(row['detected'])}")
        detail = row.get("detail")
        if isinstance(detail, str):
            what.append(f"({detail})")
        elif isinstance(detail, dict):
            what.append("(" + ", ".join(f"{k} {value(v)}" for k, v in detail.items()) + ")")
        worth = row.get("utilities")
        shown.append(
            [
                row["line"],
                row["phase"],
                row.get("step", ""),
                row.get("party") or "",
                " ".join(what),
                ", ".join(f"{p} {u:.2f}" for p, u in worth.items()) if worth else "",
                row["visible_to"],
            ]
        )
    header = ["line", "phase", "round / period", "who", "what", "worth (normalised)", "seen by"]
    out = [
        paragraph(
            "Each offer, vote, agreement, period, shock and renegotiation; what an offer or text "
            "was worth to each party (normalised utility); and who saw it under the "
            "transparency in force (the mediator, then the parties it was sent to)."
        ),
        table("Timeline", header, shown, numeric=[0, 1, 2]),
    ]
    if len(rows) > TIMELINE_ROWS:
        out.append(note(f"The first {TIMELINE_ROWS} of {len(rows)} rows; replay prints them all."))
    return join(out)


def log_section(
    directory: Path, summary: RunSummary, events: list[dict[str, Any]], check: Report
) -> Section:
    last = events[-1]
    matches = last.get("digest") == summary.final_digest
    finished = last.get("event") == "run_finished"
    if check.ok and not finished:
        verdict = join(
            [
                tag("span", "incomplete", class_="bad"),
                f": {check.message}; the log does not end with run_finished",
            ]
        )
    elif check.ok and not matches:
        verdict = join(
            [
                tag("span", "summary.json is not this log's", class_="bad"),
                f": the log itself {check.message}, but its last digest is not the summary's",
            ]
        )
    elif check.ok:
        verdict = join([tag("span", "verifies", class_="ok"), f": {check.message}"])
    else:
        where = (
            f" (field {check.field}: recorded {check.recorded!r}, recomputed {check.recomputed!r})"
            if check.field is not None
            else ""
        )
        verdict = join([tag("span", "does not verify", class_="bad"), f": {check.message}{where}"])
    items: list[tuple[object, object]] = [
        ("Log", f"{directory.name}/events.jsonl, {len(events)} lines, last event {last['event']}"),
        ("Digest of the last line", tag("code", str(last.get("digest")))),
        (
            "summary.json's final digest",
            join(
                [tag("code", summary.final_digest), " (", "the same" if matches else "differs", ")"]
            ),
        ),
        ("Verification", verdict),
    ]
    return section(
        "log",
        "Log and verification",
        definitions(items),
        paragraph(
            "Verification checks the digest chain line by line, then re-executes the mediator on "
            "the log and compares every line; check it again with ",
            tag("code", f"python run.py replay {directory.name} --verify"),
            ".",
        ),
    )

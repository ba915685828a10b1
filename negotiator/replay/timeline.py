"""The timeline of a run (``replay`` without ``--verify``): who did what, when, who saw it, and
what it was worth to each party, from the log alone.

Who saw an event is decided where the mediator's sends are
(:func:`negotiator.mediator.transparency.visible_to`), under the transparency level in force (a
branch may change it).
"""

from __future__ import annotations

from typing import Any

from negotiator.errors import DomainError
from negotiator.mediator.transparency import Level, visible_to
from negotiator.model.contract import build_setting
from negotiator.replay.logfile import config_of, participants
from negotiator.replay.reexecution import branch_of


def timeline(events: list[dict[str, Any]], until: int | None = None) -> list[dict[str, Any]]:
    """Who did what, when, who could see it, and what it was worth to each party (normalised
    utility of every offer, text and agreement), from a log alone."""
    config = config_of(events)
    setting = build_setting(config) if (config.scenario or config.domain) else None
    level = config.mediator.transparency
    everyone = participants(config)
    point = branch_of(events)

    def worth(outcome: Any) -> dict[str, float] | None:
        if setting is None or outcome is None:
            return None
        try:
            o = setting.domain.encode(outcome)
        except DomainError:  # a renegotiation's text (its domain adds transfers): not valued
            return None
        return {p: round(u.normalize(u(o)), 4) for p, u in setting.utilities.items()}

    def seen_by(event: dict[str, Any], level: Level) -> str:
        seen = visible_to(event, config.party_names, level)
        return ", ".join(["mediator", *(p for p in everyone if p in seen)])

    rows: list[dict[str, Any]] = []
    phase = 1
    for event in events:
        kind = event["event"]
        if kind == "implementation_start":
            phase = 2
        if kind == "branch_applied" and point is not None:  # what the mediator sends changes
            level = point.config.mediator.transparency
        step = event.get("period") if phase == 2 else event.get("round")
        if until is not None and isinstance(step, int) and step > until:
            break
        row: dict[str, Any] | None = None
        party = event.get("party")
        if kind in ("offer", "accept", "end_negotiation", "forfeit", "invalid_action"):
            row = {
                "party": party,
                "action": kind,
                "outcome": event.get("outcome"),
                "detail": event.get("reason"),
            }
            row["utilities"] = worth(event.get("outcome"))
        elif kind in ("votes", "ratify_votes"):
            row = {
                "party": None,
                "action": kind,
                "votes": event["votes"],
                "outcome": event.get("proposal"),
                "utilities": worth(event.get("proposal")),
                "detail": "accepted" if event.get("accepted") else None,
            }
        elif kind in (
            "agreement",
            "text_start",
            "plan",
            "declaration",
            "misreport_detected",
            "shock",
            "renegotiation",
            "negotiation_end",
        ):
            outcome = event.get("outcome") or event.get("text") or event.get("agreement")
            row = {
                "party": party or event.get("superior") or event.get("government"),
                "action": kind,
                "outcome": outcome,
                "utilities": worth(outcome),
                "detail": {
                    k: v
                    for k, v in event.items()
                    if k
                    in (
                        "reason",
                        "kind",
                        "factor",
                        "status",
                        "changed",
                        "claimed",
                        "resources",
                        "session",
                        "source",
                    )
                }
                or None,
            }
        elif kind == "period":
            row = {
                "party": None,
                "action": "period",
                "moves": event["moves"],
                "detected": event["detected"],
                "payoffs": event["payoffs"],
            }
        if row is None:
            continue
        row = {
            "phase": phase,
            "step": step,
            **row,
            "visible_to": seen_by(event, level),
            "line": event["line"],
        }
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows

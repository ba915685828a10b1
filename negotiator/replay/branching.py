"""Branching a run (``replay --branch``): restore it at a round or period from its log, apply
config overrides and continue live in a new run directory, the agents re-created in this process
(:mod:`negotiator.replay.inprocess`) and fast-forwarded on the recorded observations."""

from __future__ import annotations

from collections import deque
from pathlib import Path

from negotiator.config import Config, config_from_dict
from negotiator.errors import ConfigError
from negotiator.io.bus import VirtualClock
from negotiator.io.eventlog import EventLog, verify_chain
from negotiator.replay.bus import ReplayBus
from negotiator.replay.inprocess import no_agents as _no_agents
from negotiator.replay.inprocess import recreate_agents as _agents
from negotiator.replay.logfile import config_of, load_log
from negotiator.replay.logfile import participants as _participants
from negotiator.replay.script import script_from_log
from negotiator.runtime.run_summary import BranchOrigin, RunSummary, build_summary


def parse_point(text: str, config: Config) -> tuple[int, int]:
    """``R`` (a round of phase 1, or a period if the run has no phase 1), ``round:R`` or
    ``period:R`` → (phase, step)."""
    kind, _, number = text.rpartition(":")
    try:
        step = int(number)
    except ValueError:
        raise ConfigError(f"--branch {text!r}: expected R, round:R or period:R") from None
    if kind == "":
        kind = "round" if config.negotiates else "period"
    if kind not in ("round", "period") or step < 0:
        raise ConfigError(f"--branch {text!r}: expected R, round:R or period:R")
    return (1 if kind == "round" else 2), step


def branch(
    path: Path, at: str, overrides: list[str], out: Path, run_id: str | None = None
) -> RunSummary:
    """Restore a run at round/period R from its log, apply ``overrides`` and continue live in a
    new run directory (agents re-created in process and fast-forwarded on the recorded
    observations). The new log starts with ``branched_from``; up to R it repeats the parent's
    events, then ``branch_applied`` records the change."""
    import time as _time

    from negotiator.config import apply_overrides
    from negotiator.mediator.coordinator import Branch, Mediator
    from negotiator.runtime.runner import execute, new_run_id, prepare

    started = _time.monotonic()
    log_path, events = load_log(path)
    broken = verify_chain(events)
    if broken is not None:
        raise ConfigError(f"{log_path}: digest chain broken at line {broken}; not branching")
    parent = config_of(events)
    child = config_from_dict(
        apply_overrides(dict(parent.model_dump(mode="json")), overrides),
        source="--branch overrides",
    )
    phase, step = parse_point(at, parent)
    boundary = next(
        (
            e["line"]
            for e in events
            if (
                phase == 1
                and e["event"] == "round_end"
                and e.get("session", 0) == 0
                and e.get("round") == step
            )
            or (phase == 2 and e["event"] == "period_end" and e.get("period") == step)
        ),
        None,
    )
    if step == 0:
        boundary = next((e["line"] for e in events if e["event"] == "round_start"), None)
    if boundary is None:
        what = "round" if phase == 1 else "period"
        raise ConfigError(f"--branch {at!r}: the parent run has no complete {what} {step}")
    participants = _participants(parent)
    if _participants(child) != participants:
        raise ConfigError("--branch: the overrides may not change who takes part")
    script = script_from_log(events)
    script.exchanges = deque(x for x in script.exchanges if x.line < boundary)
    clock = VirtualClock()
    agents = _agents(participants)
    bus = ReplayBus(participants, script, clock, agents)
    run_id = run_id or f"{new_run_id(child)}-branch"
    run_dir = out / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    log = EventLog(run_dir / "events.jsonl")
    # the agents start from the child config (e.g. another strategy), fed the parent's history
    welcomer = Mediator(child, prepare(child).setting, bus, log)
    bus.welcomes = {p: welcomer.welcome(p).to_wire() for p in participants}
    log.emit(
        "branched_from",
        parent=events[0].get("runtime", {}).get("run_id"),
        parent_digest=events[-1]["digest"],
        phase=phase,
        after=step,
        overrides=overrides,
        runtime={"parent_log": str(log_path)},
    )
    point = Branch(phase, step, child, list(overrides), bus.go_live)
    try:
        metrics, mediator = execute(
            parent,
            prepare(parent),
            log,
            bus,
            _no_agents,
            runtime={"run_id": run_id, "branched": True},
            clock=clock,
            branch=point,
        )
    finally:
        log.close()
    if not point.applied:
        raise ConfigError(f"--branch {at!r}: the run ended before anything could change")
    summary = build_summary(
        child,
        run_id,
        metrics,
        final_digest=log.digest,
        log=str(log.path),
        started=started,
        origin=BranchOrigin(
            events[0].get("runtime", {}).get("run_id"), phase, step, tuple(overrides)
        ),
    )
    del mediator
    summary.write(run_dir)
    return summary

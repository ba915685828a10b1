"""One run, end to end: build the setting, open the log, bind the bus, start the agents,
let the mediator negotiate, write ``summary.json``. Everything started here is ended here."""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zmq

from negotiator import PROTOCOL_VERSION, __version__
from negotiator.analysis import Analysis, analyze
from negotiator.bus import Bus, MediatorSocket, Transport
from negotiator.config import Config
from negotiator.contract import Setting, build_setting
from negotiator.eventlog import EventLog
from negotiator.launcher import AgentLauncher
from negotiator.mediator import Branch, Mediator
from negotiator.summary import implementation_metrics, negotiation_metrics


@dataclass(frozen=True)
class RunOptions:
    """Run-time options: they never change the outcome or the digest."""

    transport: Transport = "ipc"
    out: Path = Path("runs")
    run_id: str | None = None
    join_timeout: float = 30.0
    config_path: str | None = None


@dataclass
class RunResult:
    summary: dict[str, Any]
    run_dir: Path
    pids: dict[str, int] = field(default_factory=dict)


def new_run_id(config: Config) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    return f"{config.run.name}-s{config.run.seed}-{stamp}"


def run(config: Config, options: RunOptions | None = None) -> RunResult:
    """Run a config to the end and return its summary (also written to ``summary.json``)."""
    options = options or RunOptions()
    started = time.monotonic()
    run_id = options.run_id or new_run_id(config)
    prepared = prepare(config)
    run_dir = options.out / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    log = EventLog(run_dir / "events.jsonl")
    runtime = {
        "run_id": run_id,
        "transport": options.transport,
        "config_path": options.config_path,
        "python": platform.python_version(),
        "started": datetime.now(UTC).isoformat(),
    }
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    bus = MediatorSocket(options.transport, context)
    try:

        def launch(participants: tuple[str, ...]) -> AbstractContextManager[object]:
            return AgentLauncher(
                bus.endpoint,
                participants,
                threads=options.transport == "inproc",
                context=context,
            )

        metrics, mediator = execute(
            config,
            prepared,
            log,
            bus,
            launch,
            runtime=runtime,
            join_timeout=options.join_timeout,
            run_id=run_id,
        )
    finally:
        log.close()
        bus.close()
        context.destroy(linger=0)
    setting = prepared.setting
    summary = {
        "run_id": run_id,
        "seed": config.run.seed,
        "protocol": config.negotiation.protocol if config.negotiates else None,
        "parties": list(config.party_names),
        **metrics,
        "economy": setting.economy.report() if setting and setting.economy else None,
        "final_digest": log.digest,
        "log": str(log.path),
        "agent_pids": mediator.result.pids,
        "mediator_pid": os.getpid(),
        "wall_seconds": round(time.monotonic() - started, 3),
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return RunResult(summary, run_dir, mediator.result.pids)


@dataclass(frozen=True)
class Prepared:
    """What a run computes before any agent starts (the same for the run and its replay)."""

    setting: Setting | None
    analysis: Analysis | None


def prepare(config: Config) -> Prepared:
    setting = build_setting(config) if (config.scenario or config.domain) else None
    analysis = (
        analyze(setting.domain, setting.utilities, setting.power)
        if setting is not None and config.negotiates
        else None
    )
    return Prepared(setting, analysis)


def execute(
    config: Config,
    prepared: Prepared,
    log: EventLog,
    bus: Bus,
    launch: Callable[[tuple[str, ...]], AbstractContextManager[object]],
    *,
    runtime: dict[str, Any],
    join_timeout: float = 30.0,
    run_id: str = "",
    clock: Callable[[], float] = time.monotonic,
    branch: Branch | None = None,
) -> tuple[dict[str, Any], Mediator]:
    """Everything a run logs, from ``run_started`` to ``run_finished``, over ``bus`` with the
    agents ``launch`` starts. Replay calls this with a bus that answers from a log."""
    setting, analysis = prepared.setting, prepared.analysis
    log.emit(
        "run_started",
        config=config.model_dump(mode="json"),
        seed=config.run.seed,
        versions={"negotiator": __version__, "protocol": PROTOCOL_VERSION},
        runtime=runtime,
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    if setting is not None and setting.economy is not None:
        log.emit("economy", **setting.economy.report())
    log.flush()
    try:
        mediator = Mediator(
            config, setting, bus, log, join_timeout=join_timeout, run_id=run_id, clock=clock
        )
        mediator.branch = branch
        with launch(mediator.participants):
            result = mediator.run()
        metrics: dict[str, Any] = {}
        if config.negotiates:
            assert setting is not None and analysis is not None
            state = result.state
            metrics |= negotiation_metrics(
                config,
                setting,
                analysis,
                result.agreement,
                state.agreement_round,
                result.discount_exponent,
            )
            metrics |= {
                "status": state.status,
                "rounds": result.rounds,
                "invalid_actions": result.invalid_actions,
                "forfeits": result.forfeits,
            }
        else:
            metrics["invalid_actions"] = result.invalid_actions
        metrics["rejected_messages"] = result.rejected_messages
        metrics |= _guidance(mediator)
        if mediator.implementation is not None:
            metrics["implementation"] = implementation_metrics(mediator.implementation)
        log.emit("run_finished", **_headline(metrics))
    except BaseException as exc:
        log.emit("run_aborted", reason=f"{type(exc).__name__}: {exc}")
        raise
    return metrics, mediator


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The few results repeated in the log's last event."""
    out: dict[str, Any] = {
        k: metrics[k] for k in ("agreement", "status", "utilities") if k in metrics
    }
    impl = metrics.get("implementation")
    if impl is not None:
        out |= {
            "compliance_rate": impl["compliance_rate"],
            "contract_survived": impl["contract_survived"],
            "cumulative_payoffs": impl["cumulative_payoffs"],
        }
    return out


def _guidance(mediator: Mediator) -> dict[str, Any]:
    """Who the superior is, what it planned, what was declared and who was caught misreporting."""
    out: dict[str, Any] = {"superior": mediator.superior}
    plan = mediator.plan
    if plan is not None:
        domain = mediator.setting.domain if mediator.setting is not None else None
        out["plan"] = {
            "guidance": plan.guidance,
            "text": domain.decode(plan.text) if plan.text is not None and domain else None,
            "cofunding": plan.cofunding,
            "subsidy": plan.subsidy,
            "budget": plan.budget,
            "based_on": plan.based_on,
        }
    if mediator.declarations is not None:
        out["declarations"] = mediator.declarations.claimed
        out["misreports"] = mediator.declarations.misreports
    return out

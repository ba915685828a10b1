"""One run, end to end: build the setting, open the log, bind the bus, start the agents,
let the mediator negotiate, write ``summary.json``. Everything started here is ended here."""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zmq

from negotiator import PROTOCOL_VERSION, __version__
from negotiator.analysis import analyze
from negotiator.bus import MediatorSocket, Transport
from negotiator.config import Config
from negotiator.contract import build_setting
from negotiator.eventlog import EventLog
from negotiator.launcher import AgentLauncher
from negotiator.mediator import Mediator
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
    setting = build_setting(config) if (config.scenario or config.domain) else None
    analysis = (
        analyze(setting.domain, setting.utilities, setting.power)
        if setting is not None and config.negotiates
        else None
    )
    run_id = options.run_id or new_run_id(config)
    run_dir = options.out / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    log = EventLog(run_dir / "events.jsonl")
    log.emit(
        "run_started",
        config=config.model_dump(mode="json"),
        seed=config.run.seed,
        versions={"negotiator": __version__, "protocol": PROTOCOL_VERSION},
        runtime={
            "run_id": run_id,
            "transport": options.transport,
            "config_path": options.config_path,
            "python": platform.python_version(),
            "started": datetime.now(UTC).isoformat(),
        },
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    if setting is not None and setting.economy is not None:
        log.emit("economy", **setting.economy.report())
    log.flush()
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    bus = MediatorSocket(options.transport, context)
    try:
        mediator = Mediator(
            config, setting, bus, log, join_timeout=options.join_timeout, run_id=run_id
        )
        with AgentLauncher(
            bus.endpoint,
            mediator.participants,
            threads=options.transport == "inproc",
            context=context,
        ):
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
    finally:
        log.close()
        bus.close()
        context.destroy(linger=0)
    summary = {
        "run_id": run_id,
        "seed": config.run.seed,
        "protocol": config.negotiation.protocol if config.negotiates else None,
        "parties": list(config.party_names),
        **metrics,
        "economy": setting.economy.report() if setting and setting.economy else None,
        "final_digest": log.digest,
        "log": str(log.path),
        "agent_pids": result.pids,
        "mediator_pid": os.getpid(),
        "wall_seconds": round(time.monotonic() - started, 3),
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return RunResult(summary, run_dir, result.pids)


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

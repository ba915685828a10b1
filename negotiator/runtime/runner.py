"""One run, end to end: build the setting, open the log, bind the bus, start the agents,
let the mediator negotiate, write ``summary.json``. Everything started here is ended here."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zmq

from negotiator import PROTOCOL_VERSION, __version__
from negotiator.config import Config
from negotiator.errors import ConfigError, OutputError
from negotiator.interrupts import Terminated, installed
from negotiator.io.bus import Bus, MediatorSocket, Transport
from negotiator.io.eventlog import EventLog
from negotiator.io.security import (
    ephemeral,
    ephemeral_hosts,
    server_from_dir,
    write_client_keys,
)
from negotiator.mediator.coordinator import Branch, Mediator
from negotiator.model.analysis import Analysis, analyze
from negotiator.model.contract import Setting, build_setting
from negotiator.runtime.affinity import on_one_cpu, pick_cpu
from negotiator.runtime.direct import DirectBus
from negotiator.runtime.launcher import AgentLauncher, host_groups, strategy_search
from negotiator.runtime.run_summary import LocalRun, RunMetrics, RunSummary, build_summary
from negotiator.runtime.summary import run_metrics


@dataclass(frozen=True)
class RunOptions:
    """Run-time options: they never change the outcome or the digest."""

    transport: Transport = "ipc"
    out: Path = Path("runs")
    run_id: str | None = None
    join_timeout: float = 30.0
    config_path: str | None = None
    insecure: bool = False
    """tcp without CURVE (only on a trusted network; a warning is printed)."""
    one_cpu: bool = True
    """inproc: run the mediator and its agent threads on one CPU core
    (:mod:`negotiator.runtime.affinity`; about twice as fast where cores are more than one)."""
    hosts: int = 0
    """Spread the parties over this many agent host processes (:mod:`negotiator.agents.host`; ipc
    and tcp); 0: one process per party."""
    progress: Progress | None = None
    """Told of each round of phase 1 and each period of phase 2 as it is logged
    (:class:`ProgressLog`); the command line's live counter. The library itself prints nothing."""


Progress = Callable[[str, int, int], None]
"""A run's progress: ``("round", r, deadline)`` as phase-1 round r starts, ``("period", p,
periods)`` as phase-2 period p ends (a renegotiation's rounds are not counted)."""


class ProgressLog(EventLog):
    """An event log that tells ``progress`` of the rounds and periods it logs."""

    def __init__(self, path: Path, config: Config, progress: Progress) -> None:
        super().__init__(path)
        self.progress = progress
        self.rounds = config.negotiation.deadline
        self.periods = config.implementation.periods if config.implementation else 0

    def emit(self, event: str, **fields: Any) -> None:
        super().emit(event, **fields)
        if event == "round_start" and fields.get("session") == 0:
            self.progress("round", int(fields["round"]), self.rounds)
        elif event == "period_end":
            self.progress("period", int(fields["period"]), self.periods)


@dataclass
class RunResult:
    summary: RunSummary
    run_dir: Path
    pids: dict[str, int] = field(default_factory=dict)


def timestamp() -> str:
    """The current UTC time as it appears in run and tournament folder names."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")


def new_run_id(config: Config) -> str:
    return f"{config.run.name}-s{config.run.seed}-{timestamp()}"


def run(config: Config, options: RunOptions | None = None) -> RunResult:
    """Run a config to the end and return its summary (also written to ``summary.json``)."""
    options = options or RunOptions()
    if options.hosts and options.transport in ("inproc", "direct"):
        raise ConfigError(
            f"--hosts: agent hosts are processes; use --transport ipc or tcp, not "
            f"{options.transport}"
        )
    if options.hosts < 0:
        raise ConfigError(f"--hosts {options.hosts}: a number of processes (0: one per party)")
    if options.transport == "direct":
        direct = DirectBus()
        return run_on(direct, direct.launch, config, options, clock=direct.clock)
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    keys_dir = None
    server = None
    if options.transport == "tcp" and not options.insecure:
        # ephemeral CURVE keys: the mediator's and one pair per agent (or host), in a private folder
        participants = list(config.party_names)
        if config.superior_name is not None:
            participants.append(config.superior_name)
        if options.hosts:
            server, clients = ephemeral_hosts(host_groups(participants, options.hosts))
        else:
            server, clients = ephemeral(participants)
        keys_dir = tempfile.mkdtemp(prefix="negotiator-keys-")
        os.chmod(keys_dir, 0o700)
        for name, client in clients.items():
            write_client_keys(Path(keys_dir), name, client)
    elif options.transport == "tcp":
        print(
            "negotiator: warning: tcp without CURVE: anyone who can reach the port can join "
            "and read the messages",
            file=sys.stderr,
        )
    bus = MediatorSocket(options.transport, context, security=server)
    try:

        def launch(participants: tuple[str, ...]) -> AbstractContextManager[object]:
            return AgentLauncher(
                bus.endpoint,
                participants,
                threads=options.transport == "inproc",
                context=context,
                keys=keys_dir,
                hosts=options.hosts,
                search=strategy_search(config, options.config_path),
            )

        pin = options.transport == "inproc" and options.one_cpu
        with on_one_cpu(pick_cpu() if pin else None):
            return run_on(bus, launch, config, options)
    finally:
        bus.close()
        context.destroy(linger=0)
        if keys_dir:
            shutil.rmtree(keys_dir, ignore_errors=True)


def run_on(
    bus: Bus,
    launch: Callable[[tuple[str, ...]], AbstractContextManager[object]],
    config: Config,
    options: RunOptions,
    transport: str | None = None,
    *,
    prepared: Prepared | None = None,
    runtime_extra: dict[str, Any] | None = None,
    on_waiting: Callable[[list[str]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """One run over a bound ``bus`` whose agents ``launch`` provides (started for this run,
    already running in a :class:`negotiator.runtime.pool.Pool`, in this process, or elsewhere in
    a distributed run): log, negotiate, write the summary. ``clock``: what the mediator's waits
    are timed by (the direct bus's own)."""
    started = time.monotonic()
    run_id = options.run_id or new_run_id(config)
    prepared = prepared or prepare(config)
    run_dir = options.out / run_id
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise OutputError(
            f"--out {options.out}: cannot create the run folder: {exc.strerror or exc}"
        ) from None
    path = run_dir / "events.jsonl"
    log = (
        EventLog(path) if options.progress is None else ProgressLog(path, config, options.progress)
    )
    runtime = {
        "run_id": run_id,
        "transport": transport or options.transport,
        **(runtime_extra or {}),
        "config_path": options.config_path,
        "strategy_path": list(strategy_search(config, options.config_path)),
        "python": platform.python_version(),
        "started": datetime.now(UTC).isoformat(),
    }
    try:
        with installed():  # Ctrl-C and SIGTERM wait while the log is being written
            metrics, mediator = execute(
                config,
                prepared,
                log,
                bus,
                launch,
                runtime=runtime,
                join_timeout=options.join_timeout,
                run_id=run_id,
                clock=clock,
                on_waiting=on_waiting,
            )
    except BaseException:
        with contextlib.suppress(OutputError):  # the run's own error (or Ctrl-C) is the news
            log.close()
        raise
    log.close()
    return _finish(config, prepared, metrics, mediator, log, run_id, run_dir, started)


def _finish(
    config: Config,
    prepared: Prepared,
    metrics: RunMetrics,
    mediator: Mediator,
    log: EventLog,
    run_id: str,
    run_dir: Path,
    started: float,
) -> RunResult:
    """The run's summary, written to ``summary.json`` beside its log."""
    setting = prepared.setting
    economy = setting.economy.report() if setting and setting.economy else None
    summary = build_summary(
        config,
        run_id,
        metrics,
        final_digest=log.digest,
        log=str(log.path),
        started=started,
        origin=LocalRun(economy, mediator.result.pids, os.getpid()),
    )
    summary.write(run_dir)
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
    on_waiting: Callable[[list[str]], None] | None = None,
) -> tuple[RunMetrics, Mediator]:
    """Everything a run logs, from ``run_started`` to ``run_finished``, over ``bus`` with the
    agents ``launch`` starts; returns what it measured. Replay calls this with a bus that answers
    from a log."""
    setting = prepared.setting
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
        mediator.channel.on_waiting = on_waiting
        with launch(mediator.participants) as launched:
            mediator.channel.watchdog = getattr(launched, "dead", None)
            result = mediator.run()
        metrics = run_metrics(config, prepared.analysis, mediator, result)
        log.emit("run_finished", **metrics.headline())
    except (KeyboardInterrupt, Terminated) as exc:
        log.emit("run_interrupted", signal="SIGTERM" if isinstance(exc, Terminated) else "SIGINT")
        raise
    except BaseException as exc:
        log.emit("run_aborted", reason=f"{type(exc).__name__}: {exc}")
        raise
    return metrics, mediator


def serve(
    config: Config,
    bind: str,
    *,
    out: Path,
    keys: Path | None,
    insecure: bool,
    join_timeout: float,
    config_path: str | None = None,
    on_waiting: Callable[[list[str]], None] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """The hub of a distributed run: bind, wait for the parties to join from anywhere, run.
    With tcp, CURVE is on unless ``insecure``: ``keys`` holds the mediator's key pair and every
    participant's public key (``run.py keys``)."""
    participants = list(config.party_names)
    if config.superior_name is not None:
        participants.append(config.superior_name)
    security = None
    if bind.startswith("tcp://") and not insecure:
        if keys is None:
            raise ConfigError("--keys: secure tcp needs the key folder (or --insecure)")
        security = server_from_dir(keys, participants)
    prepared = prepare(config)
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    try:  # bind first: a bad address leaves no run directory behind
        bus = MediatorSocket("tcp", context, bind=bind, security=security)
    except zmq.ZMQError as exc:
        context.destroy(linger=0)
        raise ConfigError(f"--bind {bind}: {exc}") from None
    if on_waiting is not None:
        print(f"mediator listening on {bus.endpoint}", file=sys.stderr, flush=True)
    options = RunOptions(
        out=out, join_timeout=join_timeout, config_path=config_path, progress=progress
    )
    try:
        return run_on(
            bus,
            _external_agents,
            config,
            options,
            "distributed",
            prepared=prepared,
            runtime_extra={"bind": bus.endpoint},
            on_waiting=on_waiting,
        )
    finally:
        bus.close()
        context.destroy(linger=0)


@contextlib.contextmanager
def _external_agents(participants: tuple[str, ...]) -> Iterator[None]:
    yield None  # distributed: the agents are started elsewhere

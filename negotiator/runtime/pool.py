"""Agents kept across runs: one bus and one agent per party, reused by run after run.

A sweep worker, a benchmark or a script that runs many configs with the same parties pays for
starting agent processes once rather than once per run::

    with Pool("ipc") as pool:
        for seed in range(100):
            result = pool.run(load_config(path, seed=seed))

Each run is exactly what :func:`negotiator.runtime.runner.run` does (same log, same final digest);
only its agents are not new. They are started with ``serve`` (after ``end`` they say ``hello`` again
and wait for the next run) and their state is rebuilt from each run's welcome. An agent that has
died is started again before the next run; after a run that failed, or when a run has other parties
than the last one, all agents are replaced. Pools run over ipc, inproc or direct (tcp's CURVE
allow-list is fixed per bus). An inproc pool runs each run and its agent threads on one CPU core
(:mod:`negotiator.runtime.affinity`): the one given (``cpu``), else the one the calling thread is on
when the run starts. A direct pool has nothing to keep: each run makes its agents in this process
(:mod:`negotiator.runtime.direct`), which costs less than a welcome.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import TracebackType

import zmq

from negotiator.config import Config
from negotiator.errors import ConfigError
from negotiator.io.bus import MediatorSocket, Transport
from negotiator.runtime.affinity import on_one_cpu, pick_cpu, pin_threads
from negotiator.runtime.launcher import AgentLauncher, strategy_search
from negotiator.runtime.runner import RunOptions, RunResult, run, run_on


class Pool:
    """A bound bus and the agents of the last run's parties, reused by :meth:`run`."""

    def __init__(
        self, transport: Transport = "ipc", cpu: int | None = None, one_cpu: bool = True
    ) -> None:
        """``cpu`` (inproc): the core the pool's runs and agent threads keep to; None: the one
        the calling thread is on at the start of each run. ``one_cpu=False``: no pinning (as
        ``RunOptions.one_cpu`` for a run of its own; a pool's runs follow the pool's choice)."""
        if transport not in ("ipc", "inproc", "direct"):
            raise ConfigError(f"a pool runs over ipc, inproc or direct, not {transport}")
        self.transport = transport
        self.one_cpu = transport == "inproc" and one_cpu
        self.cpu = cpu if self.one_cpu else None
        self.context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self.bus: MediatorSocket | None = (
            None if transport == "direct" else MediatorSocket(transport, self.context)
        )
        self.agents: dict[str, AgentLauncher] = {}
        self.search: tuple[str, ...] = ()
        """Where the pooled agents look for ``module:Class`` strategies."""
        self.runs = 0

    def __enter__(self) -> Pool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def run(self, config: Config, options: RunOptions | None = None) -> RunResult:
        """Run ``config`` to the end with the pool's agents (``options.transport`` and
        ``options.one_cpu`` are the pool's own)."""
        options = options or RunOptions(out=Path("runs"))
        if self.bus is None:  # direct
            self.runs += 1
            return run(config, dataclasses.replace(options, transport="direct"))
        bus = self.bus
        participants = tuple(config.party_names) + (
            (config.superior_name,) if config.superior_name else ()
        )
        cpu = (self.cpu if self.cpu is not None else pick_cpu()) if self.one_cpu else None
        try:
            with on_one_cpu(cpu):  # agent threads started meanwhile keep to it too
                pin_threads([t for a in self.agents.values() for t in a.thread_ids()], cpu)
                self._staff(participants, strategy_search(config, options.config_path))
                self.runs += 1
                return run_on(bus, self._launched, config, options, f"{self.transport} (pool)")
        except BaseException:
            # the agents may be anywhere in the failed run: the next run gets new ones
            self._stop_all()
            self._drain()
            raise

    def pids(self) -> dict[str, int]:
        """The process id of each pooled agent process (none for inproc threads)."""
        return {n: p.pid for a in self.agents.values() for n, p in a.processes.items()}

    def close(self) -> None:
        """End every agent, then the bus."""
        self._stop_all()
        if self.bus is not None:
            self.bus.close()
        self.context.destroy(linger=0)

    # -- internals -----------------------------------------------------------------------------

    def _staff(self, participants: tuple[str, ...], search: tuple[str, ...]) -> None:
        """Have exactly one live agent per participant, looking for ``module:Class`` strategies
        in ``search`` (:func:`~negotiator.runtime.launcher.strategy_search`)."""
        if set(self.agents) != set(participants) or search != self.search:
            self._stop_all()
            self._drain()  # messages of agents from another cast must not reach the next run
        self.search = search
        for name in participants:
            launcher = self.agents.get(name)
            if launcher is not None and launcher.dead() is None:
                continue
            if launcher is not None:
                launcher.stop(grace=0.0)
            assert self.bus is not None, "a direct pool starts no agents"
            self.agents[name] = AgentLauncher(
                self.bus.endpoint,
                (name,),
                threads=self.transport == "inproc",
                context=self.context,
                serve=True,
                search=search,
            ).__enter__()

    def _launched(self, participants: tuple[str, ...]) -> AbstractContextManager[object]:
        return nullcontext(self)  # already running; ``dead`` serves as the join's watchdog

    def dead(self) -> str | None:
        gone = [d for a in self.agents.values() if (d := a.dead()) is not None]
        return ", ".join(gone) if gone else None

    def _stop_all(self) -> None:
        for launcher in self.agents.values():
            launcher.stop(grace=0.0)
        self.agents.clear()

    def _drain(self) -> None:
        deadline = time.monotonic() + 0.05
        while self.bus is not None and time.monotonic() < deadline:
            if self.bus.recv(0.01) is None:
                break

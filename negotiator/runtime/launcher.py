"""Start the agents of a run (or of a pool of runs): OS processes (ipc, tcp) or threads (inproc),
or, with ``hosts``, the parties spread over that many agent host processes
(:mod:`negotiator.agents.host`).

The launcher is a context manager: on exit every process it started has ended (terminated, then
killed if it does not go), whatever happened inside.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

import zmq

from negotiator.agents import PARENT_ENV
from negotiator.agents.host import run_host
from negotiator.agents.process import Notify, run_agent
from negotiator.agents.registry import STRATEGY_PATH_ENV, strategy_path
from negotiator.config import Config
from negotiator.io.security import ClientSecurity

#: Directory holding the ``negotiator`` and ``agents`` packages, put on the agents' PYTHONPATH.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def strategy_search(config: Config, config_path: str | None = None) -> tuple[str, ...]:
    """The folders where a run of ``config`` looks for ``module:Class`` strategies before
    ``sys.path``, and where its agent processes are told to look: the folders where this process
    found the modules when it checked the config (so that the agents import the same files),
    then the folder of the config file ``config_path``, the folders of
    ``NEGOTIATOR_STRATEGY_PATH`` and the working directory
    (:func:`negotiator.agents.registry.strategy_path`)."""
    found = [folder for name in _module_names(config) if (folder := _found_in(name))]
    return strategy_path([*found, *([Path(config_path).parent] if config_path else [])])


def _module_names(config: Config) -> list[str]:
    """The top-level modules of the ``module:Class`` strategies ``config`` names."""
    names = [n for p in config.parties.values() for n in (p.strategy, p.compliance)]
    if config.implementation is not None:
        names += [s.compliance for s in config.implementation.shocks if s.compliance]
    if config.tournament is not None:
        names += config.tournament.strategies
    tops = [n.partition(":")[0].split(".")[0] for n in names if ":" in n]
    return [t for t in dict.fromkeys(tops) if t not in ("negotiator", "agents")]


def _found_in(top: str) -> str | None:
    """The folder from which this process imported the module (or package) ``top``, if it has."""
    file = getattr(sys.modules.get(top), "__file__", None)
    if not file:
        return None
    path = Path(file)
    return str(path.parent.parent if path.name == "__init__.py" else path.parent)


def play_party(
    endpoint: str,
    name: str,
    *,
    idle_timeout: float,
    join_timeout: float,
    security: ClientSecurity | None,
    notify: Notify | None = None,
) -> int:
    """Play party ``name`` in this process, joined to the hub at ``endpoint`` (the ``agent``
    command of a distributed run); the exit code of :func:`negotiator.agents.process.run_agent`,
    ``notify`` told when it joined and why it left."""
    return run_agent(
        endpoint,
        name,
        idle_timeout=idle_timeout,
        join_timeout=join_timeout,
        security=security,
        notify=notify,
    )


def host_groups(names: tuple[str, ...] | list[str], hosts: int) -> dict[str, tuple[str, ...]]:
    """``names`` spread, in their order, over ``hosts`` (at most one per name) nearly equal
    contiguous groups, the larger ones first, named ``host-1``, ``host-2``, ... (a party's name
    cannot hold ``-``)."""
    k = max(min(hosts, len(names)), 1)
    size, larger = divmod(len(names), k)
    groups, start = {}, 0
    for i in range(k):
        end = start + size + (1 if i < larger else 0)
        groups[f"host-{i + 1}"] = tuple(names[start:end])
        start = end
    return groups


def play_parties(
    endpoint: str,
    names: list[str],
    *,
    host: str,
    idle_timeout: float,
    join_timeout: float,
    security: ClientSecurity | None,
    notify: Notify | None = None,
) -> int:
    """Play parties ``names`` as agent host ``host`` in this process, joined to the hub at
    ``endpoint`` (the ``agent-host`` command); the exit code of
    :func:`negotiator.agents.host.run_host`, ``notify`` told when they joined and why it left."""
    return run_host(
        endpoint,
        names,
        host=host,
        idle_timeout=idle_timeout,
        join_timeout=join_timeout,
        security=security,
        notify=notify,
    )


class AgentLauncher:
    """Starts one agent per party connected to ``endpoint`` (or, with ``hosts``, that many agent
    hosts, :func:`host_groups`)."""

    def __init__(
        self,
        endpoint: str,
        names: tuple[str, ...],
        *,
        threads: bool = False,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        keys: str | None = None,
        serve: bool = False,
        hosts: int = 0,
        search: tuple[str, ...] = (),
    ) -> None:
        if hosts and (threads or serve):
            raise ValueError("agent hosts are processes playing one run (not threads, no pool)")
        self.endpoint = endpoint
        self.names = names
        self.threads = threads
        self.context = context
        self.keys = keys
        """A private folder with each agent's ephemeral CURVE keys (secure tcp)."""
        self.serve = serve
        """Agents that play one run after another (a pool) rather than leave at ``end``."""
        self.groups = host_groups(names, hosts) if hosts > 0 else {n: (n,) for n in names}
        """Each process's (or thread's) name → the parties it plays."""
        self.hosts = hosts > 0
        self.search = search
        """Folders where the agent processes look for ``module:Class`` strategies first
        (:func:`strategy_search`; none: their own working directory and
        ``NEGOTIATOR_STRATEGY_PATH``)."""
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        """By party, or by host name with ``hosts``."""
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def __enter__(self) -> AgentLauncher:
        if self.threads:
            self._start_threads()
            return self
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(SOURCE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env[PARENT_ENV] = str(os.getpid())  # an agent orphaned while starting knows it
        if self.search:
            env[STRATEGY_PATH_ENV] = os.pathsep.join(self.search)
        for name, parties in self.groups.items():
            who = ["--names", ",".join(parties), "--host", name] if self.hosts else ["--name", name]
            self.processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "negotiator.agents",
                    "--connect",
                    self.endpoint,
                    *who,
                    "--watch-parent",
                    *(["--serve"] if self.serve else []),
                    *(["--keys", self.keys] if self.keys else []),
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        return self

    def _start_threads(self) -> None:
        """inproc: each agent a thread on the shared context."""
        for name in self.names:
            t = threading.Thread(
                target=run_agent,
                args=(self.endpoint, name),
                kwargs={
                    "context": self.context,
                    "idle_timeout": 60.0,
                    "stop": self._stop,
                    "serve": self.serve,
                },
                name=f"agent-{name}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(grace=2.0 if exc_type is None else 0.2)

    def thread_ids(self) -> list[int]:
        """The native ids of the agent threads still running (inproc)."""
        return [t.native_id for t in self._threads if t.is_alive() and t.native_id is not None]

    def dead(self) -> str | None:
        """Which started agent processes have already exited (None if all are running): the
        parties they played (all of a host's)."""
        gone = [
            f"{party} (exit {p.returncode})"
            for name, p in self.processes.items()
            if p.poll() is not None
            for party in self.groups[name]
        ]
        gone += [t.name.removeprefix("agent-") for t in self._threads if not t.is_alive()]
        return ", ".join(gone) if gone else None

    def stop(self, grace: float = 2.0) -> None:
        """Wait ``grace`` seconds for agents to leave on their own, then end them."""
        for t in self._threads:
            t.join(timeout=grace)
        if any(t.is_alive() for t in self._threads):
            self._stop.set()  # agents that never got "end": ask them to leave, then wait
            for t in self._threads:
                t.join(timeout=5.0)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

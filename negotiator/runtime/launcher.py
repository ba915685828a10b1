"""Start the agents of a run (or of a pool of runs): OS processes (ipc, tcp) or threads (inproc).

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

from agents import PARENT_ENV
from agents.process import run_agent
from negotiator.io.security import ClientSecurity

#: Directory holding the ``negotiator`` and ``agents`` packages, put on the agents' PYTHONPATH.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def play_party(
    endpoint: str,
    name: str,
    *,
    idle_timeout: float,
    join_timeout: float,
    security: ClientSecurity | None,
) -> int:
    """Play party ``name`` in this process, joined to the hub at ``endpoint`` (the ``agent``
    command of a distributed run); the exit code of :func:`agents.process.run_agent`."""
    return run_agent(
        endpoint, name, idle_timeout=idle_timeout, join_timeout=join_timeout, security=security
    )


class AgentLauncher:
    """Starts one agent per party connected to ``endpoint``."""

    def __init__(
        self,
        endpoint: str,
        names: tuple[str, ...],
        *,
        threads: bool = False,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        keys: str | None = None,
        serve: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.names = names
        self.threads = threads
        self.context = context
        self.keys = keys
        """A private folder with each agent's ephemeral CURVE keys (secure tcp)."""
        self.serve = serve
        """Agents that play one run after another (a pool) rather than leave at ``end``."""
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def __enter__(self) -> AgentLauncher:
        if self.threads:
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
            return self
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(SOURCE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env[PARENT_ENV] = str(os.getpid())  # an agent orphaned while starting knows it
        for name in self.names:
            self.processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agents",
                    "--connect",
                    self.endpoint,
                    "--name",
                    name,
                    "--watch-parent",
                    *(["--serve"] if self.serve else []),
                    *(["--keys", self.keys] if self.keys else []),
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        return self

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
        """Which started agent processes have already exited (None if all are running)."""
        gone = [
            f"{n} (exit {p.returncode})" for n, p in self.processes.items() if p.poll() is not None
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

"""Start the agents of a run, once per run: OS processes (ipc, tcp) or threads (inproc).

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

from agents.process import run_agent

#: Directory holding the ``negotiator`` and ``agents`` packages, put on the agents' PYTHONPATH.
SOURCE_ROOT = Path(__file__).resolve().parent.parent


class AgentLauncher:
    """Starts one agent per party connected to ``endpoint``."""

    def __init__(
        self,
        endpoint: str,
        names: tuple[str, ...],
        *,
        threads: bool = False,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.names = names
        self.threads = threads
        self.context = context
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> AgentLauncher:
        if self.threads:
            for name in self.names:
                t = threading.Thread(
                    target=run_agent,
                    args=(self.endpoint, name),
                    kwargs={"context": self.context, "idle_timeout": 60.0},
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

    def stop(self, grace: float = 2.0) -> None:
        """Wait ``grace`` seconds for agents to leave on their own, then end them."""
        for t in self._threads:
            t.join(timeout=grace)
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

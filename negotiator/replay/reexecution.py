"""Re-execution of the mediator: the run's own code path again, answered from its log.

:func:`reexecute_mediator` runs :func:`negotiator.runtime.runner.execute` from the config in the
log's first event over a :class:`negotiator.replay.bus.ReplayBus` and a virtual clock, with a
launcher that starts no agent but reports the deaths the log records, and returns the events it
logs (a branched log is re-branched at the same point). With ``with_agents`` the agents are
re-created in this process (:mod:`negotiator.replay.inprocess`) and their decisions compared
with the recorded ones.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from negotiator.config import apply_overrides, config_from_dict
from negotiator.errors import NegotiatorError
from negotiator.io.bus import VirtualClock
from negotiator.io.eventlog import EventLog, read_events
from negotiator.mediator.coordinator import Branch, Mediator
from negotiator.replay.bus import ReplayBus, ReplayExhausted
from negotiator.replay.inprocess import recreate_agents
from negotiator.replay.logfile import config_of, participants, run_start
from negotiator.replay.script import script_from_log
from negotiator.runtime.runner import execute, prepare


def reexecute_mediator(
    events: list[dict[str, Any]], *, with_agents: bool = False
) -> tuple[list[dict[str, Any]], ReplayBus]:
    """Run the mediator again over the recorded actions; return the events it logs (and the bus,
    whose ``mismatches`` list, with ``with_agents``, what the re-created agents would have done
    differently)."""
    config = config_of(events)
    parties = participants(config)
    clock = VirtualClock()
    agents = recreate_agents(parties) if with_agents else None
    script = script_from_log(events)
    bus = ReplayBus(parties, script, clock, agents)
    start = run_start(events)
    assert start is not None
    runtime = dict(start.get("runtime", {}))
    point = branch_of(events)
    if point is not None and agents is not None:
        # a branch's agents played the child config after the branch point
        welcomer = Mediator(point.config, prepare(point.config).setting, bus, EventLog.null())
        bus.welcomes = {p: welcomer.welcome(p).to_wire() for p in parties}
        bus.check_from = next(
            (e["line"] for e in events if e["event"] == "branch_applied"), len(events) + 1
        )
    with tempfile.TemporaryDirectory(prefix="negotiator-replay-") as tmp:
        log = EventLog(Path(tmp) / "events.jsonl")
        if point is not None:
            first = events[0]
            log.emit(
                "branched_from",
                **{k: v for k, v in first.items() if k not in ("event", "line", "digest", "ts")},
            )
        try:
            execute(
                config,
                prepare(config),
                log,
                bus,
                _recorded_agents(bus),
                runtime=runtime,
                join_timeout=script.join_timeout,
                clock=clock,
                branch=point,
            )
        except (ReplayExhausted, NegotiatorError):
            pass
        except Exception as exc:  # the log's content does not hold together from here on
            bus.failure = f"{type(exc).__name__}: {exc}"
        finally:
            log.close()
        return read_events(Path(tmp) / "events.jsonl"), bus


class _Watchdog:
    """The launcher's report of agents that died before joining, as the log records it."""

    def __init__(self, bus: ReplayBus) -> None:
        self.bus = bus

    def dead(self) -> str | None:
        return self.bus.dead


def _recorded_agents(
    bus: ReplayBus,
) -> Callable[[tuple[str, ...]], contextlib.AbstractContextManager[object]]:
    """A launcher that starts nothing but reports the deaths the log records."""

    @contextlib.contextmanager
    def launch(participants: tuple[str, ...]) -> Iterator[object]:
        yield _Watchdog(bus)

    return launch


def branch_of(events: list[dict[str, Any]]) -> Branch | None:
    """The branch a branched log records (re-applied at the same point on replay)."""
    first = events[0]
    if first.get("event") != "branched_from":
        return None
    start = run_start(events)
    assert start is not None
    child = config_from_dict(
        apply_overrides(dict(start["config"]), list(first["overrides"])),
        source="the branch's overrides",
    )
    return Branch(first["phase"], first["after"], child, list(first["overrides"]), lambda: None)

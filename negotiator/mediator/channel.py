"""What the phase drivers may ask of the mediator: the declared interfaces between its layers.

A phase (negotiation, declarations and plan, implementation) talks to the parties only through a
:class:`Channel` (implemented by :class:`negotiator.mediator.session.Session`) and reaches the
clock's coordinator only through a :class:`Host` (implemented by
:class:`negotiator.mediator.coordinator.Mediator`). Both are structural protocols, so the phases
import neither implementation and no import cycle can form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from negotiator.config import Config
from negotiator.io.eventlog import EventLog
from negotiator.io.messages import Body
from negotiator.io.wire import Message
from negotiator.mediator.transparency import Transparency
from negotiator.model.contract import Setting
from negotiator.model.domain import Domain, Outcome, Utility

#: The mediator's name on the wire.
MEDIATOR = "mediator"


@dataclass
class Tally:
    """What went wrong during a run, counted as it happens (part of the run's summary)."""

    invalid_actions: dict[str, int] = field(default_factory=dict)
    """Rejected actions per party (invalid or stale), superior included."""
    forfeits: dict[str, int] = field(default_factory=dict)
    """Phase-1 turns and votes each government lost by silence, invalidity or absence."""
    rejected_messages: int = 0
    auth_refused: int = 0
    pids: dict[str, int] = field(default_factory=dict)


class Channel(Protocol):
    """The parties as a phase sees them: send, wait for actions, reject, note who is gone."""

    log: EventLog
    absent: set[str]
    tally: Tally

    def send(self, party: str, body: Body, round_: int = 0) -> None: ...

    def send_all(self, parties: Iterable[str], body: Body, round_: int = 0) -> None: ...

    def actions(
        self, timeout: float, wanted: Callable[[], bool] = ...
    ) -> Iterator[tuple[str, Message]]: ...

    def collect(
        self,
        kind: str,
        parties: set[str],
        timeout: float,
        check: Callable[[str, dict[str, Any]], Any],
    ) -> dict[str, Any]: ...

    def reject(
        self,
        party: str,
        code: str,
        reason: str,
        round_: int,
        position: int,
        turn: Any = None,
        body: dict[str, Any] | None = None,
        sent_round: int | None = None,
    ) -> None: ...

    def accepted(self, party: str) -> None: ...

    def is_lost(self, party: str) -> bool: ...

    def mark_absent(self, party: str, now: float) -> None: ...


class Host(Protocol):
    """The coordinator as a phase sees it: the rules in force (a branch may replace them), the
    checkpoint before every round and period, and a renegotiation on demand."""

    config: Config
    transparency: Transparency
    setting: Setting | None
    parties: tuple[str, ...]

    def checkpoint(self, phase: int, step: int, now: float) -> None: ...

    def renegotiate(
        self,
        domain: Domain,
        utilities: dict[str, Utility],
        start: Outcome,
        now: float,
        *,
        package: int,
        admissible: Callable[[Outcome], bool],
    ) -> Outcome | None: ...

"""Reading an event log for replay: find it, scan it line by line without trusting it, check the
version that wrote it, and take the run's config and participants from its first event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from negotiator import PROTOCOL_VERSION, __version__
from negotiator.config import Config, config_from_dict
from negotiator.errors import ConfigError


@dataclass
class Scan:
    """An event log read line by line without trusting it."""

    events: list[dict[str, Any]]
    torn: int = 0
    """Bytes of a last line cut before its end (0: none)."""
    problem: tuple[int, str] | None = None
    """The first line that is not an event (1-based) and why."""


def scan_log(log: Path) -> Scan:
    """Read ``log``: every complete line must be a JSON object with an ``event`` name, a
    ``line`` number and a ``digest``; the first one that is not stops the scan."""
    events: list[dict[str, Any]] = []
    data = log.read_bytes()
    lines = data.split(b"\n")
    torn = len(lines[-1])  # what follows the last newline: empty unless cut mid-line
    for number, raw in enumerate(lines[:-1], start=1):
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            return Scan(events, torn, (number, f"is not JSON ({exc.msg})"))
        except UnicodeDecodeError:
            return Scan(events, torn, (number, "is not UTF-8 text"))
        except (ValueError, RecursionError) as exc:  # a huge integer, nesting too deep
            return Scan(events, torn, (number, f"cannot be read ({type(exc).__name__})"))
        if not isinstance(event, dict):
            return Scan(events, torn, (number, "is not a JSON object"))
        if not isinstance(event.get("event"), str) or not isinstance(event.get("digest"), str):
            return Scan(events, torn, (number, "is not an event (no event name or digest)"))
        if event.get("line") != number:
            return Scan(
                events,
                torn,
                (
                    number,
                    f"is numbered {event.get('line')!r}: a line was removed, repeated or moved "
                    "before it",
                ),
            )
        events.append(event)
    return Scan(events, torn)


def resolve(path: Path) -> Path:
    """RUN: a run directory or an events.jsonl."""
    log = path / "events.jsonl" if path.is_dir() else path
    if not log.is_file():
        raise ConfigError(f"{path}: no events.jsonl here")
    return log


def check_version(log: Path, events: list[dict[str, Any]]) -> None:
    """Refuse a log written with a newer protocol version than this negotiator reads."""
    start = run_start(events) or {}
    versions = start.get("versions")
    version = versions.get("protocol") if isinstance(versions, dict) else None
    if not isinstance(version, int) or version > PROTOCOL_VERSION:
        raise ConfigError(
            f"{log}: written with protocol version {version!r}; this negotiator reads versions "
            f"up to {PROTOCOL_VERSION}"
        )


def load_log(path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Resolve RUN (a run directory or an events.jsonl) and read its complete lines; a log that
    is not one (or not whole up to its last complete line) is a one-line error."""
    log = resolve(path)
    scan = scan_log(log)
    if scan.problem is not None:
        line, reason = scan.problem
        raise ConfigError(f"{log}: line {line} {reason}")
    events = scan.events
    if run_start(events) is None:
        raise ConfigError(f"{log}: not an event log (it must begin with run_started)")
    check_version(log, events)
    return log, events


def run_start(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run_started event (the first line, or the second after branched_from)."""
    for event in events[:2]:
        if event.get("event") == "run_started":
            return event
        if event.get("event") != "branched_from":
            return None
    return None


def model_version(events: list[dict[str, Any]]) -> str | None:
    """The negotiator version that wrote a log, when its model differs from this version's
    (another major.minor release: runs re-execute only under the model that made them)."""
    start = run_start(events)
    written = str((start or {}).get("versions", {}).get("negotiator", ""))
    if written.split(".")[:2] == __version__.split(".")[:2]:
        return None
    return written or "an unknown version"


def config_of(events: list[dict[str, Any]]) -> Config:
    """The run's config, from its ``run_started`` event (a log of another model is refused)."""
    start = run_start(events)
    assert start is not None
    other = model_version(events)
    if other is not None:
        raise ConfigError(
            f"the log was written by negotiator {other}, whose model differs from this "
            f"version's ({__version__}): its digest chain can be verified (replay --verify), "
            "its runs re-executed only with that version"
        )
    return config_from_dict(
        dict(start["config"]), source="the log's config", folders=strategy_folders(start)
    )


def strategy_folders(start: dict[str, Any]) -> list[str]:
    """Where the run looked for ``module:Class`` strategies first, as its ``run_started``
    recorded it (``runtime.strategy_path``; in a log written before that was recorded, the
    folder of ``runtime.config_path``, relative to the working directory); a replay looks there
    first, then in its own strategy path (docs/strategies.md)."""
    runtime = start.get("runtime")
    if not isinstance(runtime, dict):
        return []
    recorded = runtime.get("strategy_path")
    if isinstance(recorded, list):
        return [str(p) for p in recorded if isinstance(p, str)]
    config_path = runtime.get("config_path")
    return [str(Path(config_path).parent)] if isinstance(config_path, str) else []


def participants(config: Config) -> list[str]:
    """The governments, then the superior if there is one: every party an agent plays."""
    names = list(config.party_names)
    if config.superior_name is not None:
        names.append(config.superior_name)
    return names

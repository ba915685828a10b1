"""The HTML report of a run or a sweep (docs/report.md): one self-contained ``report.html`` —
style inline, figures inline (SVG or ``data:`` PNG), no script, nothing fetched — built from the
files of the run's or the sweep's directory alone, so that ``python run.py report DIR`` rebuilds
exactly the report that ``run`` or ``sweep`` wrote.

The package: :mod:`~negotiator.cli.htmlreport.page` (escaped markup, tables, figures, the style
sheet), :mod:`~negotiator.cli.htmlreport.figures` (the one adapter to the figure code),
:mod:`~negotiator.cli.htmlreport.run` and :mod:`~negotiator.cli.htmlreport.sweep` (the two
pages) and :mod:`~negotiator.cli.htmlreport.command` (the ``report`` command, ``--no-report``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from negotiator.errors import ConfigError, OutputError

REPORT = "report.html"
"""The report's file name in a run's or a sweep's directory."""

Kind = Literal["run", "sweep"]


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; a one-line error if it is missing, unreadable or not one."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{path}: not JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return data


def kind_of(directory: Path) -> Kind:
    """Is ``directory`` a run's (``events.jsonl``) or a sweep's (``summary.json`` of an
    experiment)? A one-line error if it is neither."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory (give a run's or a sweep's directory)")
    if (directory / "events.jsonl").is_file():
        return "run"
    summary = directory / "summary.json"
    if summary.is_file() and "experiment" in _read_json(summary):
        return "sweep"
    raise ConfigError(
        f"{directory}: neither a run's directory (events.jsonl and summary.json) nor a sweep's "
        "(summary.json and results.csv)"
    )


def build_report(directory: Path) -> str:
    """The report of the run or sweep in ``directory``, as an HTML document."""
    kind = kind_of(directory)
    data = _read_json(directory / "summary.json")
    try:
        if kind == "run":
            from negotiator.runtime.run_summary import RunSummary

            run_summary = RunSummary.from_json(data)
        else:
            from negotiator.experiments.summary import SweepSummary

            sweep_summary = SweepSummary.from_json(data)
    except (LookupError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{directory / 'summary.json'}: not a {kind}'s summary ({type(exc).__name__}: {exc})"
        ) from None
    try:
        if kind == "run":
            from negotiator.cli.htmlreport import run

            return run.build(directory, run_summary)
        from negotiator.cli.htmlreport import sweep

        return sweep.build(directory, sweep_summary)
    except (LookupError, TypeError, ValueError, AttributeError) as exc:
        # a hand-edited summary.json whose values have the wrong type or shape
        raise ConfigError(
            f"{directory / 'summary.json'}: not a {kind}'s summary ({type(exc).__name__}: {exc})"
        ) from None


def write_report(directory: Path, out: Path | None = None) -> Path:
    """Build the report of ``directory`` and write it to ``out`` (default: ``report.html`` in
    the directory) through a temporary file renamed into place: a failed write (a full disk)
    leaves no half report, and an earlier report stays as it was (:class:`OutputError`, exit 5,
    naming the file)."""
    target = out if out is not None else directory / REPORT
    try:
        document = build_report(directory).encode("utf-8")
    except OSError as exc:  # its figures are drawn in a temporary folder: a full disk stops them
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(document)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


__all__ = ["REPORT", "build_report", "kind_of", "write_report"]

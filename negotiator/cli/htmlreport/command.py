"""The command line's side of the report: the ``report`` command, the ``--no-report`` option of
``run`` and ``sweep``, and the report they write once their own results are on disk."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from negotiator.cli.htmlreport import REPORT, write_report
from negotiator.errors import NegotiatorError, OutputError


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """``report DIR [--out FILE]``."""
    report = sub.add_parser(
        "report", help="write the HTML report of a run or sweep directory (report.html)"
    )
    report.add_argument("dir", type=Path, help="a run's directory or a sweep's (--out of sweep)")
    report.add_argument("--out", type=Path, help=f"the file to write (DIR/{REPORT})")


def add_no_report(parser: argparse.ArgumentParser) -> None:
    """``--no-report`` for a command that writes a report when it is done."""
    parser.add_argument(
        "--no-report", action="store_true", help=f"do not write {REPORT} (the HTML report)"
    )


def cmd_report(args: argparse.Namespace) -> int:
    """``report``: (re)build the report of a run's or a sweep's directory from its files."""
    path = write_report(args.dir, args.out)
    print(f"report: {path}")
    return 0


def report_after(args: argparse.Namespace, directory: Path) -> int:
    """Write the report of a run or sweep whose results are already written; the exit code.
    A report that cannot be written is one line on stderr and exit code 5, the results left as
    they are; with ``--json`` nothing else is printed, so stdout stays one JSON object."""
    if getattr(args, "no_report", False):
        return 0
    try:
        path = write_report(directory)
    except (NegotiatorError, OSError) as exc:
        reason = f"{exc.filename}: {exc.strerror or exc}" if isinstance(exc, OSError) else exc
        print(
            f"negotiator: error: {REPORT} not written ({reason}); the results are in {directory}",
            file=sys.stderr,
        )
        return OutputError.exit_code
    if not args.json:
        print(f"report: {path}")
    return 0

"""The entry point: parse the arguments, run the command, turn every error into a line on stderr
and an exit code (see :mod:`negotiator.cli` for the codes)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable

from negotiator.cli.commands import cmd_analyze, cmd_replay, cmd_run, cmd_sweep, cmd_tournament
from negotiator.cli.distributed import cmd_agent, cmd_agent_host, cmd_keys, cmd_mediator
from negotiator.cli.htmlreport.command import cmd_report
from negotiator.cli.interop import cmd_export, cmd_import
from negotiator.cli.parser import build_parser, default_run
from negotiator.errors import ConfigError, NegotiatorError, OutputError
from negotiator.interrupts import Terminated, on_signal

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "analyze": cmd_analyze,
    "tournament": cmd_tournament,
    "replay": cmd_replay,
    "sweep": cmd_sweep,
    "mediator": cmd_mediator,
    "agent": cmd_agent,
    "agent-host": cmd_agent_host,
    "keys": cmd_keys,
    "import": cmd_import,
    "export": cmd_export,
    "report": cmd_report,
}
"""Each sub-command's function: parsed arguments → exit code."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit code. With no
    command, the default scenario is run (with the top-level ``--set`` and ``--seed``)."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
    try:
        if args.command is None:
            args = build_parser().parse_args(default_run(args))
        elif args.default_overrides or args.default_seed is not None:
            raise ConfigError(
                f"--set and --seed before a command are for the default run; write them after "
                f"{args.command!r}"
            )
        command = COMMANDS.get(args.command)
        if command is not None:
            return command(args)
    except NegotiatorError as exc:
        print(f"negotiator: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("negotiator: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.filename is None:
            raise
        # a file the command reads or writes (a plot, a report, a table): one line, exit 5
        print(f"negotiator: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return OutputError.exit_code
    except Exception as exc:
        if isinstance(exc, Terminated):
            print("negotiator: terminated", file=sys.stderr)
            return 143
        raise
    return 2  # pragma: no cover - argparse rejects unknown commands

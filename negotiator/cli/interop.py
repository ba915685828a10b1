"""The commands that exchange domains with other tools: ``import genius`` (Genius XML → a config)
and ``export genius`` (a config → Genius XML). See ``docs/genius.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from negotiator.errors import ConfigError, OutputError


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Declare ``import genius`` and ``export genius`` on the command line's sub-commands."""
    imp = sub.add_parser("import", help="make a config from another tool's domain (genius)")
    formats = imp.add_subparsers(
        dest="format", metavar="FORMAT", required=True, parser_class=type(imp)
    )
    genius = formats.add_parser("genius", help="a Genius domain XML and one profile per party")
    genius.add_argument("domain", type=Path, help="the Genius domain file (negotiation_template)")
    genius.add_argument("profiles", type=Path, nargs="+", help="one profile (utility_space) each")
    genius.add_argument(
        "--out", type=Path, metavar="CONFIG.toml", help="write the config here (default: stdout)"
    )
    genius.add_argument(
        "--step",
        action="append",
        default=[],
        metavar="[ISSUE=]S",
        help="grid step of integer and real issues (all, or the one named); integers default to 1",
    )
    genius.add_argument(
        "--normalize-weights",
        action="store_true",
        help="divide each profile's weights by their sum (needed if they sum above 1)",
    )
    genius.add_argument(
        "--deadline",
        type=int,
        default=60,
        metavar="N",
        help="negotiation.deadline in rounds, over which Genius' discount is spread (60)",
    )
    exp = sub.add_parser("export", help="write a config's domain in another tool's format")
    formats = exp.add_subparsers(
        dest="format", metavar="FORMAT", required=True, parser_class=type(exp)
    )
    genius = formats.add_parser("genius", help="a Genius domain XML and one profile per party")
    genius.add_argument("config", type=Path, help="a config with an explicit [domain]")
    genius.add_argument(
        "--out", type=Path, metavar="DIR", required=True, help="folder for the XML files"
    )


def _steps(specs: list[str]) -> tuple[float | None, dict[str, float]]:
    """``--step S`` (every issue) and ``--step ISSUE=S`` (one issue)."""
    default: float | None = None
    steps: dict[str, float] = {}
    for spec in specs:
        name, _, text = spec.rpartition("=")
        try:
            step = float(text)
        except ValueError:
            raise ConfigError(f"--step {spec!r}: expected S or ISSUE=S, S a number") from None
        if name:
            steps[name] = step
        else:
            default = step
    return default, steps


def cmd_import(args: argparse.Namespace) -> int:
    """``import genius``: print (or write) the config the Genius files describe."""
    from negotiator.interop import ImportOptions, import_genius, to_toml

    step, steps = _steps(args.step)
    options = ImportOptions(
        step=step, steps=steps, normalize_weights=args.normalize_weights, deadline=args.deadline
    )
    data = import_genius(args.domain, args.profiles, options)
    text = to_toml(data, args.domain, args.profiles)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{args.out}: {exc.strerror or exc}") from None
    issues, parties = len(data["domain"]["issues"]), len(data["parties"])
    print(f"wrote {args.out}: {issues} issues, {parties} parties ({', '.join(data['parties'])})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``export genius``: write the Genius domain and profiles of a config into a folder."""
    from negotiator.config import load_config
    from negotiator.interop import export_genius, write_files

    config = load_config(args.config)
    for path in write_files(export_genius(config, str(args.config)), args.out):
        print(path)
    return 0

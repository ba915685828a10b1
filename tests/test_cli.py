"""The command line's structure: every sub-command has a function, and none imports ``agents``."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import negotiator.cli
from negotiator.cli.entry import COMMANDS
from negotiator.cli.parser import build_parser


def test_every_sub_command_has_a_function():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(COMMANDS)


def test_the_command_line_reaches_agents_only_through_the_launcher():
    for module in Path(negotiator.cli.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(
                n == "negotiator.agents" or n.startswith("negotiator.agents.") for n in names
            ), module.name

"""docs/strategies.md: its worked example, copied from the page into a temporary folder and run
from another one, gives the output the page shows; the buyer played the strategy of the file
beside the config (its offers are in the log); the log replays from a third folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "strategies.md"
#: Where the page's example was run (the paths its messages show).
SHOWN = "/tmp/tutorial"

pytestmark = pytest.mark.usefixtures("no_leftover_processes")


def _file(text: str, name: str, language: str) -> str:
    found = re.search(rf"`{re.escape(name)}`.*?\n\n```{language}\n(.*?)```", text, re.S)
    assert found, f"{name} is not on the page"
    return found.group(1)


def _shown(text: str, command: str) -> list[str]:
    """The lines the page shows after ``$ command`` (up to the next command or block end)."""
    block = text[text.index(f"$ {command}\n") + len(command) + 3 :]
    lines = []
    for line in block.splitlines():
        if line.startswith("$ ") or line == "```":
            break
        lines.append(line)
    return lines


def _negotiator(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEGOTIATOR_STRATEGY_PATH"}
    env["PYTHONPATH"] = str(ROOT)  # the negotiator under test; the strategy's folder is not on it
    return subprocess.run(
        [sys.executable, "-m", "negotiator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _example(tmp_path: Path, text: str) -> tuple[Path, Path]:
    """The page's two files in ``tmp_path/mine``, and an empty ``tmp_path/elsewhere``."""
    mine, elsewhere = tmp_path / "mine", tmp_path / "elsewhere"
    mine.mkdir()
    elsewhere.mkdir()
    (mine / "staircase.py").write_text(_file(text, "mine/staircase.py", "python"))
    (mine / "deal.toml").write_text(_file(text, "mine/deal.toml", "toml"))
    return mine, elsewhere


def test_the_worked_example_runs_as_the_page_shows(tmp_path):
    text = PAGE.read_text(encoding="utf-8")
    _, elsewhere = _example(tmp_path, text)

    run = _negotiator(elsewhere, "run", "../mine/deal.toml")
    assert run.returncode == 0, run.stderr
    got = [line.rstrip() for line in run.stdout.splitlines()]
    shown = _shown(text, "python -m negotiator run ../mine/deal.toml")
    assert len(got) == len(shown)
    for real, page in zip(got, shown):
        if page.startswith(("log: runs/staircase-s7-", "report: runs/staircase-s7-")):
            assert re.fullmatch(r"(log|report): runs/staircase-s7-[\d-]+/\S+", real)
            assert real.split("/")[-1] == page.split("/")[-1]
        else:
            assert real == page

    [log] = (elsewhere / "runs").glob("*/events.jsonl")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert events[0]["config"]["parties"]["buyer"]["strategy"] == "staircase:Staircase"
    best = {"price": "low", "delivery": "truck", "warranty": True}
    offers = [e for e in events if e["event"] == "offer" and e["party"] == "buyer"]
    assert [e["round"] for e in offers] == list(range(1, 10))  # it accepts in round 10
    assert all({k: e["outcome"][k] for k in best} == best for e in offers)
    assert all(e["outcome"]["marketing"]["buyer"] == 1.0 for e in offers)

    command = "python -m negotiator replay elsewhere/runs/staircase-s7-*/ --verify --reexecute"
    replay = _negotiator(tmp_path, "replay", str(log.parent), "--verify", "--reexecute")
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines() == _shown(text, command)

    command = "python -m negotiator run ../mine/deal.toml --set parties.buyer.strategy="
    for wrong in ("stairs:Staircase", "staircase:Stairs"):
        failed = _negotiator(
            elsewhere, "run", "../mine/deal.toml", "--set", f"parties.buyer.strategy={wrong}"
        )
        assert failed.returncode == 2
        [page_line] = _shown(text, command + wrong)
        assert failed.stderr == page_line.replace(SHOWN, str(tmp_path)) + "\n"


@pytest.mark.parametrize("transport", ["direct", "ipc"])
def test_a_sweep_finds_the_strategy_beside_its_base_config(tmp_path, transport):
    """An experiment beside the page's config, swept from another folder by two workers: the
    cells are checked, and the pooled agents (ipc) started, with the base config's folder."""
    text = PAGE.read_text(encoding="utf-8")
    mine, elsewhere = _example(tmp_path, text)
    (mine / "steps.toml").write_text(
        'name = "steps"\nbase = "deal.toml"\nseeds = 1\nmetrics = ["agreement"]\n'
        '[grid]\n"parties.buyer.params.steps" = [2, 8]\n'
    )
    swept = _negotiator(
        elsewhere,
        *("sweep", "../mine/steps.toml", "--workers", "2", "--transport", transport),
        *("--out", "out", "--json", "--no-report"),
    )
    assert swept.returncode == 0, swept.stderr
    cells = json.loads(swept.stdout)["cells"]
    assert [c["runs"] for c in cells] == [1, 1]
    logs = sorted((elsewhere / "out" / "runs").glob("*/events.jsonl"))
    assert len(logs) == 2
    for log in logs:
        first = json.loads(log.read_text().splitlines()[0])
        assert first["config"]["parties"]["buyer"]["strategy"] == "staircase:Staircase"
        assert str(mine) in first["runtime"]["strategy_path"]

"""The Python API (docs/api.md): its worked example runs as written and prints what the page
says; a run's digest equals the command line's for the same config and seed; a config given as
a mapping runs as its file does; sweep rows have proper dtypes; bad input is a one-line error."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import negotiator
from negotiator.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"
CASE = "configs/scenarios/yongkang_wuyi_jinyun.toml"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Every ``python`` block of docs/api.md, run in order in one namespace from the root."""
    namespace: dict[str, object] = {"__name__": "docs_api_example"}
    out = io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
        for code in _blocks("python"):
            exec(compile(code, str(PAGE), "exec"), namespace)
    namespace["_stdout"] = out.getvalue()
    return namespace


def test_the_example_prints_what_the_page_shows(example):
    (shown,) = _blocks("text")
    assert example["_stdout"] == shown


def test_the_runs_digest_is_the_command_lines(example, tmp_path):
    result = example["result"]
    cli = subprocess.run(
        [sys.executable, "run.py", "run", CASE, "--seed", "3", "--json", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["final_digest"] == result.digest
    assert result.log.exists() and result.summary.seed == 3


def test_the_sweep_has_two_cells_of_typed_rows(example):
    sweep = example["sweep"]
    rows = sweep.rows
    assert len(rows) == 6 and sorted(rows["cell"].unique()) == [0, 1]
    assert str(rows["negotiation.enabled"].dtype) == "bool"
    assert str(rows["seed"].dtype) == "int64" and str(rows["cell"].dtype) == "int64"
    assert str(rows["agreement"].dtype) == "boolean"
    assert rows.loc[rows["negotiation.enabled"], "agreement"].all()
    assert rows.loc[~rows["negotiation.enabled"], "agreement"].isna().all()
    assert rows["cumulative_payoff"].dtype == float
    (hypothesis,) = sweep.hypotheses
    assert hypothesis.metric == "cumulative_payoff" and hypothesis.n == (3, 3)
    assert hypothesis.verdict in ("held", "did not hold", "inconclusive")
    assert (sweep.directory / "experiment.toml").exists()


def test_the_events_frame_is_the_log(example):
    result = example["result"]
    events = example["events"]
    lines = result.log.read_text().splitlines()
    assert len(events) == len(lines)
    assert list(events.columns[:2]) == ["line", "event"]
    assert events["line"].tolist() == [json.loads(x)["line"] for x in lines]
    votes = example["votes"]
    assert set(votes["event"]) == {"votes"} and "config" not in votes.columns
    periods = example["periods"]
    assert len(periods) == 20 * 3 and set(periods["move"]) <= {"C", "D"}
    assert periods["detected"].dtype == bool


def test_a_mapping_runs_as_its_file_does(tmp_path):
    data = tomllib.loads((ROOT / CASE).read_text())
    data["negotiation"]["deadline"] = 20
    from_mapping = negotiator.run(data, seed=5, out=tmp_path / "a")
    from_file = negotiator.run(
        ROOT / CASE, seed=5, overrides=["negotiation.deadline=20"], out=tmp_path / "b"
    )
    assert from_mapping.digest == from_file.digest
    assert from_mapping.directory.parent == tmp_path / "a"
    again = negotiator.run(from_file.config, transport="inproc", out=tmp_path / "c")
    assert again.digest == from_file.digest


def test_a_temporary_run_folder_lives_as_long_as_its_result():
    result = negotiator.run(ROOT / CASE, overrides=["negotiation.deadline=20"])
    folder = result.directory
    assert (folder / "summary.json").exists()
    del result
    import gc

    gc.collect()
    assert not folder.exists()


def test_bad_input_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"no such config file") as err:
        negotiator.run(tmp_path / "missing.toml")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="negotiation.deadlin"):
        negotiator.load_config(ROOT / CASE, ["negotiation.deadlin=3"])
    with pytest.raises(ConfigError, match="base"):
        negotiator.sweep({"name": "x", "metrics": ["agreement"], "grid": {"run.seed": [1]}})
    with pytest.raises(ConfigError, match="seeds=0"):
        negotiator.sweep(ROOT / "configs/experiments/contract_vs_none.toml", seeds=0)
    with pytest.raises(ConfigError, match="nothing to analyze"):
        negotiator.analyze(ROOT / "configs/scenarios/prisoners_dilemma.toml")


def test_analyze_is_the_command_lines(capsys):
    from negotiator.cli import main

    assert main(["analyze", "configs/domains/buyer_seller.toml", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    analysis = negotiator.analyze(ROOT / "configs/domains/buyer_seller.toml")
    assert json.loads(json.dumps(analysis.to_json())) == printed
    assert len(analysis.pareto) == len(printed["pareto"])
    assert analysis.solutions.loc["nash", "u_buyer"] == printed["nash"]["utilities"]["buyer"]


def test_the_api_is_loaded_on_first_use():
    code = "import sys, negotiator; print('negotiator.api' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]
    assert negotiator.run is negotiator.api.run
    with pytest.raises(AttributeError):
        negotiator.no_such_function  # noqa: B018


def test_a_loaded_config_takes_overrides_of_sections_it_lacks(tmp_path):
    domain = ROOT / "configs/domains/buyer_seller.toml"
    change = ["negotiation.deadline=8"]
    loaded = negotiator.load_config(domain)
    assert loaded.implementation is None
    from_config = negotiator.load_config(loaded, [*change, "implementation.periods=5"], seed=4)
    from_path = negotiator.load_config(domain, [*change, "implementation.periods=5"], seed=4)
    assert from_config == from_path
    a = negotiator.run(loaded, overrides=change, seed=4, out=tmp_path / "a")
    b = negotiator.run(domain, overrides=change, seed=4, out=tmp_path / "b")
    assert a.digest == b.digest


def test_api_misuse_is_a_one_line_config_error():
    with pytest.raises(ConfigError, match=r"unknown transport 'dirct' \(did you mean 'direct'"):
        negotiator.run(ROOT / CASE, transport="dirct")
    with pytest.raises(ConfigError, match="not one string"):
        negotiator.load_config(ROOT / CASE, "negotiation.deadline=30")
    with pytest.raises(ConfigError, match="run"):
        negotiator.load_config({"run": 5}, seed=3)
    with pytest.raises(ConfigError, match="workers=0"):
        negotiator.sweep({"name": "x"}, workers=0)
    with pytest.raises(ConfigError, match=r"^experiment: metrics: required key is missing"):
        negotiator.sweep({"name": "x", "base": CASE, "grid": {"run.seed": [1]}})


def _design(tremble: float) -> dict[str, object]:
    return {
        "name": "tremble",
        "base": str(ROOT / CASE),
        "seeds": 1,
        "metrics": ["compliance_rate"],
        "set": {"negotiation.enabled": False, "implementation.assume_contract": False},
        "grid": {"implementation.tremble": [tremble]},
    }


def test_a_sweep_into_a_folder_of_another_design_is_refused(tmp_path):
    out = tmp_path / "sweep"
    first = negotiator.sweep(_design(0.01), out=out)
    record = (out / "experiment.toml").read_text()
    again = negotiator.sweep(_design(0.01), out=out, seeds=2)  # more seeds: resumed
    assert again.summary.runs.resumed_from == 1 and len(again.rows) == 2
    assert again.rows["final_digest"][0] == first.rows["final_digest"][0]
    with pytest.raises(ConfigError, match="another design") as refused:
        negotiator.sweep(_design(0.5), out=out)
    assert "\n" not in str(refused.value)
    assert (out / "experiment.toml").read_text() == record
    from negotiator.experiments.rows import read_rows

    assert len(read_rows(out / "results.csv")) == 2


def test_the_command_line_refuses_a_changed_design_too(tmp_path, capsys):
    from negotiator.cli import main

    experiment = tmp_path / "tremble.toml"
    import tomli_w

    for tremble, code in ((0.01, 0), (0.01, 0), (0.2, 2)):
        experiment.write_text(tomli_w.dumps(_design(tremble)))
        argv = ["sweep", str(experiment), "--out", str(tmp_path / "out"), "--json", "--no-report"]
        assert main(argv) == code
    assert "holds the runs of another design" in capsys.readouterr().err

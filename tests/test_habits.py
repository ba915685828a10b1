"""Command-line habits (issue 18): ``python -m negotiator``, ``--version``, ``--set`` and
``--seed`` without a command, "did you mean", fixed-notation figures, the live round counter and
what distributed agents say on stderr."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from negotiator import PROTOCOL_VERSION, __version__
from negotiator.cli import main
from tests.conftest import ROOT


def test_python_m_negotiator_and_run_py_print_the_version():
    expected = f"negotiator {__version__} (protocol and event log version {PROTOCOL_VERSION})"
    for entry in (["-m", "negotiator"], [str(ROOT / "run.py")]):
        out = subprocess.run(
            [sys.executable, *entry, "--version"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected


def test_python_m_negotiator_runs_the_same_main(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "negotiator", "analyze", "configs/domains/buyer_seller.toml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "Nash" in out.stdout


def test_set_and_seed_without_a_command_change_the_default_run(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "--set",
            "negotiation.deadline=7",
            "--set",
            "implementation.periods=12",
            "--seed",
            "4",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    [log] = (tmp_path / "runs").glob("*/events.jsonl")
    start = json.loads(log.read_text().splitlines()[0])
    assert start["seed"] == 4
    assert start["config"]["negotiation"]["deadline"] == 7
    assert start["config"]["implementation"]["periods"] == 12
    assert start["runtime"]["config_path"].endswith("yongkang_wuyi_jinyun.toml")


def test_set_without_a_command_is_checked_like_any_other(capsys):
    assert main(["--set", "negotiation.dedline=7"]) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1
        and "unknown key 'negotiation.dedline' (did you mean 'deadline'?)" in err
    )


def test_set_before_a_command_is_refused_in_one_line(capsys):
    assert main(["--set", "negotiation.deadline=7", "analyze", "x.toml"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "negotiator: error: --set and --seed before a command are for the default run; "
        "write them after 'analyze'\n"
    )


def exit_code(argv: list[str]) -> int | str | None:
    """``main(argv)``'s exit code, argparse's included."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


# -- did you mean -------------------------------------------------------------------------------


def test_unknown_names_one_wording_with_a_suggestion_when_one_is_close():
    from negotiator.errors import unknown

    assert unknown("key", "run.sed", ["name", "seed"], compare="sed") == (
        "unknown key 'run.sed' (did you mean 'seed'?)"
    )
    assert unknown("key", "zzz", ["name", "seed"]) == "unknown key 'zzz'"
    assert unknown("metric", "payof", ["payoff", "rounds"], listed=True) == (
        "unknown metric 'payof' (did you mean 'payoff'? known: payoff, rounds)"
    )
    assert unknown("parameter", "x", [], listed=True) == "unknown parameter 'x' (known: none)"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("parties.wuyi.stratgy=1", "unknown key 'parties.wuyi.stratgy' (did you mean 'strategy'?)"),
        ("superior.guidence=1", "unknown key 'superior.guidence' (did you mean 'guidance'?)"),
        (
            "implementation.shocks[0].facor=1",
            "unknown key 'implementation.shocks[0].facor' (did you mean 'factor'?)",
        ),
        ("run.sed=1", "unknown key 'run.sed' (did you mean 'seed'?)"),
        ("nothing_like_it=1", "unknown key 'nothing_like_it'"),
        (
            "parties.wuyi.strategy=bulware",
            "parties.wuyi.strategy: unknown strategy 'bulware' (did you mean 'boulware'? known: "
            "annealer, boulware,",
        ),
        (
            "parties.wuyi.compliance=tit_for_tatt",
            "parties.wuyi.compliance: unknown compliance strategy 'tit_for_tatt' (did you mean "
            "'tit_for_tat'? known: alternator,",
        ),
        (
            "parties.wuyi.params.t00=1",
            "parties.wuyi.params.t00: unknown parameter 't00' (did you mean 't0'? known: ",
        ),
    ],
)
def test_set_and_config_errors_suggest_the_closest_name(override, message):
    from negotiator.config import load_config
    from negotiator.errors import ConfigError
    from tests.conftest import DEFAULT

    extra = ["parties.wuyi.strategy='annealer'"] if "params" in override else []
    with pytest.raises(ConfigError) as caught:
        load_config(DEFAULT, [*extra, override])
    text = str(caught.value)
    assert "\n" not in text and message in text
    if "did you mean" not in message:
        assert "did you mean" not in text


def test_a_key_in_a_file_and_a_metric_of_an_experiment_get_suggestions(tmp_path):
    from negotiator.config import load_config
    from negotiator.errors import ConfigError
    from negotiator.experiments.sweep import load_experiment
    from tests.conftest import BUYER_SELLER

    config = tmp_path / "c.toml"
    config.write_text(BUYER_SELLER.read_text().replace("[negotiation]", "[negotiaton]", 1))
    with pytest.raises(ConfigError, match=r"unknown key 'negotiaton' \(did you mean 'negotiation'"):
        load_config(config)
    experiment = tmp_path / "e.toml"
    experiment.write_text(
        f'name = "e"\nbase = "{BUYER_SELLER}"\nseeds = 1\nmetrics = ["agreement_rat"]\n'
        "[grid]\n'negotiation.deadline' = [5]\n"
    )
    with pytest.raises(ConfigError, match=r"unknown metric 'agreement_rat' \(did you mean"):
        load_experiment(experiment)
    experiment.write_text(
        f'name = "e"\nbase = "{BUYER_SELLER}"\nseeds = 1\nmetrics = ["rounds"]\n'
        "[grid]\n'negotiation.dedline' = [5]\n"
    )
    with pytest.raises(ConfigError, match=r"unknown key 'negotiation.dedline' \(did you mean"):
        load_experiment(experiment)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rn"], "unknown command 'rn' (did you mean 'run'? known: run, analyze,"),
        (
            ["run", "x.toml", "--transport", "dirct"],
            "unknown transport 'dirct' (did you mean 'direct'? known: ipc, tcp, inproc, direct)",
        ),
        (
            ["agent", "configs/scenarios/yongkang_wuyi_jinyun.toml", "--name", "wuy"],
            "--name: unknown party 'wuy' (did you mean 'wuyi'? known: yongkang, wuyi,",
        ),
    ],
)
def test_command_line_names_suggest_the_closest(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    if argv[0] == "agent":
        argv = [*argv, "--connect", "tcp://127.0.0.1:1"]
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


# -- fixed notation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (6130.4, "6,130"),
        (1_234_567.0, "1,234,567"),
        (-6130.4, "-6,130"),
        (999.96, "1,000"),
        (415.24, "415.2"),
        (8.234, "8.23"),
        (-60.0, "-60.00"),
        (0.4123, "0.412"),
        (0.0041234, "0.004"),
        (0.00041234, "0.000412"),
        (-0.00041234, "-0.000412"),
        (1e-15, "0.000000000"),
        (0.0, "0.00"),
        (-0.0, "0.00"),
        (None, "–"),
        (float("nan"), "–"),
        (float("inf"), "∞"),
        (float("-inf"), "-∞"),
    ],
)
def test_a_figure_is_written_in_fixed_notation(x, text):
    from negotiator.cli.numbers import number

    assert number(x) == text


@pytest.mark.parametrize(
    ("mean", "low", "high", "text"),
    [
        (6130.0, 6060.0, 6200.0, "6,130 [6,060, 6,200]"),
        (0.412, 0.388, 0.436, "0.412 [0.388, 0.436]"),
        (129.6, 65.67, 193.5, "129.6 [65.7, 193.5]"),
        (964.8, 847.9, 1082.0, "965 [848, 1,082]"),
        (0.0, -0.044, 0.044, "0.000 [-0.044, 0.044]"),
        (-0.013, -0.026, -0.0002, "-0.013 [-0.026, -0.000]"),
        (0.5, -1.2, 2.2, "0.50 [-1.20, 2.20]"),
        (0.00012, 0.0001, 0.00014, "0.000120 [0.000100, 0.000140]"),
        (3.0, None, None, "3.00"),
        (None, None, None, "–"),
        (float("nan"), 1.0, 2.0, "–"),
        (1.0, float("-inf"), float("inf"), "1.00 [-∞, ∞]"),
    ],
)
def test_an_estimate_and_its_interval_share_their_decimals(mean, low, high, text):
    from negotiator.cli.report import _estimate
    from negotiator.experiments.summary import MetricEstimate

    assert _estimate(MetricEstimate(10, mean, low, high)) == text
    assert "e+" not in text and "e-" not in text


# -- strategies next to the config ---------------------------------------------------------------


def _strategy(folder: Path, module: str, marker: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{module}.py").write_text(
        "from negotiator.agents.compliance import ComplianceStrategy\n\n\n"
        "class Marked(ComplianceStrategy):\n"
        f"    marker = {marker!r}\n\n"
        "    def decide(self, obs):\n"
        "        return 'C'\n"
    )


def test_a_strategy_module_is_looked_for_in_order_and_sys_path_is_left_alone(tmp_path, monkeypatch):
    from negotiator.agents.registry import (
        STRATEGY_PATH_ENV,
        StrategyError,
        resolve_compliance,
        strategy_path,
    )

    config_dir, env_dir, cwd = tmp_path / "config", tmp_path / "env", tmp_path / "cwd"
    module = f"marked_{tmp_path.name.replace('-', '_')}"
    for folder in (config_dir, env_dir, cwd):
        _strategy(folder, module, folder.name)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv(STRATEGY_PATH_ENV, str(env_dir))
    search = strategy_path([config_dir])
    assert search == (str(config_dir), str(env_dir), str(cwd))
    before = list(sys.path)
    expected = ["config", "env", "cwd"]
    try:
        for folder, marker in zip((config_dir, env_dir, cwd), expected):
            sys.modules.pop(module, None)
            assert resolve_compliance(f"{module}:Marked", search).marker == marker
            assert sys.path == before
            (folder / f"{module}.py").unlink()
        sys.modules.pop(module, None)
        with pytest.raises(StrategyError) as caught:
            resolve_compliance(f"{module}:Marked", search)
        assert str(caught.value) == (
            f"cannot import '{module}:Marked': no module '{module}' in {config_dir}, {env_dir}, "
            f"{cwd} or on sys.path"
        )
        assert sys.path == before
    finally:
        sys.modules.pop(module, None)


def test_former_agents_paths_resolve_only_for_shipped_modules(tmp_path):
    """``agents.testing:Silent`` (written before the move) is the shipped strategy; a
    researcher's own package ``agents`` is imported as written."""
    from negotiator.agents.registry import resolve
    from negotiator.agents.testing import Silent

    assert resolve("agents.testing:Silent") is Silent
    own = tmp_path / "agents"
    own.mkdir()
    (own / "__init__.py").write_text("")
    (own / "mystrat.py").write_text(
        "from negotiator.agents.negotiation import Conceder\n\nclass Mine(Conceder):\n    pass\n"
    )
    saved = {n: m for n, m in sys.modules.items() if n == "agents" or n.startswith("agents.")}
    try:
        for name in saved:
            del sys.modules[name]
        cls = resolve("agents.mystrat:Mine", (str(tmp_path),))
        assert cls.__module__ == "agents.mystrat" and cls.__name__ == "Mine"
    finally:
        for name in [n for n in sys.modules if n == "agents" or n.startswith("agents.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_a_config_finds_the_strategy_beside_it_from_another_folder(tmp_path, monkeypatch):
    from negotiator.config import load_config
    from tests.conftest import CONFIGS

    module = f"beside_{tmp_path.name.replace('-', '_')}"
    folder = tmp_path / "mine"
    _strategy(folder, module, "beside")
    config = folder / "pd.toml"
    config.write_text((CONFIGS / "scenarios" / "prisoners_dilemma.toml").read_text())
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.delenv("NEGOTIATOR_STRATEGY_PATH", raising=False)
    try:
        loaded = load_config(config, [f"parties.row.compliance='{module}:Marked'"])
        assert loaded.parties["row"].compliance == f"{module}:Marked"
        assert sys.modules[module].__file__ == str(folder / f"{module}.py")
    finally:
        sys.modules.pop(module, None)


# -- the live counter ----------------------------------------------------------------------------


def test_the_runner_tells_its_progress_round_by_round_then_period_by_period(tmp_path):
    from negotiator.runtime.runner import RunOptions, run
    from tests.conftest import DEFAULT, load

    config = load(DEFAULT, "implementation.periods=12")
    seen: list[tuple[str, int, int]] = []
    result = run(
        config,
        RunOptions(
            transport="direct",
            out=tmp_path,
            progress=lambda *step: seen.append(step),
        ),
    )
    rounds = [s for s in seen if s[0] == "round"]
    periods = [s for s in seen if s[0] == "period"]
    assert seen == rounds + periods  # phase 1, then phase 2
    assert rounds == [("round", r, 60) for r in range(1, len(rounds) + 1)]
    assert len(rounds) == result.summary.negotiation.rounds
    assert periods == [("period", p, 12) for p in range(1, 13)]


class _Terminal:
    """A stream that says it is a terminal and keeps what is written to it."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_the_counter_rewrites_one_line_and_clears_it_and_is_silent_off_a_terminal():
    import io

    from negotiator.cli.progress import Counter, live_counter

    terminal = _Terminal()
    clock = iter([0.0, 0.05, 0.2, 0.21, 0.5])
    with live_counter(terminal) as counter:
        assert isinstance(counter, Counter)
        counter.clock = lambda: next(clock)
        counter("round", 1, 40)
        counter("round", 2, 40)  # 0.05 s later: not written
        counter("round", 12, 40)
        counter("round", 40, 40)  # the last: always written
        counter("period", 3, 20)
    assert terminal.text == (
        "\rround 1/40\rround 12/40\rround 40/40\rperiod 3/20\r" + " " * len("period 3/20") + "\r"
    )
    piped = io.StringIO()
    with live_counter(piped) as counter:
        assert counter is None
    assert piped.getvalue() == ""


def test_a_run_on_a_terminal_shows_the_counter_and_a_piped_one_does_not(tmp_path):
    import os
    import select

    args = [sys.executable, str(ROOT / "run.py"), "run", "configs/domains/buyer_seller.toml"]
    args += ["--transport", "direct", "--out", str(tmp_path), "--json"]
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
        )
        os.close(slave)
        slave = -1
        seen = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, "no end of the run's stderr within 60 s"
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        out, _ = proc.communicate(timeout=60)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0
    text = seen.decode()
    assert text.startswith("\rround 1/20")
    shown = [part for part in text.split("\r") if part.strip()]
    assert all(re.fullmatch(r"round \d+/20 *", part) for part in shown)
    assert text.endswith("\r" + " " * max(len(part) for part in shown) + "\r")
    assert json.loads(out)["agreement"] is not None
    piped = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stderr == ""


# -- what distributed agents say ------------------------------------------------------------------


def _agent(procs, *args: str, name: str = "wuyi", **kw) -> subprocess.Popen[str]:
    from tests.conftest import DEFAULT, default_sigint

    return procs.start(
        "agent",
        str(DEFAULT),
        "--name",
        name,
        "--insecure",
        *args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
        **kw,
    )


def _said(proc: subprocess.Popen[str], timeout: float = 60) -> list[str]:
    """What an agent process wrote on stderr, the --insecure warning left out."""
    _, err = proc.communicate(timeout=timeout)
    return [line for line in err.splitlines() if "warning: --insecure" not in line]


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_an_agent_says_when_it_joined_and_how_its_mediator_went(procs):
    """Against a hub played by the test: silence from the start, a hello answered once and then
    silence, and Ctrl-C."""
    import signal

    import zmq

    from negotiator.io.wire import Codec

    context = zmq.Context()
    hub = context.socket(zmq.ROUTER)
    try:
        port = hub.bind_to_random_port("tcp://127.0.0.1")
        endpoint = f"tcp://127.0.0.1:{port}"
        nobody = _agent(procs, "--connect", "tcp://127.0.0.1:9", "--join-timeout", "1")
        assert _said(nobody) == ["negotiator agent wuyi: ended: no mediator after 1 s"]
        assert nobody.returncode == 3

        gone = _agent(procs, "--connect", endpoint, "--idle-timeout", "1")
        assert hub.poll(60_000), "no hello from the agent"
        identity, _ = hub.recv_multipart()
        hub.send_multipart([identity, Codec("mediator").pack("heartbeat", {})])
        assert _said(gone) == ["negotiator agent wuyi: ended: mediator gone after 1 s"]
        assert gone.returncode == 3

        stopped = _agent(procs, "--connect", endpoint, name="jinyun")
        while True:  # the heartbeats of the last agent may come first
            assert hub.poll(60_000), "no hello from the agent"
            identity, _ = hub.recv_multipart()
            if identity == b"jinyun":
                break
        stopped.send_signal(signal.SIGINT)
        assert _said(stopped) == ["negotiator agent jinyun: ended: interrupted"]
        assert stopped.returncode == 130
    finally:
        hub.close(linger=0)
        context.term()


def _expelling_hub(procs, tmp_path) -> tuple[subprocess.Popen[str], str]:
    """A mediator of the buyer and seller whose seller is expelled, and its endpoint."""
    from tests.conftest import BUYER_SELLER

    med = procs.start(
        "mediator",
        str(BUYER_SELLER),
        "--bind",
        "tcp://127.0.0.1:0",
        "--insecure",
        "--out",
        str(tmp_path),
        "--json",
        "--set",
        "parties.seller.strategy='negotiator.agents.testing:AlwaysInvalid'",
        "--set",
        "mediator.expel_after=6",
        "--set",
        "negotiation.deadline=8",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = ""
    while "listening on" not in line:
        line = med.stderr.readline()
        assert line, "the mediator said nothing"
    return med, line.split()[-1]


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_agents_of_a_distributed_run_say_they_joined_and_finished_or_were_expelled(procs, tmp_path):
    from tests.conftest import BUYER_SELLER

    med, endpoint = _expelling_hub(procs, tmp_path)
    agents = {
        name: procs.start(
            "agent",
            str(BUYER_SELLER),
            "--name",
            name,
            "--connect",
            endpoint,
            "--insecure",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name in ("buyer", "seller")
    }
    out, err = med.communicate(timeout=120)
    assert med.returncode == 0, err
    assert json.loads(out)["absent"] == ["seller"]
    assert _said(agents["buyer"]) == [
        f"negotiator agent buyer: joined {endpoint} as buyer",
        "negotiator agent buyer: ended: run finished",
    ]
    assert _said(agents["seller"]) == [
        f"negotiator agent seller: joined {endpoint} as seller",
        "negotiator agent seller: ended: expelled",
    ]
    assert [a.returncode for a in agents.values()] == [0, 0]


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_the_agents_of_a_local_run_stay_quiet(tmp_path):
    from tests.conftest import BUYER_SELLER, cli

    for extra in ([], ["--hosts", "2"]):
        proc = cli("run", str(BUYER_SELLER), "--out", str(tmp_path), "--json", *extra)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_an_agent_host_says_when_its_parties_joined_and_who_was_expelled(procs, tmp_path):
    from tests.conftest import BUYER_SELLER

    med, endpoint = _expelling_hub(procs, tmp_path)
    host = procs.start(
        "agent-host",
        str(BUYER_SELLER),
        "--names",
        "buyer,seller",
        "--connect",
        endpoint,
        "--insecure",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = med.communicate(timeout=120)
    assert med.returncode == 0, err
    assert _said(host) == [
        f"negotiator agent-host host: joined {endpoint} as buyer, seller",
        "negotiator agent-host host: ended: run finished; expelled: seller",
    ]
    assert host.returncode == 0


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_a_library_caller_runs_a_strategy_beside_its_config_with_agent_processes(
    tmp_path, monkeypatch
):
    """``run(load_config(path))`` without ``config_path``: the agent processes are told where the
    module was found, and the log records it; ``sys.path`` is as it was."""
    import shutil

    from negotiator.config import load_config
    from negotiator.runtime.runner import RunOptions, run

    text = (ROOT / "docs" / "strategies.md").read_text(encoding="utf-8")
    module = f"steps_{tmp_path.name.replace('-', '_')}"
    mine = tmp_path / "mine"
    mine.mkdir()
    code = re.search(r"`mine/staircase.py`:\n\n```python\n(.*?)```", text, re.S)
    assert code
    (mine / f"{module}.py").write_text(code.group(1))
    shutil.copy(ROOT / "configs" / "domains" / "buyer_seller.toml", mine / "deal.toml")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.delenv("NEGOTIATOR_STRATEGY_PATH", raising=False)
    before = list(sys.path)
    try:
        config = load_config(mine / "deal.toml", [f"parties.buyer.strategy='{module}:Staircase'"])
        result = run(config, RunOptions(transport="ipc", out=tmp_path / "runs"))
    finally:
        sys.modules.pop(module, None)
    assert sys.path == before
    assert result.summary.negotiation.rounds > 0
    events = [json.loads(line) for line in (result.run_dir / "events.jsonl").open()]
    assert events[0]["runtime"]["strategy_path"][0] == str(mine)
    assert any(e["event"] == "offer" and e["party"] == "buyer" for e in events)

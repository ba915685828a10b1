"""The HTML report (docs/report.md): what a run's and a sweep's report hold, taken from their
files; escaping of every text from a config, a summary or a log; a rebuild equal to the report
the command wrote; one-line errors; and the page as a real browser renders it, with nothing
requested from the network."""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import html
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from negotiator.cli.htmlreport import REPORT, build_report, write_report
from negotiator.cli.htmlreport.page import Image, figure, inline_svg, table, tag
from negotiator.replay import load_log, timeline, verify
from tests.conftest import DEFAULT, ROOT, cli

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"
HOSTILE = "<img src=x onerror=alert(1)>"

#: The default case, short: a demand slump and a renegotiation in period 8, a rotation in 12.
RUN_ARGS = (
    "--transport",
    "direct",
    "--set",
    "implementation.periods=12",
    "--set",
    "implementation.renegotiation_trigger='threshold'",
    "--set",
    "scenario.units='<script>alert(\"units\")</script> & co'",
)

SWEEP = """
name = "report_check"
description = "A <script>alert('description')</script> sweep & more"
base = "{base}"
seeds = 2
root_seed = 3
metrics = ["compliance_rate", "cumulative_payoff", "breakdown_period"]

[units]
cumulative_payoff = "money <b>bold</b>"

[set]
"implementation.periods" = 6
"implementation.shocks" = []

[grid]
"mediator.transparency" = ["private", "public"]
"implementation.detection" = [0.3, 0.8]

[[zip]]
"label.population" = ["{hostile}", "plain"]
"parties.wuyi.compliance" = ["tit_for_tat", "cooperator"]

[[hypotheses]]
claim = "compliance_rate: public > private"
text = "publication <em>helps</em> & it \\"works\\""

[[maps]]
metric = "compliance_rate"
mechanism = "mediator.transparency"
on = "public"
off = "private"
x = "implementation.detection"
y = "label.population"
title = "<u>what publication adds</u>"
"""


def short_pd(out: Path, periods: int) -> list[str]:
    """``run`` of the Prisoner's Dilemma (no negotiation), ``periods`` long, agents direct."""
    return [
        "run",
        str(PD),
        "--out",
        str(out),
        "--transport",
        "direct",
        "--set",
        f"implementation.periods={periods}",
    ]


class Page(HTMLParser):
    """The parts of a report a test reads: its tables (caption and cell texts), section ids,
    figures, and every attribute that could refer to a resource."""

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self.sections: list[str] = []
        self.references: list[str] = []
        self.tags: list[str] = []
        self.figures = 0
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self.feed(document)
        self.close()

    def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(name)
        found = dict(attrs)
        for key, value in attrs:
            if key in ("src", "href", "xlink:href", "srcset", "poster", "data", "action"):
                self.references.append(value or "")
        if name == "section":
            self.sections.append(found.get("id") or "")
        elif name == "figure":
            self.figures += 1
        elif name == "table":
            self.tables.append({"caption": "", "rows": []})
        elif name == "caption":
            self._caption = []
        elif name == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif name in ("td", "th"):
            self._cell = []

    def handle_endtag(self, name: str) -> None:
        if name in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif name == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)

    def table(self, caption_start: str) -> list[list[str]]:
        found = [t for t in self.tables if t["caption"].startswith(caption_start)]
        assert found, (caption_start, [t["caption"] for t in self.tables])
        return found[0]["rows"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    proc = cli("run", str(DEFAULT), "--out", str(out), *RUN_ARGS)
    assert proc.returncode == 0, proc.stderr
    (folder,) = out.iterdir()
    assert f"report: {folder / REPORT}" in proc.stdout
    return folder


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    experiment = folder / "report_check.toml"
    experiment.write_text(SWEEP.format(base=DEFAULT, hostile=HOSTILE))
    out = folder / "out"
    proc = cli("sweep", str(experiment), "--out", str(out), "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["experiment"] == "report_check"  # stdout: the JSON only
    return out


def test_a_run_report_holds_the_runs_data(run_dir):
    document = (run_dir / REPORT).read_text()
    summary = json.loads((run_dir / "summary.json").read_text())
    _, events = load_log(run_dir)
    config = events[0]["config"]
    page = Page(document)
    assert page.sections == [
        "summary",
        "parties",
        "contract",
        "negotiation",
        "implementation",
        "timeline",
        "log",
    ]
    parties = {row[0]: row for row in page.table("Parties")[1:]}
    assert set(parties) == {"yongkang", "wuyi", "jinyun", "zhejiang"}
    for name in ("yongkang", "wuyi", "jinyun"):
        spec = config["parties"][name]
        row = parties[name]
        assert row[2] == spec["strategy"] and row[3] == spec["compliance"]
        assert row[5] == f"{spec['discount']:.2f}"
        reservation = summary["reservation"][name]
        assert row[6] == (f"{reservation:.1f}" if reservation >= 100 else f"{reservation:.2f}")
    contract = {row[0]: row[1:] for row in page.table("Issues and terms")[1:]}
    assert set(contract) == set(summary["contract"])
    assert contract["env_standard"][1] == summary["contract"]["env_standard"]
    metrics = dict(page.table("Phase-1 metrics")[1:])
    assert metrics["rounds"] == str(summary["rounds"])
    impl = summary["implementation"]
    # the compliance map: every government's moves, caught marked, shocks and renegotiation
    grid = page.table("Compliance map, periods 1–12")
    assert grid[0][1:] == [str(p) for p in range(1, 13)]
    marks = grid[1][1:]
    assert "S" in marks[7] and "R" in marks[7] and marks[11] == "S"  # periods 8 and 12
    periods = [e for e in events if e["event"] == "period"]
    for row in grid[2:]:
        government = row[0]
        assert "".join(c[0] for c in row[1:]) == impl["moves"][government]
        caught = [i + 1 for i, c in enumerate(row[1:]) if "×" in c]
        assert caught == [e["period"] for e in periods if government in e["detected"]]
    assert "period 8: demand shock" in document and "period 12: rotation shock (wuyi)" in document
    # the timeline, row for row, with who saw each event
    rows = timeline(events)
    shown = page.table("Timeline")[1:]
    assert [int(r[0]) for r in shown] == [r["line"] for r in rows]
    assert [r[6] for r in shown] == [r["visible_to"] for r in rows]
    # the log: its digest, the summary's, and the verification
    assert summary["final_digest"] == events[-1]["digest"]
    assert document.count(summary["final_digest"]) >= 3
    assert verify(run_dir).ok and ">verifies</span>" in document
    # the figures: the dance, the compliance map and compliance over time, inline and labelled
    assert page.figures == 3 and document.count("<svg") == 3
    assert len(re.findall(r'<svg [^>]*role="img" aria-labelledby="fig\d-title"', document)) == 3


def test_a_sweep_report_holds_the_sweeps_data(sweep_dir):
    document = (sweep_dir / REPORT).read_text()
    summary = json.loads((sweep_dir / "summary.json").read_text())
    page = Page(document)
    assert page.sections == ["summary", "hypotheses", "cells", "maps", "survival", "figures"]
    (hypothesis,) = summary["hypotheses"]
    verdicts = page.table("Hypotheses and verdicts")[1:]
    assert verdicts[0][0] == hypothesis["verdict"] and verdicts[0][2] == "compliance_rate"
    assert verdicts[0][6] == f"{hypothesis['n'][0]} vs {hypothesis['n'][1]}"
    cells = page.table("Mean and [95 % CI] by cell")[1:]
    assert len(cells) == len(summary["cells"]) == 8
    for row, cell in zip(cells, summary["cells"]):
        assert row[0] == str(cell["cell"]) and row[2] == str(cell["runs"]) == "2"
        for column, metric in ((3, "compliance_rate"), (4, "cumulative_payoff")):
            estimate = cell["metrics"][metric]
            mean, interval = row[column].split(" ", 1)
            assert float(mean.replace(",", "")) == pytest.approx(
                estimate["mean"], rel=1e-3, abs=1e-3
            )
            low, high = (float(v.replace(",", "")) for v in interval.strip("[]").split(", "))
            assert (low, high) == pytest.approx(
                (estimate["low"], estimate["high"]), rel=1e-3, abs=1e-3
            )
        breakdown = cell["metrics"]["breakdown_period"]
        if breakdown["n"] not in (0, cell["runs"]):
            assert f"n = {breakdown['n']}" in row[5]
    assert len(summary["maps"]) == 1
    grid = page.table(html.unescape("&lt;u&gt;what publication adds"))
    assert grid[0][1:] == ["0.3", "0.8"] and [r[0] for r in grid[1:]] == [HOSTILE, "plain"]
    assert all(c.endswith(" n = 2 vs 2") for r in grid[1:] for c in r[1:] if c != "–")
    cells = {(c["x"], c["y"]): c for c in summary["maps"][0]["cells"]}
    for row, y in zip(grid[1:], [HOSTILE, "plain"]):
        for shown, x in zip(row[1:], [0.3, 0.8]):
            cell = cells[(x, y)]
            if cell["effect"] is None:
                assert shown == "–"
                continue
            effect, *rest = shown.split(" ")
            assert float(effect.replace(",", "")) == pytest.approx(cell["effect"], abs=1e-3)
            assert (rest[0] == "*") == cell["excludes_zero"]
    plots = sorted(p.stem for p in (sweep_dir / "plots").iterdir())
    assert page.figures == len(plots) == 5  # three metrics, the map, the survival curves
    assert document.count('src="data:image/png;base64,') == 5
    assert 'alt="compliance_rate: each cell' in document
    assert f"Runs in results.csv</dt><dd>{summary['runs']['total']}</dd>" in document


def test_every_text_from_a_config_summary_or_log_is_escaped(run_dir, sweep_dir, tmp_path):
    sweep = (sweep_dir / REPORT).read_text()
    for raw in (
        "<script>alert('description')</script>",
        HOSTILE,
        "<em>helps</em>",
        "<u>what",
        "<b>bold</b>",
    ):
        assert raw not in sweep
        assert html.escape(raw, quote=True) in sweep
    run = (run_dir / REPORT).read_text()
    assert '<script>alert("units")' not in run
    assert "&lt;script&gt;alert(&quot;units&quot;)&lt;/script&gt; &amp; co" in run
    # a party name written into summary.json by hand
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    text = (copy / "summary.json").read_text()
    (copy / "summary.json").write_text(text.replace('"yongkang"', json.dumps(HOSTILE)))
    document = build_report(copy)
    assert HOSTILE not in document and html.escape(HOSTILE) in document
    page = Page(document)
    assert HOSTILE in [r[0] for r in page.table("Phase 2 by government")]
    assert "<script" not in document.lower() and "<img src=x" not in document
    # the page's own builders
    assert tag("td", HOSTILE, title=f'"{HOSTILE}') == (
        '<td title="&quot;&lt;img src=x onerror=alert(1)&gt;">'
        "&lt;img src=x onerror=alert(1)&gt;</td>"
    )
    assert HOSTILE not in table(HOSTILE, [HOSTILE], [[HOSTILE, HOSTILE]])
    svg = b'<?xml version="1.0"?>\n<svg viewBox="0 0 1 1"><g id="a"><use href="#a"/></g></svg>'
    inlined = inline_svg(svg, HOSTILE, "f1-")
    assert HOSTILE not in inlined and 'id="f1-a"' in inlined and 'href="#f1-a"' in inlined
    png = figure(Image("x", "image/png", b"\x89PNG", f'"{HOSTILE}', HOSTILE), 1)
    assert HOSTILE not in png and 'alt="&quot;&lt;img' in png


#: A resource an attribute (after white space, as attributes are) or a url() refers to.
REFERENCE = re.compile(
    r"""(?:(?<=\s)(?:xlink:)?(?:src|href|srcset|poster|action|data)\s*=\s*["']?|url\()"""
    r"""\s*["']?([^"')\s>]*)"""
)


def references(document: str) -> list[str]:
    """What the markup's tags and style sheets refer to (text, escaped, is not markup)."""
    tags = re.findall(r"<[A-Za-z][^>]*>", document)
    styles = re.findall(r"<style[^>]*>(.*?)</style>", document, re.DOTALL)
    return [ref for part in tags + styles for ref in REFERENCE.findall(part)]


@pytest.mark.parametrize("which", ["run", "sweep"])
def test_the_page_refers_to_nothing_outside_itself(which, run_dir, sweep_dir):
    document = ((run_dir if which == "run" else sweep_dir) / REPORT).read_text()
    found = references(document) + Page(document).references
    assert any(r.startswith("#") for r in found) and any(r.startswith("data:") for r in found)
    for ref in found:
        assert ref.startswith(("#", "data:")), ref
        assert not re.match(r"(?i)\s*(https?:|//|file:|ftp:)", ref), ref
    lowered = document.lower()
    for absent in ("<script", "<iframe", "<object", "<embed", "@import", '<link rel="stylesheet'):
        assert absent not in lowered, absent
    assert set(Page(document).tags) >= {"table", "caption", "th", "figure", "figcaption", "nav"}


def test_a_rebuilt_report_equals_the_written_one(run_dir, sweep_dir, tmp_path):
    for folder in (run_dir, sweep_dir):
        again = tmp_path / f"{folder.name}.html"
        proc = cli("report", str(folder), "--out", str(again))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == f"report: {again}\n"
        assert again.read_bytes() == (folder / REPORT).read_bytes()


def test_a_run_without_a_negotiation_and_no_report_written(tmp_path):
    proc = cli(*short_pd(tmp_path, 30), "--no-report")
    assert proc.returncode == 0, proc.stderr
    (folder,) = tmp_path.iterdir()
    assert not (folder / REPORT).exists() and "report:" not in proc.stdout
    assert write_report(folder) == folder / REPORT
    page = Page((folder / REPORT).read_text())
    assert "negotiation" not in page.sections and "implementation" in page.sections
    assert [t["caption"] for t in page.tables].count("Issues and terms") == 0
    said = "No negotiation: the compliance game was played under the config's terms."
    assert html.escape(said) in (folder / REPORT).read_text()
    first = page.table("Compliance map, periods 1–20")
    rest = page.table("Compliance map, periods 21–30")
    assert [r[0] for r in first[2:]] == [r[0] for r in rest[2:]] == ["row", "col"]
    moves = json.loads((folder / "summary.json").read_text())["implementation"]["moves"]
    for i, government in enumerate(["row", "col"], start=2):
        shown = "".join(c[0] for c in first[i][1:] + rest[i][1:])
        assert shown == moves[government] and len(shown) == 30
    assert not list(folder.glob(".report.html.*"))  # no temporary file left


def test_a_log_that_does_not_verify_is_reported_as_such(run_dir, tmp_path):
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    lines = (copy / "events.jsonl").read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if '"event":"period"' in line)
    lines[number] = lines[number].replace('"moves":{"yongkang":"D"', '"moves":{"yongkang":"C"', 1)
    assert lines[number] != (run_dir / "events.jsonl").read_text().splitlines(True)[number]
    (copy / "events.jsonl").write_text("".join(lines))
    check = verify(copy)
    assert not check.ok and check.line == number + 1
    document = build_report(copy)
    assert '<span class="bad">does not verify</span>: ' + html.escape(check.message) in document
    assert ">verifies</span>" not in document
    page = Page(document)
    assert page.sections[-1] == "log" and "timeline" in page.sections


def _one_line(proc: subprocess.CompletedProcess[str], code: int, *phrases: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("negotiator: error: "), proc.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def test_a_directory_that_is_neither_or_a_broken_file_is_one_line(run_dir, sweep_dir, tmp_path):
    _one_line(cli("report", str(tmp_path)), 2, "neither a run's directory")
    _one_line(cli("report", str(tmp_path / "absent")), 2, "not a directory")
    _one_line(cli("report", str(run_dir / "summary.json")), 2, "not a directory")
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / "summary.json").write_text('{"run_id": "cut')
    _one_line(cli("report", str(run)), 2, "summary.json: not JSON")
    (run / "summary.json").write_text('{"run_id": "x"}')
    _one_line(cli("report", str(run)), 2, "not a run's summary", "KeyError")
    (run / "summary.json").unlink()
    _one_line(cli("report", str(run)), 2, "summary.json: missing")
    shutil.copy(run_dir / "summary.json", run / "summary.json")
    (run / "events.jsonl").write_bytes(b"not json\n")
    _one_line(cli("report", str(run)), 2, "events.jsonl: line 1 is not JSON")
    sweep = tmp_path / "sweep"
    shutil.copytree(sweep_dir, sweep)
    (sweep / "results.csv").unlink()
    _one_line(cli("report", str(sweep)), 2, "results.csv: missing")
    (sweep / "results.csv").write_text("a,b\n1,2\n")
    _one_line(cli("report", str(sweep)), 2, "not a results table (no run_id column)")
    _one_line(
        cli("report", str(run_dir), "--out", str(tmp_path / "no" / "r.html")),
        5,
        "cannot write",
        "No such file or directory",
    )


def _limit_file_size() -> None:  # in the child: files beyond 20 kB fail (a full disk)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def test_a_full_disk_while_writing_leaves_the_old_report_and_no_part(run_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    before = (run / REPORT).read_bytes()
    assert len(before) > 20_000
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "report", str(run)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        preexec_fn=_limit_file_size,
    )
    _one_line(proc, 5, f"cannot write {run / REPORT}", "File too large")
    assert (run / REPORT).read_bytes() == before
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in run_dir.iterdir())


def test_a_report_that_cannot_be_written_leaves_the_runs_results(tmp_path, monkeypatch, capsys):
    from negotiator.cli import entry
    from negotiator.cli.htmlreport import command

    def full(directory: Path, out: Path | None = None) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(directory / REPORT))

    monkeypatch.setattr(command, "write_report", full)
    handler = signal.getsignal(signal.SIGTERM)  # main() installs its own
    try:
        code = entry.main([*short_pd(tmp_path, 10), "--json"])
    finally:
        signal.signal(signal.SIGTERM, handler)
    out, err = capsys.readouterr()
    assert code == 5
    (folder,) = tmp_path.iterdir()
    assert err == (
        f"negotiator: error: {REPORT} not written ({folder / REPORT}: No space left on device); "
        f"the results are in {folder}\n"
    )
    assert json.loads(out)["run_id"] == folder.name  # the run's own output, printed
    assert json.loads((folder / "summary.json").read_text())["run_id"] == folder.name
    assert verify(folder).ok


# --- a real browser ----------------------------------------------------------------------------

BROWSER_ENV = "NEGOTIATOR_REQUIRE_BROWSER"


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser (before the reports are made: a test skipped for want of it costs nothing)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get(BROWSER_ENV):
            pytest.fail(f"{BROWSER_ENV} is set and no chromium is installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


class Browser:
    """A headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    commands on fd 3, answers and events on fd 4, each a JSON text ended by NUL). The protocol's
    ``Network`` events list every request the page makes, whatever its scheme, and nothing of the
    browser's own background traffic (updates, time, sign-in), which is not the page's. That
    traffic is sent to a proxy on a loopback socket the test owns and drops, and host names are
    not resolved, so nothing leaves the machine. The browser runs in a session of its own, with a
    home folder of its own (its profile, and the database of its crash handler, which leaves the
    session); every process of that session or naming that folder is killed at the end, whatever
    happened."""

    def __init__(self, executable: str, home: Path) -> None:
        self.home = home
        self.proxy = socket.socket()
        self.proxy.bind(("127.0.0.1", 0))
        self.proxy.listen(16)
        self.proxied: list[bytes] = []
        threading.Thread(target=self._drop, daemon=True).start()
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()

        def pipes() -> None:  # in the child: the protocol's descriptors 3 and 4
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [
                executable,
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={home / 'profile'}",
                f"--proxy-server=http://127.0.0.1:{self.proxy.getsockname()[1]}",
                "--proxy-bypass-list=<-loopback>",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--no-first-run",
                "--window-size=1280,2000",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=pipes,
            start_new_session=True,
            env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def _drop(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.proxy.accept()
                with conn:
                    conn.settimeout(5)
                    with contextlib.suppress(OSError):
                        self.proxied.append(conn.recv(200).split(b"\r\n")[0])

    def call(self, method: str, timeout: float = 60.0, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        ident = self._next
        answer = self.wait(lambda m: m.get("id") == ident, timeout)
        assert "error" not in answer, answer
        return dict(answer.get("result", {}))

    def wait(self, match: Any, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                self.events.append(message)
                if match(message):
                    return dict(message)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the browser did not answer in time")
            if select.select([self._in], [], [], left)[0]:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise EOFError("the browser closed its pipe")
                self._buffer += chunk

    def open(self, url: str) -> None:
        """A new tab with the page loaded (its load event fired), watched from the start."""
        self.session = ""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.events.clear()
        self.call("Network.enable")
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=2000,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=url)
        self.wait(lambda m: m.get("method") == "Page.loadEventFired")
        self.call("Runtime.evaluate", expression="1", awaitPromise=True)  # a turn of the loop

    def requests(self) -> list[str]:
        return [
            m["params"]["request"]["url"]
            for m in self.events
            if m.get("method") == "Network.requestWillBeSent"
        ]

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def left(self) -> list[int]:
        """The browser's processes still running: in its session, or naming its home folder
        (zombies, ended and waiting for their parent, are not running)."""
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    command = (entry / "cmdline").read_bytes()
                    ours = int(fields[3]) == self.proc.pid or str(self.home).encode() in command
                    if ours and fields[0] != "Z":
                        out.append(int(entry.name))
        return out

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.session = ""
            self.call("Browser.close", timeout=10)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # the whole session the browser led
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while (left := self.left()) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        for fd in (self._in, self._out):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.proxy.close()


def _rendered(path: Path) -> None:
    """A 1280 × 2000 screenshot with something drawn on it: not one colour, text and figures."""
    import matplotlib.image
    import numpy as np

    pixels = np.asarray(matplotlib.image.imread(path))[..., :3]
    assert pixels.shape == (2000, 1280, 3)
    assert float(pixels.std()) > 0.05
    ink = (pixels.mean(axis=2) < 0.5).mean()  # dark pixels: text, lines, figures
    assert 0.005 < ink < 0.5, ink
    rows = (pixels.mean(axis=(1, 2)) < 0.995).mean()
    assert rows > 0.3, rows  # the page fills the window, not a line at its top


@pytest.mark.slow
def test_a_browser_renders_both_reports_and_requests_nothing(
    chromium, run_dir, sweep_dir, tmp_path
):
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><title>c</title><img src="http://example.invalid/x.png" alt="">'
        '<link rel="stylesheet" href="https://example.invalid/s.css">'
    )
    started = time.monotonic()
    browser = Browser(chromium, tmp_path / "home")
    try:
        browser.open(control.as_uri())  # the check sees a page's requests
        assert set(browser.requests()) == {
            control.as_uri(),
            "http://example.invalid/x.png",
            "https://example.invalid/s.css",
        }
        for name, folder in (("run", run_dir), ("sweep", sweep_dir)):
            page = (folder / REPORT).as_uri()
            browser.open(page)
            requests = browser.requests()
            assert requests[0] == page
            assert [r for r in requests[1:] if not r.startswith("data:")] == []
            shot = tmp_path / f"{name}.png"
            browser.screenshot(shot)
            _rendered(shot)
    finally:
        browser.close()
    assert browser.left() == []  # every process the browser started has ended
    print(f"browser test: {time.monotonic() - started:.1f} s")


def test_a_summary_of_another_run_or_a_cut_log_is_flagged_not_verified(run_dir, tmp_path):
    """summary.json from another run beside the log, or a log cut short: the report warns at
    the top and the verdict is not the green "verifies"."""
    other = tmp_path / "other"
    proc = cli("run", str(DEFAULT), "--out", str(other), *RUN_ARGS, "--seed", "9", "--no-report")
    assert proc.returncode == 0, proc.stderr
    (other_run,) = other.iterdir()
    swapped = tmp_path / "swapped"
    shutil.copytree(run_dir, swapped)
    shutil.copy(other_run / "summary.json", swapped / "summary.json")
    document = build_report(swapped)
    page = Page(document)
    assert page.sections[0] == "warning"
    assert "does not come from this log" in document
    assert ">verifies</span>" not in document
    assert "summary.json is not this log&#x27;s</span>" in document

    cut = tmp_path / "cut"
    shutil.copytree(run_dir, cut)
    lines = (cut / "events.jsonl").read_text().splitlines(keepends=True)
    (cut / "events.jsonl").write_text("".join(lines[: len(lines) // 2]))
    document = build_report(cut)
    assert Page(document).sections[0] == "warning" and "not run_finished" in document
    assert ">verifies</span>" not in document and ">incomplete</span>" in document
    assert Page(build_report(run_dir)).sections[0] != "warning"


def test_a_branched_runs_report_shows_the_branchs_config(run_dir, tmp_path):
    out = tmp_path / "branches"
    proc = cli(
        "replay",
        str(run_dir),
        *("--branch", "period:10", "--out", str(out)),
        *("--set", "parties.jinyun.compliance='cooperator'"),
    )
    assert proc.returncode == 0, proc.stderr
    (branch,) = out.iterdir()
    parties = Page(build_report(branch)).table("Parties")
    jinyun = next(row for row in parties if row[0] == "jinyun")
    assert "cooperator" in jinyun and "grudger" not in jinyun


@pytest.mark.parametrize(
    ("path", "value"),
    [(("implementation", "compliance_rate"), "x"), (("implementation", "moves"), [1])],
)
def test_a_summary_with_values_of_the_wrong_type_is_one_line(run_dir, tmp_path, path, value):
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    data = json.loads((broken / "summary.json").read_text())
    target = data
    for key in path[:-1]:
        target = target[key]
    assert path[-1] in target
    target[path[-1]] = value
    (broken / "summary.json").write_text(json.dumps(data))
    _one_line(cli("report", str(broken)), 2, "summary.json: not a run's summary")


def test_figures_are_numbered_in_the_order_the_page_shows_them(run_dir, sweep_dir):
    for folder in (run_dir, sweep_dir):
        numbers = [int(n) for n in re.findall(r"Figure (\d+)\.", build_report(folder))]
        assert numbers and numbers == list(range(1, len(numbers) + 1)), numbers

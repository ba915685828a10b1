"""Figures: the negotiation dance (single text and SAOP), the utility-space view, the compliance
map, the sweep plots, the palette and the file formats (docs/replay.md, docs/experiments.md)."""

from __future__ import annotations

import math

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage

from negotiator.cli.compliance_map import compliance_figure, read_compliance
from negotiator.cli.plots import (
    compliance_heatmap,
    dance_figure,
    negotiation_dance,
    utility_space,
    utility_space_figure,
)
from negotiator.experiments import labels, style
from negotiator.experiments.design import factors
from negotiator.experiments.figures import metric_figure, plot_metrics
from negotiator.experiments.metrics import BINARY, METRICS
from negotiator.experiments.summary import Cell, MetricEstimate, SweepSummary
from negotiator.model.analysis import analyze
from negotiator.model.contract import build_setting
from negotiator.replay import load_log
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import DEFAULT, SAOP_DEFAULT, cli, load

GOVERNMENTS = ["yongkang", "wuyi", "jinyun"]
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
#: A short phase 2 whose demand slump in period 4 reopens the contract (docs/model.md §6).
SHOCKED = (
    "implementation.periods=6",
    "implementation.shocks=[{kind='demand', at=[4], factor=0.05}]",
    "implementation.discount=0.75",
    "implementation.renegotiation='always'",
    *(f"parties.{p}.compliance='conditional_cooperator'" for p in GOVERNMENTS),
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The flagship single text (the plan, no mutation accepted), a 3-party SAOP (phase 2 of one
    period) and a shocked, renegotiated phase 2: (config, events, run directory) of each."""
    out = tmp_path_factory.mktemp("figure-runs")
    configs = {
        "single_text": load(DEFAULT, "implementation.periods=3", "implementation.shocks=[]"),
        "saop": load(
            DEFAULT, *SAOP_DEFAULT, "implementation.periods=1", "implementation.shocks=[]"
        ),
        "shocked": load(DEFAULT, *SHOCKED),
    }
    logs = {}
    for name, config in configs.items():
        result = run(config, RunOptions(out=out, transport="direct"))
        logs[name] = (config, load_log(result.run_dir)[1], result.run_dir)
    return logs


def _events(events, kind):
    return [e for e in events if e["event"] == kind]


def _first_session(events):
    end = next(i for i, e in enumerate(events) if e["event"] == "negotiation_end")
    return events[:end]


def _normalised(config, outcome):
    setting = build_setting(config)
    o = setting.domain.encode(outcome)
    return {p: setting.utilities[p].normalize(setting.utilities[p](o)) for p in GOVERNMENTS}


def _labelled(ax, label):
    return [line for line in ax.get_lines() if line.get_label() == label]


def _drawn(fig):
    fig.draw_without_rendering()
    return fig


# -- the negotiation dance -------------------------------------------------------------------


def test_the_single_text_dance_shows_the_plan_and_every_rejected_proposal(runs):
    config, events, _ = runs["single_text"]
    phase1 = _first_session(events)
    votes = _events(phase1, "votes")
    assert votes and not any(v["accepted"] for v in votes)  # the flagship case: nothing accepted
    plan = _normalised(config, _events(events, "text_start")[0]["text"])
    fig = dance_figure(config, events)
    assert len(fig.axes) == len(GOVERNMENTS)  # one panel per party
    for ax, party in zip(fig.axes, GOVERNMENTS, strict=True):
        assert ax.get_ylabel().startswith(party)
        (text,) = _labelled(ax, "text in force")  # one line per party ...
        assert len(text.get_xdata()) == len(votes) + 1  # ... the start, then every round
        assert list(text.get_ydata()) == pytest.approx([plan[party]] * (len(votes) + 1))
        proposals = _labelled(ax, "proposal")
        assert len(proposals) == len(votes)
        for line, vote in zip(proposals, votes, strict=True):
            assert line.get_ydata()[0] == pytest.approx(
                _normalised(config, vote["proposal"])[party]
            )
            assert line.get_marker() == ("^" if vote["votes"][party] else "v")
            assert line.get_markerfacecolor() == "none"  # rejected: hollow
            assert matplotlib.colors.to_hex(line.get_markeredgecolor()) == style.REJECTED.lower()
        assert len(_labelled(ax, "ratification vote")) == 1
    assert "0 accepted" in fig._suptitle.get_text()


def test_the_saop_dance_has_a_panel_per_party_and_the_legend_outside(runs):
    config, events, _ = runs["saop"]
    offers = _events(_first_session(events), "offer")
    fig = _drawn(dance_figure(config, events))
    assert len(fig.axes) == len(GOVERNMENTS)
    for ax, party in zip(fig.axes, GOVERNMENTS, strict=True):
        assert ax.get_ylabel().startswith(party)
        (own,) = _labelled(ax, f"offers by {party}")  # own offers: joined by a line
        assert len(own.get_xdata()) == sum(o["party"] == party for o in offers)
        others = [c for c in ax.collections if isinstance(c, PathCollection)]
        hollow = [c for c in others if c.get_label().startswith("offers by")]
        assert len(hollow) == len(GOVERNMENTS) - 1  # the others' offers, one series each
        assert all(len(c.get_facecolor()) == 0 or c.get_facecolor()[0][3] == 0 for c in hollow)
        assert len(_labelled(ax, "agreement")) == 1
        assert ax.get_legend() is None
    (legend,) = fig.legends
    box = legend.get_window_extent()
    assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes)
    names = [t.get_text() for t in legend.get_texts()]
    assert {"reservation value", "Nash point", "asymmetric Nash point"} <= set(names)


def test_the_utility_space_marks_the_analysis_nash_point_in_every_pair(runs):
    config, events, _ = runs["saop"]
    setting = build_setting(config)
    nash = analyze(setting.domain, setting.utilities, setting.power).nash
    fig = utility_space_figure(config, events)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3  # the three pairs of three parties
    for ax in panels:
        a = ax.get_xlabel().split()[2]
        b = ax.get_ylabel().split()[2]
        (point,) = _labelled(ax, "Nash point")
        expected = (
            setting.utilities[a].normalize(nash.utilities[a]),
            setting.utilities[b].normalize(nash.utilities[b]),
        )
        assert (point.get_xdata()[0], point.get_ydata()[0]) == pytest.approx(expected)
        reservation = [line for line in ax.get_lines() if line.get_label() == "reservation values"]
        assert reservation[0].get_xdata()[0] == pytest.approx(
            setting.utilities[a].normalized_reservation
        )


def test_a_run_without_phase_1_has_no_dance(tmp_path):
    config = load(
        DEFAULT, "negotiation.enabled=false", "implementation.periods=2", "implementation.shocks=[]"
    )
    events = load_log(run(config, RunOptions(out=tmp_path, transport="direct")).run_dir)[1]
    assert negotiation_dance(config, events, tmp_path / "d.png") is None
    assert utility_space(config, events, tmp_path / "u.png") is None
    assert not list(tmp_path.glob("*.png"))


# -- the compliance map ----------------------------------------------------------------------


def _period(n, moves, detected=(), intended=None):
    event = {"event": "period", "period": n, "moves": moves, "detected": list(detected)}
    return event | ({"intended": intended} if intended else {})


def test_the_compliance_map_marks_and_labels_shocks_and_renegotiations():
    c, d = {"a": "C", "b": "C"}, {"a": "D", "b": "C"}
    events = [
        _period(1, c),
        _period(2, d, detected=["a"]),
        {"event": "shock", "kind": "demand", "period": 3, "factor": 0.5},
        {"event": "renegotiation", "period": 3, "status": "agreed", "changed": True},
        _period(3, c, intended={"a": "D", "b": "C"}),
        {"event": "shock", "kind": "rotation", "period": 4, "government": "b"},
        _period(4, d),
    ]
    fig = _drawn(compliance_figure(events))
    top, bottom = fig.axes[:2]
    vertical = [
        (line.get_xdata()[0], line.get_linestyle())
        for line in top.get_lines()
        if len(set(line.get_xdata())) == 1 and line.get_xdata()[0] % 1 != 0
    ]
    assert sorted(vertical) == [(2.44, "--"), (2.56, "-"), (3.5, "--")]  # side by side at 3
    (labels_axis,) = [a for a in top.child_axes]
    ticks = dict(
        zip(
            labels_axis.get_xticks(),
            [t.get_text() for t in labels_axis.get_xticklabels()],
            strict=True,
        )
    )
    assert ticks == {2.5: "demand ×0.5\nrenegotiation: agreed, changed", 3.5: "rotation: b"}
    (caught,) = _labelled(top, "detected")
    assert (list(caught.get_xdata()), list(caught.get_ydata())) == ([2], [0])  # a, period 2
    (tremble,) = _labelled(top, "tremble")
    assert (list(tremble.get_xdata()), list(tremble.get_ydata())) == ([3], [0.3])
    (image,) = [i for i in top.get_images() if isinstance(i, AxesImage)]
    colours = [matplotlib.colors.to_hex(image.cmap(x)) for x in (0.0, 1.0)]
    assert colours == [style.DEFECT.lower(), style.COMPLY.lower()]
    (share,) = _labelled(bottom, "share complying")
    assert list(share.get_ydata()) == [1.0, 0.5, 1.0, 0.5]
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "renegotiation" in names and "compliance rate of the run (75%)" in names
    assert "defection detected" in names
    assert any(n.startswith("shock") for n in names) and any("tremble" in n for n in names)
    log = read_compliance(events)
    assert log is not None and log.trembles == [[], [], ["a"], []]


def test_a_real_shock_and_renegotiation_are_marked_at_their_period(runs):
    _, events, _ = runs["shocked"]
    (shock,) = _events(events, "shock")
    (renegotiation,) = _events(events, "renegotiation")
    assert shock["period"] == renegotiation["period"] == 4
    log = read_compliance(events)
    assert [(m.period, m.kind) for m in log.markers] == [(4, "shock"), (4, "renegotiation")]
    assert log.markers[0].label == "demand ×0.05"
    assert log.markers[1].label.startswith(f"renegotiation: {renegotiation['status']}")
    assert compliance_figure(_events(events, "run_started")) is None  # no period, no map


# -- formats, palette, the command line ------------------------------------------------------


MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_figures_are_written_in_the_format_their_suffix_names(runs, tmp_path, fmt):
    _, events, _ = runs["shocked"]
    path = compliance_heatmap(events, tmp_path / f"map.{fmt}")
    assert path == tmp_path / f"map.{fmt}"
    data = path.read_bytes()
    if fmt == "svg":
        assert data.startswith(b"<?xml") and b"<svg" in data[:500]
    else:
        assert data.startswith(MAGIC[fmt])
    if fmt != "png":  # vector formats carry no date: the same figure gives the same bytes
        again = compliance_heatmap(events, tmp_path / f"again.{fmt}")
        assert again.read_bytes() == data


def test_an_unknown_figure_suffix_is_refused(runs, tmp_path):
    _, events, _ = runs["shocked"]
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        compliance_heatmap(events, tmp_path / "map.jpg")
    with pytest.raises(ValueError, match="unknown figure format"):
        style.suffixed(tmp_path / "x", "gif")


def test_the_palette_is_okabe_ito_and_complying_is_not_green_against_red():
    assert list(style.PALETTE) == OKABE_ITO
    assert (style.COMPLY, style.DEFECT) == ("#0072B2", "#D55E00")  # blue, vermillion
    assert style.SEQUENTIAL == "viridis" and style.DIVERGING == "PuOr"
    assert len(set(style.MARKERS)) == len(style.PALETTE)


@pytest.mark.slow
def test_format_option_of_run_and_replay(tmp_path):
    proc = cli(
        "run",
        str(DEFAULT),
        "--set",
        "implementation.periods=3",
        "--set",
        "implementation.shocks=[]",
        "--transport",
        "direct",
        "--out",
        str(tmp_path),
        "--format",
        "svg",
    )
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / "compliance.svg").read_bytes().startswith(b"<?xml")
    assert not (run_dir / "compliance.png").exists()
    proc = cli("replay", str(run_dir), "--plot", "--format", "pdf")
    assert proc.returncode == 0, proc.stderr
    for name in ("negotiation_dance", "utility_space", "compliance_heatmap"):
        assert (run_dir / f"{name}.pdf").read_bytes().startswith(b"%PDF-")
    assert cli("replay", str(run_dir), "--plot", "--format", "jpg").returncode == 2


# -- sweep figures ---------------------------------------------------------------------------


def _cell(i, params, metrics):
    return Cell(cell=i, params=params, runs=5, metrics=metrics)


def _summary(cells, units=None, hidden=()):
    return SweepSummary(
        experiment="test",
        description="",
        seeds=5,
        units=units or {},
        hidden=tuple(hidden),
        cells=tuple(cells),
        hypotheses=(),
        maps=(),
    )


POPULATIONS = ["myopic", "forward-looking", "learning"]


def _two_factor(metric="cumulative_payoff", value=lambda i: 100.0 + i, spread=1.0):
    cells = []
    for i, (enabled, pop) in enumerate((e, p) for e in (True, False) for p in POPULATIONS):
        v = value(i)
        params = {
            "negotiation.enabled": enabled,
            "label.population": pop,
            "parties.a.compliance": pop,
        }
        estimate = MetricEstimate(n=5, mean=v, low=v - spread, high=v + spread)
        cells.append(_cell(i, params, {metric: estimate}))
    return _summary(cells, {"cumulative_payoff": "money, 20 periods"}, ["parties.a.compliance"])


def test_a_two_factor_sweep_is_grouped_with_units_and_n():
    fig = _drawn(metric_figure(_two_factor(), "cumulative_payoff"))
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["true", "false"]  # x: the first
    assert ax.get_xlabel() == "enabled"
    (legend,) = fig.legends
    assert legend.get_title().get_text() == "population"  # series: the last
    assert [t.get_text() for t in legend.get_texts()] == POPULATIONS
    label = ax.get_ylabel()
    assert "Governments' cumulative payoff (money, 20 periods)" in label and "n = 5" in label
    assert [c.get_label() for c in ax.containers] == POPULATIONS  # one errorbar per series
    points = [container.lines[0] for container in ax.containers]
    assert all(len(line.get_xdata()) == 2 for line in points)  # one point per x level
    assert len({line.get_marker() for line in points}) == len(POPULATIONS)  # not colour alone
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in points}
    assert colours <= {c.lower() for c in OKABE_ITO}


def test_a_third_factor_becomes_panels():
    cells = []
    for i, (t, d, p) in enumerate(
        (t, d, p) for t in ("private", "public", "audited") for d in (0.3, 0.9) for p in POPULATIONS
    ):
        params = {"mediator.transparency": t, "implementation.detection": d, "label.population": p}
        cells.append(_cell(i, params, {"detections": MetricEstimate(5, 2.0 + i, 1.0, 3.0 + i)}))
    fig = metric_figure(_summary(cells), "detections")
    assert len(fig.axes) == 2  # one panel per detection
    assert [ax.get_title() for ax in fig.axes] == ["detection=0.3", "detection=0.9"]
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["private", "public", "audited"]
    assert "Defections detected (per run)" in fig.axes[0].get_ylabel()


def test_a_binary_metric_is_a_share_with_wilson_intervals_on_0_1():
    summary = _two_factor("contract_survived", value=lambda i: 0.0 if i < 3 else 0.6, spread=0.0)
    fig = metric_figure(summary, "contract_survived")
    (ax,) = fig.axes
    assert ax.get_ylim() == pytest.approx((-0.03, 1.03))
    assert "share of runs, Wilson 95 % CI; n = 5" in ax.get_ylabel()
    for collection in ax.collections:  # error bars: within [0, 1], never of width zero
        for segment in collection.get_segments():
            (_, y0), (_, y1) = segment
            assert min(y0, y1) >= 0.0 and max(y0, y1) <= 1.0 and abs(y1 - y0) > 0.1
    low, high = labels.wilson(0.0, 5)
    assert low == 0.0 and high == pytest.approx(0.4345, abs=1e-3)  # Wilson's 0 of 5


def test_a_constant_metric_gets_a_sensible_axis_and_says_so():
    summary = _two_factor(value=lambda i: 15.0, spread=0.0)
    fig = _drawn(metric_figure(summary, "cumulative_payoff"))
    (ax,) = fig.axes
    low, high = ax.get_ylim()
    assert low <= 0.0 and high >= 16.0  # not 14.95–15.05
    assert any("15 in every run" in t.get_text() for t in ax.texts)


def test_varying_n_is_written_beside_each_point():
    summary = _two_factor("breakdown_period", value=lambda i: 5.0 + i)
    cells = [
        Cell(
            c.cell,
            c.params,
            c.runs,
            {
                "breakdown_period": MetricEstimate(
                    i % 3, *((None, None, None) if i % 3 == 0 else (5.0 + i, 4.0 + i, 6.0 + i))
                )
            },
        )
        for i, c in enumerate(summary.cells)
    ]
    fig = metric_figure(_summary(cells), "breakdown_period")
    (ax,) = fig.axes
    notes = sorted(t.get_text() for t in ax.texts)
    assert notes == sorted(f"n={i % 3}" for i in range(6))  # n=0 where none broke down
    assert "n = 0–2 (beside each point)" in ax.get_ylabel()


def test_zipped_keys_make_one_factor():
    cells = [
        {"superior.guidance": g, "superior.cofunding": c, "label.population": p}
        for g, c in (("none", 0.0), ("plan", 0.0), ("plan", 0.3))
        for p in POPULATIONS
    ]
    design = factors(cells)
    assert [f.keys for f in design] == [
        ("superior.guidance", "superior.cofunding"),
        ("label.population",),
    ]
    assert design[0].levels == (
        "guidance=none\ncofunding=0.0",
        "guidance=plan\ncofunding=0.0",
        "guidance=plan\ncofunding=0.3",
    )
    same = [{f"parties.{g}.promotion": lam for g in GOVERNMENTS} for lam in (0.0, 0.5)]
    (promotion,) = factors(same)
    assert promotion.name == "promotion (×3)" and promotion.levels == ("0.0", "0.5")
    assert factors([{"a": 1, "b": 2}, {"a": 1, "b": 3}])[0].keys == ("b",)  # a is fixed


def test_plot_metrics_writes_the_format_asked(tmp_path):
    paths = plot_metrics(_two_factor(), tmp_path, "svg")
    assert paths == [tmp_path / "cumulative_payoff.svg"]
    assert paths[0].read_bytes().startswith(b"<?xml")


def test_every_metric_has_a_label_and_the_binary_ones_are_shares():
    assert set(labels.LABELS) == set(METRICS)
    assert {m for m, d in labels.LABELS.items() if d.kind == "binary"} == set(BINARY)
    assert labels.axis_label("regional_welfare", {"regional_welfare": "money, 30 periods"}) == (
        "Regional welfare (money, 30 periods)"
    )
    assert all(d.unit for d in labels.LABELS.values())
    assert math.isclose(sum(labels.wilson(0.5, 100)), 1.0)  # symmetric about one half

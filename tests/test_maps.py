"""Where each claim holds: maps over two parameters, survival curves and Morris screening."""

from __future__ import annotations

import itertools
import math

import pytest

from negotiator.errors import ConfigError
from negotiator.experiments.sweep import execute, load_experiment, plot_metrics
from tests.conftest import DEFAULT
from tests.test_sweep import check_summary_file

MAP = f"""
name = "small_map"
base = "{DEFAULT}"
seeds = 3
root_seed = 3
metrics = ["compliance_rate", "regional_welfare", "contract_survived", "breakdown_period"]

[set]
"implementation.periods" = 6
"implementation.shocks" = []
"implementation.noise" = 0.0
"implementation.assume_contract" = false

[grid]
"negotiation.enabled" = [true, false]
"implementation.detection" = [0.0, 1.0]
"implementation.penalty" = [0.0, 30.0]

[[maps]]
metric = "compliance_rate"
mechanism = "negotiation.enabled"
on = true
off = false
x = "implementation.detection"
y = "implementation.penalty"
"""


def write(tmp_path, text):
    path = tmp_path / "experiment.toml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_a_map_gives_each_cells_effect_with_its_interval_and_plots_it(tmp_path):
    experiment = load_experiment(write(tmp_path, MAP))
    summary = execute(experiment, tmp_path / "out", workers=1, keep_logs=False)
    check_summary_file(
        summary,
        tmp_path / "out",
        "e4cd9c00a874251942ed402b2b5560f424f26beacf37fb7963936a0657230e4f",
    )
    (entry,) = summary.maps
    assert entry.xs == (0.0, 1.0) and entry.ys == (0.0, 30.0)
    cells = {(c.x, c.y): c for c in entry.cells}
    assert all(c.n == (3, 3) for c in cells.values())
    # a fine of 30 caught for sure deters Yongkang's myopic official: the contract then keeps
    # compliance, where without one the race goes on; without detection nothing changes
    deterred = cells[(1.0, 30.0)]
    assert deterred.effect is not None and deterred.effect > 0.5 and deterred.excludes_zero
    assert cells[(0.0, 0.0)].effect == pytest.approx(0.0, abs=0.2)
    paths = plot_metrics(summary, tmp_path / "plots")
    assert (tmp_path / "plots" / "map1-compliance_rate.png") in paths
    assert (tmp_path / "plots" / "survival.png") in paths
    assert summary.survival is not None
    curve = summary.survival[0].surviving
    assert curve[0] == 1.0 and all(0.0 <= v <= 1.0 for v in curve)
    assert all(a >= b for a, b in itertools.pairwise(curve))  # never rises


def test_a_map_must_name_grid_keys_and_collected_metrics(tmp_path):
    bad = MAP.replace('x = "implementation.detection"', 'x = "implementation.noise"')
    with pytest.raises(ConfigError, match="implementation.noise' is not a grid key"):
        load_experiment(write(tmp_path, bad))
    bad = MAP.replace('metric = "compliance_rate"\nmechanism', 'metric = "welfare"\nmechanism')
    with pytest.raises(ConfigError, match="'welfare' is not one of the experiment's metrics"):
        load_experiment(write(tmp_path, bad))


SCREENING = f"""
name = "small_screening"
base = "{DEFAULT}"
seeds = 2
root_seed = 5
metrics = ["compliance_rate"]

[set]
"implementation.periods" = 5
"implementation.shocks" = []
"negotiation.enabled" = true
"implementation.detection" = 1.0

[screening]
trajectories = 3
levels = 4
factors = [
  {{ name = "fine", keys = ["implementation.penalty"], low = 0.0, high = 30.0 }},
  {{ name = "noise", keys = ["implementation.noise"], low = 0.0, high = 0.001 }},
]
"""


@pytest.mark.slow
def test_morris_screening_ranks_the_parameter_that_matters_first(tmp_path):
    experiment = load_experiment(write(tmp_path, SCREENING))
    assert len(experiment.cells) == 3 * (2 + 1)  # r (k + 1) points
    summary = execute(experiment, tmp_path / "out", workers=1, keep_logs=False)
    check_summary_file(
        summary,
        tmp_path / "out",
        "64b3ad01e72f3692ac9404760cedff4fe6497ffa954c8b4c3d654dda274e89a8",
    )
    assert summary.screening is not None
    ranking = summary.screening["compliance_rate"]
    assert ranking[0].factor == "fine"
    assert ranking[0].mu_star > 10 * ranking[1].mu_star
    assert all(math.isfinite(r.mu_star) for r in ranking)
    paths = plot_metrics(summary, tmp_path / "plots")
    assert (tmp_path / "plots" / "screening-compliance_rate.png") in paths


def test_a_screening_experiment_has_no_grid(tmp_path):
    text = SCREENING + '\n[grid]\n"implementation.noise" = [0.0, 1.0]\n'
    with pytest.raises(ConfigError, match=r"a \[screening\] experiment has no \[grid\]"):
        load_experiment(write(tmp_path, text))

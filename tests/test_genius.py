"""Genius XML interop: ``import genius`` and ``export genius`` (docs/genius.md).

The Genius files under ``tests/data/genius`` were written for these tests: ``holiday`` (two
parties, discrete issues whose largest evaluations differ), ``water`` (three parties, file and
issue names that are not config names, an integer issue) and ``market`` (a real issue with a
linear and a triangular evaluator, an integer issue whose lower bound is not 0).
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from negotiator.cli import main
from negotiator.config import config_from_dict, load_config
from negotiator.interop import export_genius, import_genius
from negotiator.interop.names import unique_names
from negotiator.model.analysis import analyze
from negotiator.model.contract import build_setting
from tests.conftest import BUYER_SELLER, DEFAULT

DATA = Path(__file__).resolve().parent / "data" / "genius"
HOLIDAY = [DATA / "holiday" / f for f in ("holiday-domain.xml", "Alice.xml", "Bob.xml")]
WATER = [
    DATA / "water" / f
    for f in ("Joint Water Project.xml", "City A.xml", "City-B.xml", "3rd City.xml")
]
MARKET = [DATA / "market" / f for f in ("Market.xml", "buyer.xml", "seller.xml")]


def _import(tmp_path: Path, files: list[Path], *options: str) -> dict[str, Any]:
    out = tmp_path / "imported.toml"
    assert main(["import", "genius", *map(str, files), "--out", str(out), *options]) == 0
    return tomllib.loads(out.read_text(encoding="utf-8"))


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run a command that must fail on its input: exit 2, one line on stderr, no traceback."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("negotiator: error: ") and err.count("\n") == 1, err
    return err


def _genius_tables(profile: Path) -> dict[str, dict[str, float]]:
    """A profile's discrete tables as Genius defines them, read here without our code:
    weight × evaluation / the issue's largest evaluation."""
    objective = ET.parse(profile).getroot().find("objective")
    assert objective is not None
    weights = {w.get("index"): float(w.get("value", "")) for w in objective.iter("weight")}
    tables = {}
    for issue in objective.iter("issue"):
        evals = {i.get("value", ""): float(i.get("evaluation", "")) for i in issue.iter("item")}
        top = max(evals.values())
        tables[issue.get("name", "")] = {
            v: weights[issue.get("index")] * e / top for v, e in evals.items()
        }
    return tables


# --- names ------------------------------------------------------------------------------------


def test_the_name_rule():
    texts = ["price", "Price", "Hôtel class", "2nd round", "a-b", "a_b", "___", "transfer"]
    assert unique_names(texts, "issue", reserved={"transfer"}) == [
        "price",  # valid: kept
        "price_2",  # taken by the valid one
        "hotel_class",  # accents dropped, lowercase, runs of other characters → _
        "issue_2nd_round",  # must start with a letter
        "a_b_2",  # "a_b" is valid, so it keeps the name whatever the order
        "a_b",
        "issue",  # nothing left
        "transfer_2",  # reserved
    ]
    long = "A very long issue name that goes on and on"
    names = unique_names([long, long + "!"], "issue")
    assert names == ["a_very_long_issue_name_that_goes", "a_very_long_issue_name_that_go_2"]
    assert all(len(n) <= 32 for n in names)


# --- import -----------------------------------------------------------------------------------


def test_values_are_genius_utilities_with_the_largest_evaluation_normalised(tmp_path):
    config = _import(tmp_path, HOLIDAY)
    issues = config["domain"]["issues"]
    assert [(i["name"], i.get("label")) for i in issues] == [
        ("destination", "Destination"),
        ("duration", "Duration"),
        ("hotel_class", "Hotel class"),
        ("travel_by", "Travel by"),
    ]
    assert issues[1] == {
        "name": "duration",
        "label": "Duration",
        "kind": "categorical",
        "values": ["one weekend", "one week", "two weeks"],
    }
    assert list(config["parties"]) == ["alice", "bob"]
    for party, profile in zip(("alice", "bob"), HOLIDAY[1:]):
        spec = config["parties"][party]
        assert spec["label"] == profile.stem
        genius = _genius_tables(profile)
        for issue in issues:
            expected = genius[issue["label"]]
            assert spec["values"][issue["name"]] == pytest.approx(expected, abs=1e-12)
    # the largest evaluations differ (10, 4, 6 and 0.9 for Alice): each issue's best value is
    # worth the weight, whatever the scale of its evaluations
    alice = config["parties"]["alice"]["values"]
    assert [max(t.values()) for t in alice.values()] == [0.4, 0.25, 0.2, 0.15]
    assert alice["destination"]["Paris"] == 0.32  # 0.4 × 8 / 10, not 0.4 × 8
    assert alice["travel_by"]["plane"] == pytest.approx(0.15 * 0.5 / 0.9)
    assert config["parties"]["alice"]["reservation"] == 0.35
    assert config["parties"]["bob"]["reservation"] == 0.3


def test_the_discount_factor_is_spread_over_the_turns(tmp_path):
    config = _import(tmp_path, HOLIDAY, "--deadline", "30")
    assert config["negotiation"] == {"deadline": 30}
    # Alice: d = 0.9 at the deadline → δ per turn with 30 rounds × 2 parties
    delta = config["parties"]["alice"]["discount"]
    assert delta**60 == pytest.approx(0.9, rel=1e-12) and delta < 1
    assert config["parties"]["bob"]["discount"] == 1.0  # no discount_factor: none
    market = _import(tmp_path, MARKET, "--step", "Price=5")
    assert market["parties"]["buyer"]["discount"] == 1.0  # 0 means none, as in Genius
    assert market["parties"]["seller"]["discount"] ** 120 == pytest.approx(0.8, rel=1e-12)


def test_three_parties_with_names_that_are_not_config_names(tmp_path):
    config = _import(tmp_path, WATER)
    assert config["run"]["name"] == "joint_water_project"
    assert {p: s.get("label") for p, s in config["parties"].items()} == {
        "city_a": "City A",
        "city_b": "City-B",
        "party_3rd_city": "3rd City",
    }
    share = config["domain"]["issues"][0]
    assert share == {
        "name": "a_s_cost_share",
        "label": "A's cost share",
        "kind": "ordinal",
        "values": [str(k) for k in range(11)],
    }
    # an integer evaluator is linear, not divided by a largest evaluation: 0.15 × (0.05 x + 0.25)
    third = config["parties"]["party_3rd_city"]["values"]["a_s_cost_share"]
    assert third == pytest.approx({str(x): 0.15 * (0.05 * x + 0.25) for x in range(11)})
    load_config(tmp_path / "imported.toml")  # loads as it is


def test_integer_and_real_issues_are_discretised_with_a_step(tmp_path, capsys):
    err = _error(capsys, ["import", "genius", *map(str, MARKET)])
    assert "issue 'Price' is real-valued (from 10 to 40): give --step Price=S" in err
    err = _error(capsys, ["import", "genius", *map(str, MARKET), "--step", "Price=7"])
    assert "the step 7 does not divide the range" in err
    err = _error(capsys, ["import", "genius", *map(str, MARKET), "--step", "Delivery=1"])
    assert "--step Delivery=...: 'Delivery' is discrete" in err
    err = _error(capsys, ["import", "genius", *map(str, MARKET), "--step", "Cost=1"])
    assert "--step Cost=...: no issue 'Cost' in" in err
    err = _error(capsys, ["import", "genius", *map(str, MARKET), "--step", "0.5"])
    assert "issue 'Quantity': the step must be a whole number" in err
    err = _error(capsys, ["import", "genius", *map(str, MARKET), "--step", "Price=x"])
    assert "--step 'Price=x'" in err
    config = _import(tmp_path, MARKET, "--step", "Price=5")
    price, quantity, delivery = config["domain"]["issues"]
    assert price["kind"] == quantity["kind"] == "ordinal"
    assert price["values"] == ["10", "15", "20", "25", "30", "35", "40"]
    assert quantity["values"] == ["1", "2", "3", "4", "5"]  # integers: step 1 by default
    assert delivery["kind"] == "categorical"
    buyer, seller = (config["parties"][p]["values"] for p in ("buyer", "seller"))
    # real, linear: 0.5 × clamp(1.2 − 0.04 x, 0, 1)
    assert buyer["price"] == pytest.approx(
        {str(x): 0.5 * min(1, max(0, 1.2 - 0.04 * x)) for x in range(10, 41, 5)}
    )
    # real, triangular from 10 up to 35, down to 40: 0.6 × the triangle
    assert seller["price"] == pytest.approx(
        {"10": 0, "15": 0.12, "20": 0.24, "25": 0.36, "30": 0.48, "35": 0.6, "40": 0}
    )
    # integer: slope × (x − lower bound) + offset
    assert buyer["quantity"] == pytest.approx({str(x): 0.3 * 0.25 * (x - 1) for x in range(1, 6)})
    assert seller["quantity"] == pytest.approx(
        {str(x): 0.2 * (0.9 - 0.1 * (x - 1)) for x in range(1, 6)}
    )
    seller = tmp_path / "seller.xml"  # an evaluator type Genius reads but cannot evaluate
    seller.write_text(MARKET[2].read_text(encoding="utf-8").replace("triangular", "faratin"))
    err = _error(
        capsys, ["import", "genius", str(MARKET[0]), str(MARKET[1]), str(seller), "--step", "5"]
    )
    assert "seller.xml: issue 'Price': unknown evaluator type 'faratin'" in err
    fine = _import(tmp_path, MARKET, "--step", "2.5", "--step", "Quantity=2")
    assert fine["domain"]["issues"][0]["values"][:3] == ["10", "12.5", "15"]
    assert fine["domain"]["issues"][1]["values"] == ["1", "3", "5"]


@pytest.mark.parametrize("files", [HOLIDAY, WATER], ids=["holiday", "water"])
def test_analyze_gives_the_pareto_frontier_and_nash_outcome_of_negmas(tmp_path, capsys, files):
    """The "done when" of the issue: NegMAS 0.16 loads the same files; its value tables keep the
    raw evaluations, so they are normalised here as Genius does (per issue: divided by the largest
    evaluation, times the weight) before its Pareto frontier and Nash point are computed, the Nash
    point with the reservation values as the disagreement point, among outcomes strictly better
    than it for everyone (as ``analyze`` defines it). Utilities are compared to 1e-9, the
    analysis' tolerance: the holiday domain has outcomes that tie for Alice in exact arithmetic
    (Rome, one week, 5 stars, car and Rome, one week, 3 stars, train: 0.2 + 0.15 / 9 = 0.2 / 3 +
    0.15), which NegMAS's floating-point sums would set apart by one unit in the last place."""
    pytest.importorskip("negmas")
    from negmas.inout import Scenario
    from negmas.preferences import LinearAdditiveUtilityFunction
    from negmas.preferences.ops import nash_points, pareto_frontier_numpy
    from negmas.preferences.value_fun import TableFun

    _import(tmp_path, files)
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "imported.toml"), "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)

    scenario = Scenario.from_genius_folder(files[0].parent, ignore_discount=True)
    assert scenario is not None
    issues = scenario.outcome_space.issues
    assert [i.name for i in issues] == [i.get("label") for i in _domain_issues(tmp_path)]
    normalised = []
    for u in scenario.ufuns:
        tables = []
        for issue, weight, fun in zip(issues, u.weights, u.values):
            evaluation = {v: float(fun(v)) for v in issue.all}
            if isinstance(fun, TableFun):  # a discrete issue: Genius divides by the largest
                top = max(evaluation.values())
                evaluation = {v: e / top for v, e in evaluation.items()}
            tables.append(TableFun({v: weight * e for v, e in evaluation.items()}))
        normalised.append(
            LinearAdditiveUtilityFunction(
                values=tables,
                weights=[1.0] * len(tables),
                outcome_space=scenario.outcome_space,
                reserved_value=float("-inf"),  # the whole frontier, not only its rational part
                name=u.name,
            )
        )
    outcomes = list(itertools.product(*(list(i.all) for i in issues)))
    points = np.array([[round(u(o), 9) for u in normalised] for o in outcomes])
    indices = pareto_frontier_numpy(points)
    frontier = [outcomes[i] for i in indices]
    assert len(ours["pareto"]) == len(frontier)
    assert {_key(o.values()) for o in ours["pareto"]} == {_key(o) for o in frontier}

    reservations = [u.reserved_value for u in scenario.ufuns]
    gaining = [
        (tuple(points[i]), outcomes[i])
        for i in indices
        if all(x > r for x, r in zip(points[i], reservations))
    ]
    ranges = [(r, max(p[k] for p, _ in gaining)) for k, r in enumerate(reservations)]
    nash = nash_points(normalised, [p for p, _ in gaining], ranges=ranges)
    assert len(nash) == 1
    assert _key(ours["nash"]["outcome"].values()) == _key(gaining[nash[0][1]][1])
    # the same utilities, party by party (NegMAS names the parties after the files too)
    names = {s.get("label", p): p for p, s in _parties(tmp_path).items()}
    for u, x in zip(normalised, nash[0][0]):
        assert ours["nash"]["utilities"][names[u.name]] == pytest.approx(x, abs=1e-9)


def _key(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _domain_issues(tmp_path: Path) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = _read(tmp_path / "imported.toml")["domain"]["issues"]
    return issues


def _parties(tmp_path: Path) -> dict[str, dict[str, Any]]:
    parties: dict[str, dict[str, Any]] = _read(tmp_path / "imported.toml")["parties"]
    return parties


def _read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_weights_are_used_as_written_unless_normalised(tmp_path, capsys):
    folder = tmp_path / "heavy"
    folder.mkdir()
    domain = folder / "holiday-domain.xml"
    domain.write_bytes(HOLIDAY[0].read_bytes())
    for profile in HOLIDAY[1:]:  # Alice's weights sum to 1.2
        text = profile.read_text(encoding="utf-8").replace('value="0.4"', 'value="0.6"')
        (folder / profile.name).write_text(text, encoding="utf-8")
    files = [str(domain), str(folder / "Alice.xml"), str(folder / "Bob.xml")]
    err = _error(capsys, ["import", "genius", *files])
    assert "the best outcome is worth 1.2" in err and "--normalize-weights" in err
    config = _import(tmp_path, [Path(f) for f in files], "--normalize-weights")
    alice = config["parties"]["alice"]["values"]
    assert [max(t.values()) for t in alice.values()] == pytest.approx(
        [0.6 / 1.2, 0.25 / 1.2, 0.2 / 1.2, 0.15 / 1.2]
    )
    bob = config["parties"]["bob"]["values"]  # sum 1: unchanged
    assert bob["destination"]["Oslo"] == 0.1


def test_import_prints_the_config_without_out(capsys):
    assert main(["import", "genius", *map(str, HOLIDAY)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Imported from Genius by `negotiator import genius`: holiday-domain")
    data = tomllib.loads(text)
    assert data == import_genius(HOLIDAY[0], HOLIDAY[1:])
    config_from_dict(data)


# --- bad input --------------------------------------------------------------------------------


def _broken(tmp_path: Path, which: int, changes: list[tuple[str, str]]) -> list[str]:
    """The holiday files, one of them (0 the domain, 1 Alice, 2 Bob) with each ``old`` of
    ``changes`` replaced by its ``new``."""
    files = []
    for i, source in enumerate(HOLIDAY):
        text = source.read_text(encoding="utf-8")
        for old, new in changes if i == which else []:
            assert old in text
            text = text.replace(old, new, 1)
        path = tmp_path / source.name
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    return files


def _weight(index: int, value: str) -> str:
    return f'<weight index="{index}" value="{value}">'


#: Broken files: which file (0 the domain, 1 Alice, 2 Bob), what is changed, what the error says.
BAD: dict[str, tuple[int, list[tuple[str, str]], str]] = {
    "malformed": (1, [("</issue>", "</isue>")], "Alice.xml: not well-formed XML (mismatched tag"),
    "renamed issue": (
        2,
        [('name="Duration"', 'name="Length"')],
        "issue 'Length' (index 2) does not match the domain: the domain's issue 2 is 'Duration'",
    ),
    "missing evaluation": (
        1,
        [('value="Oslo" cost="0" evaluation="2"', 'value="Oslo" cost="0"')],
        "<item> has no 'evaluation' attribute",
    ),
    "unknown value": (2, [('value="Rome" cost', 'value="Milan" cost')], "'Milan' is not in"),
    "negative evaluation": (
        2,
        [('value="Rome" cost="0" evaluation="1"', 'value="Rome" cost="0" evaluation="-1"')],
        "issue 'Destination': the value 'Rome' has an evaluation below 0",
    ),
    "negative weight": (
        1,
        [(_weight(2, "0.25"), _weight(2, "-0.25"))],
        "issue 'Duration': negative weight",
    ),
    "no weight": (2, [(_weight(4, "0.25") + "\n</weight>", "")], "'Travel by' has no weight"),
    "zero weights": (
        1,
        [(_weight(i, w), _weight(i, "0")) for i, w in enumerate(("0.4", "0.25", "0.2", "0.15"), 1)],
        "the weights must not all be 0",
    ),
    "unknown issue type": (
        1,
        [('type="discrete" vtype="discrete" name="Duration"', 'type="set" name="Duration"')],
        "issue 'Duration': unknown issue or evaluator type 'set'",
    ),
    "nested objective": (
        1,
        [
            ('<issue index="4"', '<objective index="5"><issue index="4"'),
            ("</objective>", "</objective></objective>"),
        ],
        "nested objectives are not supported",
    ),
    "non-linear": (
        1,
        [("<utility_space>", '<utility_space type="nonlinear">')],
        "non-linear utility spaces are not supported",
    ),
    "not a number": (
        1,
        [('<reservation value="0.35" />', '<reservation value="high" />')],
        "<reservation> value='high' is not a number",
    ),
    "duplicate value": (0, [('value="Rome"', 'value="Paris"')], "the value 'Paris' appears twice"),
    "one value": (
        0,
        [
            (f'<item index="{k}" value="{v}" cost="0" description="{d}">\n        </item>', "")
            for k, v, d in ((2, "one week", "seven nights"), (3, "two weeks", "fourteen nights"))
        ],
        "issue 'Duration': needs at least two values (has 1)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_genius_files_give_one_line(tmp_path, capsys, case):
    which, changes, message = BAD[case]
    err = _error(capsys, ["import", "genius", *_broken(tmp_path, which, changes)])
    assert message in err


def test_missing_files_and_usage_errors(tmp_path, capsys):
    err = _error(capsys, ["import", "genius", str(tmp_path / "nope.xml"), *map(str, HOLIDAY[1:])])
    assert "nope.xml: no such file" in err
    err = _error(capsys, ["import", "genius", str(HOLIDAY[0]), str(HOLIDAY[1])])
    assert "at least two profiles" in err
    err = _error(capsys, ["import", "genius", str(HOLIDAY[0]), str(HOLIDAY[0]), str(HOLIDAY[1])])
    assert "not a Genius profile (utility space): its root element is <negotiation_template>" in err
    err = _error(capsys, ["import", "genius", str(HOLIDAY[1]), str(HOLIDAY[1]), str(HOLIDAY[2])])
    assert "not a Genius domain file (did you swap domain and profile?)" in err
    err = _error(capsys, ["import", "genius", *map(str, HOLIDAY), "--deadline", "0"])
    assert "--deadline" in err
    with pytest.raises(SystemExit) as exit_:  # argparse: the format is required
        main(["import"])
    assert exit_.value.code == 2 and "required" in capsys.readouterr().err


# --- export -----------------------------------------------------------------------------------

#: A config in Genius' form (values ≥ 0, no offset, best outcome worth at most 1), with labels,
#: every kind Genius can express and three parties: export then import gives it back.
NORMAL: dict[str, Any] = {
    "run": {"name": "trio"},
    "negotiation": {"deadline": 25},
    "domain": {
        "issues": [
            {
                "name": "service_level",
                "label": "Service level",
                "kind": "ordinal",
                "values": ["low", "mid", "high"],
            },
            {"name": "site", "kind": "categorical", "values": ["north", "south", "east's bank"]},
            {"name": "audit", "kind": "boolean"},
        ]
    },
    "parties": {
        "party_x": {
            "label": "Party X",
            "reservation": 0.3,
            "discount": 0.99,
            "values": {
                "service_level": {"low": 0.0, "mid": 0.2, "high": 0.45},
                "site": {"north": 0.3, "south": 0.05, "east's bank": 0.1},
                "audit": {"false": 0.1, "true": 0.25},
            },
        },
        "y": {
            "reservation": 0.25,
            "values": {
                "service_level": {"low": 0.5, "mid": 0.25, "high": 0.125},
                "site": {"north": 0.0, "south": 0.2, "east's bank": 0.15},
                "audit": {"false": 0.0, "true": 0.0},
            },
        },
        "z": {
            "reservation": 0.1,
            "discount": 0.95,
            "values": {
                "service_level": {"low": 0.1, "mid": 0.3, "high": 0.2},
                "site": {"north": 0.12, "south": 0.1, "east's bank": 0.3},
                "audit": {"false": 0.35, "true": 0.05},
            },
        },
    },
}


def _export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: dict[str, Any]
) -> list[Path]:
    """Export a config (a mapping) with the command line; the files it wrote, domain first."""
    import tomli_w

    source = tmp_path / "source.toml"
    source.write_text(tomli_w.dumps(config), encoding="utf-8")
    capsys.readouterr()  # what came before
    assert main(["export", "genius", str(source), "--out", str(tmp_path / "genius")]) == 0
    return [Path(line) for line in capsys.readouterr().out.splitlines()]


def test_export_then_import_gives_the_config_back(tmp_path, capsys):
    files = _export(tmp_path, capsys, NORMAL)
    assert [f.name for f in files] == ["trio.xml", "Party X.xml", "y.xml", "z.xml"]
    back = _import(tmp_path, files, "--deadline", "25")
    original = config_from_dict(NORMAL)
    again = config_from_dict(back)
    assert again.run.name == "trio" and again.negotiation.deadline == 25
    assert again.domain == original.domain
    assert list(again.parties) == list(original.parties)
    for name, party in original.parties.items():
        other = again.parties[name]
        assert (other.label, other.values, other.reservation) == (
            party.label,
            party.values,
            party.reservation,
        )
        assert other.discount == pytest.approx(party.discount, rel=1e-12)
    # the files are Genius': NegMAS reads them, and its utilities are ours (the config is in
    # Genius' form, so nothing was rescaled)
    negmas = pytest.importorskip("negmas")
    scenario = negmas.inout.Scenario.from_genius_files(files[0], files[1:], ignore_discount=True)
    setting = build_setting(original)
    outcomes = list(setting.domain.iter_outcomes())
    for u, party in zip(scenario.ufuns, ("party_x", "y", "z")):
        assert u.reserved_value == original.parties[party].reservation
        for outcome in outcomes:
            wire = setting.domain.decode(outcome)
            genius = tuple(str(wire[i.name]).lower() for i in setting.domain.issues)
            assert u(genius) == pytest.approx(setting.utilities[party](outcome), abs=1e-12)


def test_the_exported_files(tmp_path, capsys):
    files = _export(tmp_path, capsys, NORMAL)
    domain = ET.parse(files[0]).getroot()
    assert domain.tag == "negotiation_template"
    issues = domain.findall("utility_space/objective/issue")
    assert [(i.get("name"), i.get("ordered")) for i in issues] == [
        ("Service level", "true"),
        ("site", None),
        ("audit", None),
    ]
    assert [v.get("value") for v in issues[2]] == ["false", "true"]
    profile = ET.parse(files[1]).getroot()
    assert profile.tag == "utility_space"
    weights = [float(w.get("value", "")) for w in profile.iter("weight")]
    assert weights == [0.45, 0.3, 0.25]  # each issue's best value
    evaluations = [float(i.get("evaluation", "")) for i in profile.find("objective/issue") or []]
    assert evaluations == pytest.approx([0.0, 0.2 / 0.45, 1.0], rel=1e-14)
    tail = {e.tag: e.get("value") for e in profile if e.tag != "objective"}
    assert tail == {"discount_factor": f"{0.99**75:.12g}", "reservation": "0.3"}
    # a label the name rule does not map back to the name is not used: the name is
    relabelled = json.loads(json.dumps(NORMAL))
    relabelled["domain"]["issues"][1]["label"] = "Location"
    relabelled["parties"]["y"]["label"] = "../elsewhere"
    (tmp_path / "relabelled").mkdir()
    files = _export(tmp_path / "relabelled", capsys, relabelled)
    assert [i.get("name") for i in ET.parse(files[0]).getroot().iter("issue")][1] == "site"
    assert files[2].name == "y.xml"


def test_the_round_trip_of_imported_files(tmp_path, capsys):
    first = tmp_path / "first.toml"
    assert main(["import", "genius", *map(str, WATER), "--out", str(first)]) == 0
    capsys.readouterr()
    assert main(["export", "genius", str(first), "--out", str(tmp_path / "genius")]) == 0
    files = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert [f.name for f in files] == [
        "joint_water_project.xml",
        "City A.xml",
        "City-B.xml",
        "3rd City.xml",
    ]
    second = tmp_path / "second.toml"
    assert main(["import", "genius", *map(str, files), "--out", str(second)]) == 0
    body = [p.read_text(encoding="utf-8").split("\n", 1)[1] for p in (first, second)]
    assert body[0] == body[1]  # all but the line naming the files
    assert export_genius(load_config(second)) == export_genius(load_config(first))


def test_export_of_any_explicit_domain_keeps_its_analysis(tmp_path, capsys):
    """A share issue becomes a discrete issue of its divisions; negative values and an offset are
    moved, and the scale shrunk so that the best outcome is worth at most 1: the Pareto frontier
    and the Nash outcome stay."""
    data = tomllib.loads(BUYER_SELLER.read_text(encoding="utf-8"))
    data["parties"]["buyer"]["offset"] = 1.5
    data["parties"]["buyer"]["values"]["price"]["high"] = -0.1
    data["parties"]["seller"]["values"]["delivery"]["ship"] = 0.6
    files = _export(tmp_path, capsys, data)
    root = ET.parse(files[0]).getroot()
    shares = next(i for i in root.iter("issue") if i.get("name") == "marketing")
    assert [v.get("value") for v in shares] == [
        "buyer=0;seller=1",
        "buyer=0.25;seller=0.75",
        "buyer=0.5;seller=0.5",
        "buyer=0.75;seller=0.25",
        "buyer=1;seller=0",
    ]
    back = config_from_dict(
        _import(tmp_path, files, "--deadline", str(data["negotiation"]["deadline"]))
    )
    before, after = (_analysis(c) for c in (config_from_dict(data), back))
    assert before == after
    for party in back.parties.values():  # Genius' scale: the best outcome is worth at most 1
        tables = (party.values or {}).values()
        assert math.fsum(max(t.values()) for t in tables if isinstance(t, dict)) <= 1 + 1e-9


def _analysis(config: Any) -> tuple[set[str], str]:
    """The Pareto frontier and the Nash outcome, each outcome written as Genius values."""
    setting = build_setting(config)
    result = analyze(setting.domain, setting.utilities, setting.power)

    def label(outcome: tuple[int, ...]) -> str:
        wire = setting.domain.decode(outcome)
        return json.dumps(
            [
                ";".join(f"{p}={s:.12g}" for p, s in v.items())
                if isinstance(v, dict)
                else str(v).lower()
                for v in wire.values()
            ]
        )

    assert result.nash is not None
    return {label(p.outcome) for p in result.pareto}, label(result.nash.outcome)


def test_export_refuses_what_genius_cannot_say(tmp_path, capsys):
    err = _error(capsys, ["export", "genius", str(DEFAULT), "--out", str(tmp_path / "x")])
    assert "export genius needs an explicit [domain] (this config has a [scenario])" in err
    odd = json.loads(json.dumps(NORMAL))
    odd["domain"]["issues"][1]["values"][2] = "east <bank>"
    odd["parties"]["party_x"]["values"]["site"]["east <bank>"] = 0.1
    for party in ("y", "z"):
        odd["parties"][party]["values"]["site"]["east <bank>"] = 0.1
        del odd["parties"][party]["values"]["site"]["east's bank"]
    del odd["parties"]["party_x"]["values"]["site"]["east's bank"]
    source = tmp_path / "odd.toml"
    import tomli_w

    source.write_text(tomli_w.dumps(odd), encoding="utf-8")
    err = _error(capsys, ["export", "genius", str(source), "--out", str(tmp_path / "x")])
    assert "'east <bank>': Genius cannot read a name with" in err
    flat = json.loads(json.dumps(NORMAL))
    flat["parties"]["y"]["values"] = {
        "service_level": {"low": -1.0, "mid": -1.0, "high": -1.0},
        "site": {"north": 0.0, "south": 0.0, "east's bank": 0.0},
        "audit": {"false": 2.0, "true": 2.0},
    }
    source.write_text(tomli_w.dumps(flat), encoding="utf-8")
    err = _error(capsys, ["export", "genius", str(source), "--out", str(tmp_path / "x")])
    assert "parties.y: every outcome is worth the same to it" in err
    flat["parties"]["y"]["values"]["audit"]["true"] = 2.5  # now it cares: exported
    source.write_text(tomli_w.dumps(flat), encoding="utf-8")
    assert main(["export", "genius", str(source), "--out", str(tmp_path / "x")]) == 0


def test_export_to_an_unusable_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code = main(["export", "genius", str(BUYER_SELLER), "--out", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert code == 5 and err.count("\n") == 1 and str(blocker) in err


# --- it plays; labels leave other configs alone -----------------------------------------------


def test_an_imported_domain_is_negotiated(tmp_path, capsys):
    _import(tmp_path, WATER)
    capsys.readouterr()
    config = tmp_path / "imported.toml"
    code = main(
        ["run", str(config), "--transport", "direct", "--json", "--out", str(tmp_path / "runs")]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["parties"] == ["city_a", "city_b", "party_3rd_city"]
    assert summary["agreement"] is True
    domain = {i["name"]: i["values"] for i in _domain_issues(tmp_path)}
    assert all(summary["contract"][issue] in values for issue, values in domain.items())
    utilities, discounted = summary["utilities"], summary["discounted_utilities"]
    assert discounted["city_a"] < utilities["city_a"]  # Genius' 0.95 over the negotiation
    assert discounted["party_3rd_city"] == utilities["party_3rd_city"]  # no discount


def test_labels_are_absent_from_the_dump_of_a_config_without_them():
    plain = load_config(BUYER_SELLER).model_dump(mode="json")
    assert "label" not in json.dumps(plain)
    labelled = config_from_dict(NORMAL).model_dump(mode="json")
    assert labelled["domain"]["issues"][0]["label"] == "Service level"
    assert "label" not in labelled["domain"]["issues"][1]
    assert labelled["parties"]["party_x"]["label"] == "Party X"
    assert "label" not in labelled["parties"]["y"]


def test_one_profile_for_two_parties(tmp_path, capsys):
    """Self-play: the same profile twice gives two parties, and two files on export."""
    config = _import(tmp_path, [HOLIDAY[0], HOLIDAY[1], HOLIDAY[1]])
    assert {p: s["label"] for p, s in config["parties"].items()} == {
        "alice": "Alice",
        "alice_2": "Alice",
    }
    assert config["parties"]["alice"]["values"] == config["parties"]["alice_2"]["values"]
    files = _export(tmp_path, capsys, config)
    assert [f.name for f in files] == ["holiday_domain.xml", "Alice.xml", "alice_2.xml"]
    back = _import(tmp_path, files)
    assert list(back["parties"]) == ["alice", "alice_2"]
    assert back["parties"]["alice_2"]["values"] == config["parties"]["alice_2"]["values"]


def _market(tmp_path: Path, changes: dict[int, list[tuple[str, str]]]) -> list[str]:
    """The market files with ``changes`` (file index → (old, new) pairs) made."""
    files = []
    for i, source in enumerate(MARKET):
        text = source.read_text(encoding="utf-8")
        for old, new in changes.get(i, []):
            assert old in text
            text = text.replace(old, new)
        path = tmp_path / source.name
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    return files


def test_a_real_grid_across_zero_has_clean_labels(tmp_path):
    bounds = ('lowerbound="10.0" upperbound="40.0"', 'lowerbound="-0.3" upperbound="0.3"')
    linear = (
        'ftype="triangular" parameter0="10.0" parameter1="40.0" parameter2="35.0"',
        'ftype="constant" parameter0="0.5"',
    )
    files = _market(tmp_path, {0: [bounds], 1: [bounds], 2: [bounds, linear]})
    out = tmp_path / "zero.toml"
    assert main(["import", "genius", *files, "--out", str(out), "--step", "Price=0.1"]) == 0
    price = tomllib.loads(out.read_text(encoding="utf-8"))["domain"]["issues"][0]
    assert price["values"] == ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"]


def test_a_constant_evaluation_below_zero_or_above_one_is_refused(tmp_path, capsys):
    constant = (
        'ftype="triangular" parameter0="10.0" parameter1="40.0" parameter2="35.0"',
        'ftype="constant" parameter0="{}"',
    )
    below = _market(tmp_path, {2: [(constant[0], constant[1].format("-0.5"))]})
    err = _error(capsys, ["import", "genius", *below, "--step", "Price=5"])
    assert "seller.xml: issue 'Price': a constant evaluation below 0 (-0.5)" in err
    above = _market(tmp_path, {2: [(constant[0], constant[1].format("3"))]})
    err = _error(capsys, ["import", "genius", *above, "--step", "Price=5"])
    assert "an issue's evaluation exceeds 1" in err and "--normalize-weights" not in err

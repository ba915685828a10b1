"""Config validation: every mistake is one line naming the field; the CLI exits with 2."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

import negotiator.config
from negotiator.config import (
    Config,
    apply_overrides,
    config_from_dict,
    load_config,
    parse_override,
)
from negotiator.config.schema import STRATEGY_CHECK, Rejection
from negotiator.errors import ConfigError
from tests.conftest import BUYER_SELLER, DEFAULT, RUBINSTEIN, cli, load


def raw(path=DEFAULT):
    return tomllib.loads(path.read_text())


def error_of(data) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_shipped_configs_are_valid():
    for path in (DEFAULT, RUBINSTEIN, BUYER_SELLER):
        config = load(path)
        assert len(config.party_names) >= 2


def test_unknown_key_is_named():
    data = raw()
    data["negotiation"]["dedline"] = 3
    assert error_of(data) == "config: unknown key 'negotiation.dedline' (did you mean 'deadline'?)"


def test_wrong_type_is_named():
    data = raw()
    data["negotiation"]["deadline"] = "soon"
    assert "negotiation.deadline" in error_of(data)


def test_unknown_strategy_lists_the_known_ones():
    data = raw()
    data["parties"]["wuyi"]["strategy"] = "bribery"
    message = error_of(data)
    assert message.startswith("config: parties.wuyi.strategy: unknown strategy 'bribery'")
    assert "boulware" in message


def test_bad_strategy_parameter_is_named():
    data = raw()
    data["negotiation"]["protocol"] = "saop"
    for party in data["parties"].values():
        party["strategy"] = "linear"
    data["parties"]["wuyi"]["params"] = {"e": "high"}
    assert "parties.wuyi.params.e: must be a number" in error_of(data)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["parties"]["buyer"]["values"]["price"].pop("mid"),
            "parties.buyer.values.price: missing ['mid']",
        ),
        (
            lambda d: d["parties"]["buyer"]["values"]["price"].update(cheap=1.0),
            "parties.buyer.values.price: unknown values ['cheap']",
        ),
        (lambda d: d["domain"]["issues"][3].update(step=0.3), "1/step must be a whole number"),
        (lambda d: d["domain"]["issues"][0].update(values=["low", "low"]), "duplicate values"),
        (
            lambda d: d["parties"]["buyer"]["values"].update(marketing={"a": 1.0}),
            "parties.buyer.values.marketing: a share issue takes one amount",
        ),
        (
            lambda d: d["parties"]["seller"].pop("reservation"),
            "parties.seller.reservation: required",
        ),
        (
            lambda d: d["parties"]["seller"]["values"].pop("warranty"),
            "parties.seller.values.warranty: missing",
        ),
    ],
)
def test_inconsistent_issue_values_are_named(edit, expected):
    data = raw(BUYER_SELLER)
    edit(data)
    assert expected in error_of(data)


def test_scenario_consistency():
    data = raw()
    data["scenario"]["elasticities"]["land"] = 0.5
    assert "scenario.elasticities: must sum to 1" in error_of(data)
    data = raw()
    del data["scenario"]["resources"]["wuyi"]["brand"]
    assert "scenario.resources.wuyi: missing ['brand']" in error_of(data)
    data = raw()
    data["parties"]["lishui"] = {"strategy": "linear"}
    assert "parties: not in scenario.resources: ['lishui']" in error_of(data)
    data = raw()
    data["domain"] = raw(BUYER_SELLER)["domain"]
    assert "exactly one of [scenario]" in error_of(data)


def test_rubinstein_needs_its_domain():
    data = raw()
    data["negotiation"]["protocol"] = "saop"
    for party in data["parties"].values():
        party["strategy"] = "linear"
    data["parties"]["wuyi"]["strategy"] = "rubinstein"
    assert "exactly 2 parties" in error_of(data)


def test_overrides_are_typed():
    assert parse_override("negotiation.deadline=80") == ("negotiation.deadline", 80)
    assert parse_override("parties.wuyi.strategy=boulware")[1] == "boulware"
    assert parse_override("contract.detection=[0, 0.5, 1]")[1] == [0, 0.5, 1]
    config = load(DEFAULT, "negotiation.deadline=80", "parties.wuyi.discount=0.95", seed=9)
    assert config.negotiation.deadline == 80 and config.parties["wuyi"].discount == 0.95
    assert config.run.seed == 9
    with pytest.raises(ConfigError, match="expected KEY.PATH=VALUE"):
        parse_override("deadline")
    with pytest.raises(ConfigError, match="is not a table"):
        apply_overrides({"run": {"seed": 1}}, ["run.seed.x=1"])
    # a list item is reached by its index
    config = load(
        DEFAULT, "implementation.shocks[0].factor=0.25", "implementation.shocks[1].at=[3]"
    )
    assert config.implementation.shocks[0].factor == 0.25
    assert config.implementation.shocks[1].at == [3]
    with pytest.raises(ConfigError, match=r"shocks\[5\] is not an item of a list"):
        load(DEFAULT, "implementation.shocks[5].factor=0.25")
    with pytest.raises(ConfigError, match="unknown key 'negotiation.dedline'"):
        load(DEFAULT, "negotiation.dedline=80")


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nseed = 1")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(bad)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "negotiation.dedline=3"], "unknown key 'negotiation.dedline'"),
        (["--set", "negotiation.deadline=soon"], "negotiation.deadline"),
        (["--set", "parties.wuyi.strategy=bribery"], "unknown strategy 'bribery'"),
        (["--set", "contract.share_step=0.3"], "contract.share_step: 1/step must be a whole"),
        (["--transport", "carrier-pigeon"], "unknown transport 'carrier-pigeon' (known: ipc,"),
    ],
)
def test_cli_reports_bad_config_in_one_line_with_exit_2(args, fragment):
    proc = cli("run", str(DEFAULT), *args)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_cli_missing_config_file_exit_2():
    proc = cli("analyze", "no/such.toml")
    assert proc.returncode == 2 and "no such config file" in proc.stderr


def test_strategy_must_play_the_protocol():
    data = raw()
    data["parties"]["wuyi"]["strategy"] = "boulware"
    assert "parties.wuyi.strategy: boulware does not play single_text" in error_of(data)


def test_superior_needs_a_common_parent_and_a_known_guidance():
    data = raw()
    del data["hierarchy"]["lishui"]
    assert "superior: the governments have no common parent" in error_of(data)
    data = raw()
    data["superior"]["guidance"] = "command"
    assert "superior.guidance" in error_of(data)
    data = raw()
    data["hierarchy"]["zhejiang"] = "jinhua"
    assert "hierarchy: cycle" in error_of(data)


def test_superior_is_the_lowest_common_parent():
    assert load(DEFAULT).superior_name == "zhejiang"
    assert load(DEFAULT, "parties.jinyun.parent='jinhua'").superior_name == "jinhua"
    assert load(DEFAULT, "parties.jinyun.parent='lishui'").superior_name == "zhejiang"


FINITE = "Input should be a finite number"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("parties.buyer.values.price.low=nan", f"values.price.low: {FINITE} (got nan)"),
        ("parties.buyer.reservation=inf", f"parties.buyer.reservation: {FINITE} (got inf)"),
        ("parties.buyer.values.price.low='x'", "parties.buyer.values.price.low: Input should be"),
    ],
)
def test_numbers_must_be_finite_and_the_error_names_the_field_inside_the_value(override, expected):
    with pytest.raises(ConfigError) as info:
        load(BUYER_SELLER, override)
    assert expected in str(info.value) and "\n" not in str(info.value)


class _Refuse:
    """A strategy check that refuses every negotiation or every compliance strategy."""

    def __init__(self, phase: int) -> None:
        self.phase = phase

    def negotiation(self, name, params, *, n_parties, protocol):
        return Rejection("strategy", f"no {name} for {n_parties}") if self.phase == 1 else None

    def compliance(self, name, params):
        return Rejection("params.x", f"no {name}") if self.phase == 2 else None


def test_the_schema_checks_strategies_with_the_check_in_its_validation_context():
    data = raw()
    assert Config.model_validate(data).party_names  # without a check: pure schema
    for phase, expected in [
        (1, "parties.yongkang.strategy: no hill_climber for 3"),
        (2, "parties.yongkang.compliance_params.x: no best_response"),
    ]:
        with pytest.raises(ValidationError) as info:
            Config.model_validate(data, context={STRATEGY_CHECK: _Refuse(phase)})
        assert expected in str(info.value)


def test_only_the_registry_loader_imports_agents():
    package = Path(negotiator.config.__file__).parent
    importers = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(n == "negotiator.agents" or n.startswith("negotiator.agents.") for n in names):
                importers.add(module.name)
    assert importers == {"strategies.py"}

"""guardsim.testing: every scenario the strategies draw is valid, and they reach every variant.

The validity properties only load scenarios (no simulation), so they afford many examples. The
coverage test draws a fixed, derandomized run of examples and checks that every variant (each
policy kind, dimension set, TreatMissingData value, ...) turns up: it is deterministic, so a
strategy change that loses a variant fails CI every time, not now and then.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardsim.scenarios import DeploymentConfig, check_scenario_dict
from guardsim.testing import (
    DIMENSION_SETS,
    POLICY_KINDS,
    TREAT_MISSING_DATA,
    EndpointNames,
    alarm_kwargs,
    deployment_configs,
    environments,
    error_rate_alarm_kwargs,
    model_behaviours,
    scenario_dicts,
    scenarios,
    single_metric_alarm_kwargs,
    traffic_models,
)

Data = dict[str, Any]
NAMES = EndpointNames("shop-ranker", "AllTraffic", "shop-ranker-v1", "shop-ranker-v2")
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _errors(data: Data) -> list[str]:
    return [str(p) for p in check_scenario_dict(data).errors]


def _base(n: int = 3, blue_n: int | None = None) -> Data:
    """A valid scenario around which one section at a time is replaced."""

    def config(name: str, count: int) -> Data:
        return {
            "EndpointConfigName": name,
            "ProductionVariants": [
                {
                    "VariantName": NAMES.variant,
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": count,
                }
            ],
        }

    return {
        "name": "base",
        "endpoint": {
            "name": NAMES.endpoint,
            "blue": config(NAMES.blue_config, blue_n or n),
            "green": config(NAMES.green_config, n),
        },
        "deployment_config": {},
        "alarms": [],
    }


def policy_of(data: Data) -> str:
    return DeploymentConfig.from_boto(data["deployment_config"]).policy_kind


def _alarm_dimensions(alarm: Data) -> list[list[Data]]:
    if "Metrics" in alarm:
        return [
            q["MetricStat"]["Metric"]["Dimensions"] for q in alarm["Metrics"] if "MetricStat" in q
        ]
    return [alarm["Dimensions"]]


def dimension_sets_of(data: Data) -> set[str]:
    """Which dimension sets the scenario's alarms use: blended, blue or green."""
    endpoint = data["endpoint"]
    names = {
        endpoint["blue"]["EndpointConfigName"]: "blue",
        endpoint["green"]["EndpointConfigName"]: "green",
    }
    out = set()
    for alarm in data["alarms"]:
        for dims in _alarm_dimensions(alarm):
            config = {d["Name"]: d["Value"] for d in dims}.get("EndpointConfigName")
            out.add("blended" if config is None else names[config])
    return out


# --------------------------------------------------------------------------- validity


# Thousands of examples (issue 9's acceptance): validation only, no simulation. About 12 ms an
# example, nearly all of it Hypothesis drawing the ~150 choices of a scenario: ~25 s in all.
@settings(FAST, max_examples=2000)
@given(scenario_dicts())
def test_every_drawn_scenario_is_valid(data: Data) -> None:
    assert check_scenario_dict(data).errors == ()


@settings(FAST, max_examples=200)
@given(st.data())
def test_drawn_deployment_configs_are_valid_for_any_fleet_size(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 25), label="instance_count")
    env = data.draw(environments(), label="environment")
    base = _base(n)
    base["environment"] = env
    base["alarms"] = [data.draw(alarm_kwargs(NAMES, name="a"))]
    base["deployment_config"] = data.draw(
        deployment_configs(
            n,
            alarm_names=["a"],
            percent_rounding=env["percent_rounding"],
            all_at_once_bakes_wait_interval=env["all_at_once_bakes_wait_interval"],
        )
    )
    assert _errors(base) == []


@settings(FAST, max_examples=200)
@given(
    st.sampled_from(DIMENSION_SETS).flatmap(
        lambda dims: st.tuples(
            single_metric_alarm_kwargs(NAMES, name="single", dimension_set=dims),
            error_rate_alarm_kwargs(NAMES, name="rate", dimension_set=dims),
        )
    )
)
def test_drawn_alarms_are_valid_on_every_dimension_set(alarms: tuple[Data, Data]) -> None:
    base = _base()
    base["alarms"] = list(alarms)
    base["deployment_config"] = {
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "single"}, {"AlarmName": "rate"}]}
    }
    assert _errors(base) == []


@settings(FAST, max_examples=100)
@given(model_behaviours(), model_behaviours(error_rate_5xx=1.0), traffic_models())
def test_drawn_models_and_traffic_are_valid(blue: Data, green: Data, traffic: Data) -> None:
    base = _base()
    base["models"] = {"blue": blue, "green": green}
    base["traffic"] = traffic
    assert _errors(base) == []
    assert green["error_rate_5xx"] == 1.0 and green["error_rate_4xx"] == 0.0


@settings(FAST, max_examples=50)
@given(
    st.sampled_from(POLICY_KINDS).flatmap(
        lambda kind: st.tuples(st.just(kind), scenarios(policy=kind, green_error_rate=st.just(1.0)))
    )
)
def test_pinned_parts_stay_pinned(case: tuple[str, Any]) -> None:
    kind, scenario = case
    assert scenario.deployment_config.policy_kind == kind
    assert scenario.models.green.error_rate_5xx == 1.0
    assert scenario.endpoint.blue.instance_count == scenario.endpoint.green.instance_count


@settings(FAST, max_examples=30)
@given(
    scenario_dicts(
        instance_count=4,
        blue_instance_count=st.integers(1, 6),
        seed=7,
        environment=environments(
            timeout_action="fail", provisioning_seconds=st.just({"kind": "fixed", "value": 120.0})
        ),
    )
)
def test_keyword_arguments_pin_values_or_strategies(data: Data) -> None:
    assert _errors(data) == []
    assert data["endpoint"]["green"]["ProductionVariants"][0]["InitialInstanceCount"] == 4
    assert data["simulation"]["seed"] == 7
    assert data["environment"]["timeout_action"] == "fail"
    assert data["environment"]["provisioning_seconds"] == {"kind": "fixed", "value": 120.0}


# --------------------------------------------------------------------------- coverage

COVERAGE_EXAMPLES = 400


def _single_alarms(data: Data) -> list[Data]:
    return [a for a in data["alarms"] if "Metrics" not in a]


TARGETS: dict[str, Callable[[Data], bool]] = {
    **{f"policy {kind}": (lambda k: lambda d: policy_of(d) == k)(kind) for kind in POLICY_KINDS},
    **{
        f"dimensions {dims}": (lambda k: lambda d: k in dimension_sets_of(d))(dims)
        for dims in DIMENSION_SETS
    },
    **{
        f"TreatMissingData {tmd}": (
            lambda k: lambda d: any(a.get("TreatMissingData") == k for a in d["alarms"])
        )(tmd)
        for tmd in TREAT_MISSING_DATA
    },
    "TreatMissingData left out": lambda d: any("TreatMissingData" not in a for a in d["alarms"]),
    "metric-math error rate": lambda d: any("Metrics" in a for a in d["alarms"]),
    "metric math on one fleet": lambda d: any(
        "Metrics" in a and len(_alarm_dimensions(a)[0]) == 3 for a in d["alarms"]
    ),
    "ExtendedStatistic pNN": lambda d: any(
        a.get("ExtendedStatistic", "").startswith("p") for a in _single_alarms(d)
    ),
    "Statistic": lambda d: any("Statistic" in a for a in _single_alarms(d)),
    "M < N": lambda d: any(
        a.get("DatapointsToAlarm", 99) < a["EvaluationPeriods"] for a in d["alarms"]
    ),
    "high-resolution Period": lambda d: any(a.get("Period", 60) < 60 for a in d["alarms"]),
    "no update policy": lambda d: (
        not ({"BlueGreenUpdatePolicy", "RollingUpdatePolicy"} & set(d["deployment_config"]))
    ),
    "execution timeout": lambda d: "MaximumExecutionTimeout" in str(d["deployment_config"]),
    "canary by percent": lambda d: "'CanarySize': {'Type': 'CAPACITY_PERCENT'" in str(d),
    "canary by count": lambda d: "'CanarySize': {'Type': 'INSTANCE_COUNT'" in str(d),
    "linear by percent": lambda d: "'LinearStepSize': {'Type': 'CAPACITY_PERCENT'" in str(d),
    "linear by count": lambda d: "'LinearStepSize': {'Type': 'INSTANCE_COUNT'" in str(d),
    "rollback batch size": lambda d: "RollbackMaximumBatchSize" in str(d),
    **{
        f"fault {kind}": (
            lambda k: (
                lambda d: any(f["kind"] == k for m in d["models"].values() for f in m["faults"])
            )
        )(kind)
        for kind in ("errors", "latency", "load_errors", "warmup")
    },
    "green fails every request": lambda d: d["models"]["green"]["error_rate_5xx"] == 1.0,
    "alarm not watched": lambda d: (
        len(d["alarms"]) > len(d["deployment_config"]["AutoRollbackConfiguration"]["Alarms"])
    ),
}


def test_the_strategies_reach_every_variant() -> None:
    """Over a fixed (derandomized) run of examples, every variant in TARGETS turns up."""
    reached: set[str] = set()

    @settings(
        derandomize=True,
        database=None,
        max_examples=COVERAGE_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(scenario_dicts())
    def collect(data: Data) -> None:
        reached.update(name for name, hit in TARGETS.items() if hit(data))

    collect()
    assert sorted(set(TARGETS) - reached) == []


# --------------------------------------------------------------------------- packaging


def test_without_hypothesis_the_import_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The strategies need Hypothesis; guardsim.testing itself and its guardrail helpers (and
    the pytest plugin, tests/testing/test_pytest_plugin.py) do not."""
    for name in [
        m for m in sys.modules if m == "guardsim.testing" or m.startswith("guardsim.testing.")
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # makes `import hypothesis` fail
    testing = importlib.import_module("guardsim.testing")
    assert callable(testing.assert_rolls_back)
    with pytest.raises(ImportError, match=r"pip install guardsim\[test\]"):
        importlib.import_module("guardsim.testing.strategies")
    with pytest.raises(ImportError, match=r"pip install guardsim\[test\]"):
        testing.scenarios  # noqa: B018

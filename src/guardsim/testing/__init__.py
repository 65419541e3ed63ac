"""Hypothesis strategies for guardsim scenarios, for property-testing guardrail configurations.

Hypothesis is a test extra, not a dependency of guardsim itself::

    pip install guardsim[test]

Every strategy draws plain data in the scenario-file format (what :func:`scenario_from_dict`
takes), except :func:`scenarios`, which draws loaded :class:`~guardsim.scenarios.Scenario`
objects. Every scenario drawn is valid (no validation errors) and cheap to simulate::

    from hypothesis import given, strategies as st
    from guardsim.simulator import simulate
    from guardsim.testing import scenarios

    @given(scenarios(policy="CANARY", green_error_rate=st.just(1.0)))
    def test_a_rollback_moves_all_traffic_back(scenario):
        record = simulate(scenario)
        if record.outcome == "ROLLED_BACK":
            assert record.traffic[-1]["green_fraction"] == 0.0
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised with hypothesis hidden
    raise ImportError(
        "guardsim.testing needs Hypothesis, which is a test extra of guardsim: "
        "pip install guardsim[test]"
    ) from exc

from guardsim.testing.strategies import (
    DIMENSION_SETS,
    POLICY_KINDS,
    TREAT_MISSING_DATA,
    EndpointNames,
    alarm_kwargs,
    deployment_configs,
    endpoint_names,
    environments,
    error_rate_alarm_kwargs,
    faults,
    load,
    model_behaviours,
    scenario_dicts,
    scenarios,
    simulations,
    single_metric_alarm_kwargs,
    traffic_models,
)

__all__ = [
    "DIMENSION_SETS",
    "POLICY_KINDS",
    "TREAT_MISSING_DATA",
    "EndpointNames",
    "alarm_kwargs",
    "deployment_configs",
    "endpoint_names",
    "environments",
    "error_rate_alarm_kwargs",
    "faults",
    "load",
    "model_behaviours",
    "scenario_dicts",
    "scenarios",
    "simulations",
    "single_metric_alarm_kwargs",
    "traffic_models",
]

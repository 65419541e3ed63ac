"""guardsim.testing: Hypothesis strategies for guardsim scenarios, and helpers for property
tests of your own guardrails (with a pytest fixture, ``guardrail``).

**Strategies** (:mod:`guardsim.testing.strategies`) need Hypothesis, a test extra of guardsim::

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

**Guardrail helpers** (:mod:`guardsim.testing.guardrail`) need no Hypothesis: scenario
variants (:func:`with_green`, :func:`healthy`, :func:`with_traffic`), Monte Carlo estimates
(:func:`rollback_probability`, :func:`blast_radius`) and assertions that pass only when the
replications demonstrate the claim (:func:`assert_rolls_back`,
:func:`assert_false_rollback_at_most`, :func:`assert_blast_radius_below`). The pytest plugin
(:mod:`guardsim.testing.pytest_plugin`, registered as ``guardsim``) provides them as the
``guardrail`` fixture.

Names load on first use, so the pytest plugin costs nothing at start-up and works without
Hypothesis; a strategy without Hypothesis raises an ImportError that says how to install it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardsim._lazy import lazy_attributes

if TYPE_CHECKING:
    from guardsim.testing.guardrail import (
        Estimate,
        GuardrailAssertionError,
        QuantileEstimate,
        assert_blast_radius_below,
        assert_false_rollback_at_most,
        assert_rolls_back,
        blast_radius,
        healthy,
        replications_needed,
        rollback_probability,
        with_green,
        with_traffic,
    )
    from guardsim.testing.mock import MockAWS, NotEmulated, mock_aws
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
    "Estimate",
    "GuardrailAssertionError",
    "MockAWS",
    "NotEmulated",
    "QuantileEstimate",
    "alarm_kwargs",
    "assert_blast_radius_below",
    "assert_false_rollback_at_most",
    "assert_rolls_back",
    "blast_radius",
    "deployment_configs",
    "endpoint_names",
    "environments",
    "error_rate_alarm_kwargs",
    "faults",
    "healthy",
    "load",
    "mock_aws",
    "model_behaviours",
    "replications_needed",
    "rollback_probability",
    "scenario_dicts",
    "scenarios",
    "simulations",
    "single_metric_alarm_kwargs",
    "traffic_models",
    "with_green",
    "with_traffic",
]

#: The names that need no Hypothesis (guardsim.testing.guardrail); the rest are strategies.
_GUARDRAIL = frozenset(
    {
        "Estimate",
        "GuardrailAssertionError",
        "QuantileEstimate",
        "assert_blast_radius_below",
        "assert_false_rollback_at_most",
        "assert_rolls_back",
        "blast_radius",
        "healthy",
        "replications_needed",
        "rollback_probability",
        "with_green",
        "with_traffic",
    }
)
#: The local emulator's names (guardsim.testing.mock; needs time-machine, guardsim[emulator]).
_MOCK = frozenset({"MockAWS", "NotEmulated", "mock_aws"})
#: Public names loaded on first use: name -> module.
_LAZY = {
    name: "guardsim.testing.guardrail"
    if name in _GUARDRAIL
    else "guardsim.testing.mock"
    if name in _MOCK
    else "guardsim.testing.strategies"
    for name in __all__
}


__getattr__, __dir__ = lazy_attributes("guardsim.testing", globals(), _LAZY, __all__)

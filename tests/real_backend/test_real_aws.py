"""Opt-in: the seed canary-success scenario on real AWS (costs money; the real SageMaker page of
the docs, docs/how-to/real-sagemaker.md, says how much).

Skipped unless ``GUARDSIM_REAL_AWS_REGION`` names a region and
``GUARDSIM_REAL_AWS_I_ACCEPT_COSTS=1``; it also needs the execution role, the image, the model
data and a payload file (``GUARDSIM_REAL_AWS_ROLE_ARN``, ``..._IMAGE_URI``,
``..._MODEL_DATA_URL``, ``..._PAYLOAD_FILE``). Run it with ``pytest -m real_aws``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from guardsim.real_backend.clients import boto3_clients
from guardsim.real_backend.clock import SystemClock
from guardsim.real_backend.run import run_real
from guardsim.scenarios import load_scenario
from guardsim.scenarios.real import fill_placeholders
from guardsim.simulator import simulate

NEEDED = {
    "GUARDSIM_REAL_AWS_ROLE_ARN": "EXECUTION_ROLE_ARN",
    "GUARDSIM_REAL_AWS_IMAGE_URI": "XGBOOST_IMAGE_URI",
    "GUARDSIM_REAL_AWS_MODEL_DATA_URL": "MODEL_DATA_URL",
    "GUARDSIM_REAL_AWS_PAYLOAD_FILE": "PAYLOAD_FILE",
}


def _skip_reason() -> str | None:
    if not os.environ.get("GUARDSIM_REAL_AWS_REGION"):
        return "set GUARDSIM_REAL_AWS_REGION to run on real AWS"
    if os.environ.get("GUARDSIM_REAL_AWS_I_ACCEPT_COSTS") != "1":
        return "set GUARDSIM_REAL_AWS_I_ACCEPT_COSTS=1 to accept the cost (about $0.45)"
    missing = [k for k in NEEDED if not os.environ.get(k)]
    return f"set {', '.join(missing)}" if missing else None


@pytest.mark.real_aws
@pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")
def test_canary_success_on_real_aws() -> None:
    region = os.environ["GUARDSIM_REAL_AWS_REGION"]
    scenario = load_scenario("seed-canary-success")
    assert scenario.real is not None
    values = {placeholder: os.environ[var] for var, placeholder in NEEDED.items()}
    real, problems = fill_placeholders(scenario.real, values, Path.cwd())
    assert problems == []
    scenario = dataclasses.replace(scenario, real=dataclasses.replace(real, region=region))
    result = run_real(
        scenario, clients=boto3_clients(region), clock=SystemClock(), region=region, progress=print
    )
    print(result.teardown.text())
    assert result.teardown.clean, result.teardown.text()
    assert result.error is None, result.error
    assert result.record is not None
    assert result.record.outcome == simulate(scenario).outcome == "SUCCEEDED"

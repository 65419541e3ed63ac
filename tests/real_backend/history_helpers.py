"""A metric history recorded through the emulator by ``guardsim real import --history``.

The emulator's world has no drift of its own, so the drift is written in the world file the
documented way: the model's 5XX rate as a sequence of ``errors`` faults, one per
:data:`STEP_SECONDS`, whose rates follow a log-AR(1) random walk (:func:`drifting_rates`).
Faults in the emulator count from the time the endpoint came into service. Background traffic
(the world's ``traffic`` section) is the only traffic: :data:`RATE` requests/s.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from guardsim.cli import main

#: 2026-01-01T00:00:00Z
START = 1767225600.0
ENDPOINT = "recorded"
HOURS = 6.0
STEP_SECONDS = 300.0
RATE = 4.0
MEAN_5XX = 0.02
#: log-AR(1) of the 5XX rate per step: x_k = PHI x_{k-1} + N(0, SIGMA^2)
PHI, SIGMA = 0.9, 0.35


def drifting_rates(steps: int, seed: int = 20) -> list[float]:
    """A slowly varying 5XX rate per step around :data:`MEAN_5XX` (positively autocorrelated:
    lag-1 correlation PHI per step of the log-rate)."""
    rng = np.random.default_rng(seed)
    x = 0.0
    out = []
    for _ in range(steps):
        x = PHI * x + SIGMA * float(rng.standard_normal())
        out.append(round(min(0.5, MEAN_5XX * math.exp(x)), 5))
    return out


def world(hours: float = HOURS) -> dict[str, Any]:
    steps = math.ceil(hours * 3600.0 / STEP_SECONDS) + 2
    faults = [
        {
            "kind": "errors",
            "rate_5xx": r,
            "after_seconds": k * STEP_SECONDS,
            "until_seconds": (k + 1) * STEP_SECONDS,
        }
        for k, r in enumerate(drifting_rates(steps))
    ]
    return {
        "models": [
            {
                "match": {},
                "behaviour": {"latency": {"median_ms": 4, "p99_ms": 15}, "faults": faults},
            }
        ],
        "environment": {"provisioning_seconds": {"kind": "fixed", "value": 60}},
        "traffic": {"*": {"rate_per_second": RATE}},
        "seed": 7,
    }


def record(folder: Path, hours: float = HOURS) -> tuple[int, str, Path]:
    """Make an endpoint in the emulator, let ``hours`` of traffic pass, then run
    ``guardsim real import --history`` on it: (exit status, output, scenario path)."""
    import boto3

    from guardsim.testing import mock_aws

    output = folder / "recorded.yaml"
    with mock_aws(world=world(hours), start=START) as aws:
        sm = boto3.client("sagemaker")
        sm.create_model(
            ModelName="m",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/test",
            PrimaryContainer={"Image": "model:1"},
        )
        sm.create_endpoint_config(
            EndpointConfigName="recorded-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 2,
                }
            ],
        )
        sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="recorded-config")
        sm.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT)
        aws.advance(hours * 3600.0 + 60.0)
        out, err = io.StringIO(), io.StringIO()
        days = hours / 24.0
        code = main(
            [
                "real",
                "import",
                "--endpoint",
                ENDPOINT,
                "--days",
                f"{days:g}",
                "--history",
                f"{days:g}",
                "--output",
                str(output),
            ],
            out=out,
            err=err,
        )
    return code, out.getvalue() + err.getvalue(), output

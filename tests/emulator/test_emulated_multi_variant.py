"""The emulator and multi-variant endpoint configs, through real botocore clients in mock_aws:
it serves single-variant configs only, and refuses a config of several variants with a
ValidationException (rather than serving its first variant), naming the simulator's engines,
which run them."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from emulator_helpers import make_model

from guardsim.testing.mock import MockAWS


def _variant(name: str, model: str) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": "ml.m5.xlarge",
        "InitialInstanceCount": 1,
        "InitialVariantWeight": 1.0,
    }


def test_a_two_variant_config_is_refused(aws: MockAWS) -> None:
    sm = boto3.client("sagemaker")
    make_model(sm, "a")
    make_model(sm, "b")
    with pytest.raises(ClientError) as info:
        sm.create_endpoint_config(
            EndpointConfigName="ab", ProductionVariants=[_variant("A", "a"), _variant("B", "b")]
        )
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "single-variant endpoint configs; ProductionVariants has 2 variants" in error["Message"]
    # nothing was created: the name is free, and a one-variant config of it is accepted
    sm.create_endpoint_config(EndpointConfigName="ab", ProductionVariants=[_variant("A", "a")])
    described = sm.describe_endpoint_config(EndpointConfigName="ab")
    assert [v["VariantName"] for v in described["ProductionVariants"]] == ["A"]

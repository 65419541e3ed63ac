"""The fake AWS's answers that issue 18 found wrong: DescribeModel's Containers, the update to
the config in use, and RetainDeploymentConfig."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from real_helpers import ROLE, emulated, start_update_elsewhere, tiny


def test_the_fake_answers_as_aws_does(payload: Path) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario)
    sm = fake("sagemaker")
    sm.create_model(
        ModelName="multi",
        ExecutionRoleArn=ROLE,
        Containers=[{"Image": "i:1", "ModelDataUrl": "s3://b/m.tar.gz"}],
    )
    assert sm.describe_model(ModelName="multi")["Containers"] == [
        {"Image": "i:1", "ModelDataUrl": "s3://b/m.tar.gz"}
    ]
    name = start_update_elsewhere(fake, scenario)
    while sm.describe_endpoint(EndpointName=name)["EndpointStatus"] != "InService":
        fake.clock.sleep(30)  # the fake's clock (a waiter would sleep in wall time)
    first = sm.describe_endpoint(EndpointName=name)
    with pytest.raises(ClientError) as info:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=first["EndpointConfigName"])
    message = info.value.response["Error"]["Message"]
    assert "already in use by the endpoint" in message and "endpoint.green" not in message
    other = scenario.endpoint.blue.name
    if first["EndpointConfigName"] == other:
        other = scenario.endpoint.green.name
    sm.update_endpoint(EndpointName=name, EndpointConfigName=other, RetainDeploymentConfig=True)
    assert (
        sm.describe_endpoint(EndpointName=name)["LastDeploymentConfig"]
        == first["LastDeploymentConfig"]
        == scenario.deployment_config.to_boto()
    )

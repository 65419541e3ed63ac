"""The SageMaker invocation metrics guardsim publishes: the one catalogue of their names,
units, kinds, namespace and dimension sets.

SageMaker real-time endpoints publish these per-request metrics to CloudWatch in the
``AWS/SageMaker`` namespace every minute, under ``EndpointName, VariantName``
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html). During a
blue/green or rolling update they are also published per endpoint configuration, with the
``EndpointConfigName`` dimension added, which is how an alarm watches only the new fleet
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).

What each request emits:

* ``Invocations``: 1 (unit None; use Sum for the total);
* ``Invocation4XXErrors``, ``Invocation5XXErrors``, ``InvocationModelErrors``: 1 or 0 (unit
  None), so their Average is the error *fraction* (0 to 1) and their Sum the error count;
* ``ModelLatency``, ``OverheadLatency``: the latency in **microseconds**;
* ``InvocationsPerInstance``: 1 / the number of active instances of the variant at request
  time (unit None).

Pure data, no imports: the simulator, the batch engine, validation, lint, the strategies and
the real backend's collection all read it from here.
"""

from __future__ import annotations

#: CloudWatch namespace of SageMaker's endpoint invocation metrics.
NAMESPACE = "AWS/SageMaker"

#: Every invocation metric guardsim simulates, in the order records and queries list them.
METRICS = (
    "Invocations",
    "Invocation4XXErrors",
    "Invocation5XXErrors",
    "InvocationModelErrors",
    "ModelLatency",
    "OverheadLatency",
    "InvocationsPerInstance",
)
#: Per-request 0/1 error metrics: a minute needs only their counts; Average is a fraction.
ERROR_METRICS = ("Invocation4XXErrors", "Invocation5XXErrors", "InvocationModelErrors")
#: Latency metrics, in microseconds (the only ones with useful percentiles).
LATENCY_METRICS = ("ModelLatency", "OverheadLatency")
#: Metrics whose raw samples vary (the others are constant 1 or 0/1 and need only counts).
RAW_METRICS = (*LATENCY_METRICS, "InvocationsPerInstance")

#: CloudWatch unit of each metric.
UNITS: dict[str, str] = {
    "Invocations": "None",
    "Invocation4XXErrors": "None",
    "Invocation5XXErrors": "None",
    "InvocationModelErrors": "None",
    "ModelLatency": "Microseconds",
    "OverheadLatency": "Microseconds",
    "InvocationsPerInstance": "None",
}

#: The dimensions of the blended series (both fleets' requests, added).
VARIANT_DIMENSIONS = ("EndpointName", "VariantName")
#: The dimension that selects one endpoint configuration's fleet during an update.
CONFIG_DIMENSION = "EndpointConfigName"
#: Every dimension the invocation metrics are published under.
DIMENSION_NAMES = (*VARIANT_DIMENSIONS, CONFIG_DIMENSION)
#: The two dimension sets: the variant (blended), and the variant of one endpoint config.
DIMENSION_SETS = (VARIANT_DIMENSIONS, DIMENSION_NAMES)

# --------------------------------------------------------------------------- instance metrics

#: CloudWatch namespace of SageMaker's endpoint *instance* (utilisation) metrics, published
#: under the same dimension sets as the invocation metrics
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html).
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
#: Instance metrics of every instance type (Percent). CPUUtilization is the sum over the
#: instance's vCPUs (0 to 100 x vCPUs); Memory and Disk are 0 to 100.
CPU_INSTANCE_METRICS = ("CPUUtilization", "MemoryUtilization", "DiskUtilization")
#: Instance metrics of GPU instance types only (0 to 100 x GPUs).
GPU_INSTANCE_METRICS = ("GPUUtilization", "GPUMemoryUtilization")
#: Every instance metric guardsim simulates (one sample per instance per minute).
INSTANCE_METRICS = (*CPU_INSTANCE_METRICS, *GPU_INSTANCE_METRICS)
#: CloudWatch unit of each instance metric.
INSTANCE_UNITS: dict[str, str] = dict.fromkeys(INSTANCE_METRICS, "Percent")

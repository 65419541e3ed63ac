"""ModelSetupTime: what a newly launched instance publishes, when the environment says so.

SageMaker documents ``ModelSetupTime`` (namespace ``AWS/SageMaker``, dimensions
``EndpointName, VariantName``, microseconds, statistics Average, Minimum, Maximum, SampleCount
and percentiles) for serverless endpoints only: "the time it takes to launch new compute
resources for a serverless endpoint"
(https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_RecommendationMetrics.html).
Whether an instance-backed endpoint publishes it for the instances a deployment launches is not
documented: ``environment.model_setup_time`` decides (see aws-model.md#model-setup-time).

With ``per-instance``, every instance a deployment launches publishes one sample, its own
provisioning time in microseconds, in the minute it becomes ready, under its endpoint config's
fleet (so under ``EndpointName, VariantName`` and with that config's ``EndpointConfigName``, as
the invocation metrics are published during an update), through the same publish delay as the
minute's other metrics. A minute in which no instance became ready has no datapoint (a metric
not published: the alarm's TreatMissingData decides). A minute's samples are exact values, so
every basic and extended statistic of a window is computed exactly, by the CloudWatch
statistics kernels (:func:`window_statistic` for one window, :func:`window_rows` for rows of
windows); every engine reads it through them.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.statistics import (
    StatisticSpec,
    compute_from_samples,
    compute_rows_from_sorted,
)
from guardsim.model.metrics import NAMESPACE

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The metric's name, in the :data:`~guardsim.model.metrics.NAMESPACE` namespace.
METRIC = "ModelSetupTime"
#: The setting's values (``environment.model_setup_time``).
NONE, PER_INSTANCE = "none", "per-instance"


def publishes(setting: str) -> bool:
    """Whether launched instances publish ModelSetupTime under ``setting``."""
    return setting == PER_INSTANCE


def is_setup_time(namespace: str | None, metric: str | None) -> bool:
    """Whether a query reads ModelSetupTime (in the SageMaker namespace)."""
    return metric == METRIC and (namespace or NAMESPACE) == NAMESPACE


def sample_of(provisioning_seconds: float | FloatArray) -> float | FloatArray:
    """The sample an instance publishes: its provisioning time in microseconds."""
    return provisioning_seconds * 1e6


def minute_of(ready_at: float) -> float:
    """The start of the minute whose datapoint holds a sample published at ``ready_at``."""
    return math.floor(ready_at / 60.0) * 60.0


def window_statistic(spec: StatisticSpec, samples: FloatArray) -> float | None:
    """The statistic of one window's samples (None: no sample, no datapoint)."""
    return compute_from_samples(spec, samples)


def window_rows(
    spec: StatisticSpec, samples: FloatArray, present: npt.NDArray[np.bool_]
) -> FloatArray:
    """:func:`window_statistic` of many windows at once, for an extended statistic (a basic
    one merges the minutes' statistic sets): ``samples`` [..., K] and which of them fall in
    each window ``present`` [..., K]; NaN for a window with none."""
    shape = samples.shape[:-1]
    x = np.where(present, samples, math.inf).reshape(-1, samples.shape[-1])
    m = present.reshape(-1, samples.shape[-1]).sum(axis=1).astype(np.int64)
    out = np.full(len(m), math.nan)
    some = m > 0
    if some.any():
        xs = np.sort(x[some], axis=1)
        width = int(m[some].max())
        out[some] = compute_rows_from_sorted(spec, xs[:, :width], m[some])
    return out.reshape(shape)

"""The real backend: a scenario executed on real SageMaker and CloudWatch through boto3.

Translation only: SageMaker makes the guardrail decisions; this package provisions, drives
traffic, updates, observes, collects, always tears down, and writes the same run record the
simulator writes (mode ``real``). The backend contract (see architecture.md): a Scenario in, a run
record out, like :func:`guardsim.simulator.simulate`.

One module per concept::

    plan.py          every AWS call of a run, in order, with its parameters, and its cost (pure)
    naming.py        run ids, name prefixes and tags (pure)
    run.py           ``real run``: the orchestration, from setup to teardown
    follow.py        polling DescribeEndpoint and pacing traffic on one clock
    traffic.py       invoke_endpoint at a rate through a bounded worker pool
    observations.py  a DescribeEndpoint response as a typed observation (pure)
    transitions.py   observations -> phase transitions and traffic rows (pure)
    outcome.py       SUCCEEDED / ROLLED_BACK / FAILED from the endpoint's final state (pure)
    collect.py       GetMetricData datapoints and DescribeAlarmHistory state changes
    assemble.py      the run record (pure)
    teardown.py      the ledger of created resources and their tag-checked deletion
    observe.py       ``real observe``: follow an update started elsewhere (read-only)
    importer.py      ``real import``: a scenario from a live endpoint (read-only)
    clients.py       boto3 clients (standard credential chain, retries) and AWSError
    clock.py         the wall clock, or a virtual one

Tests (and ``guardsim real run --fake-aws``) run it against guardsim's emulator
(:class:`guardsim.emulator.EmulatedAWS`), which answers real botocore clients.
    cli.py           ``guardsim real {plan,run,observe,import}``
"""

from __future__ import annotations

from guardsim.real_backend.importer import Imported, import_endpoint
from guardsim.real_backend.observe import observe_endpoint
from guardsim.real_backend.plan import RunPlan, format_plan, plan_run
from guardsim.real_backend.run import RealRunResult, run_real

__all__ = [
    "Imported",
    "RealRunResult",
    "RunPlan",
    "format_plan",
    "import_endpoint",
    "observe_endpoint",
    "plan_run",
    "run_real",
]

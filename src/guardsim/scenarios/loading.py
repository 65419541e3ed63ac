"""Reading scenario files (YAML or JSON) and built-in scenarios, strictly.

Loading never stops at the first problem: :func:`check_scenario_dict` returns every error and
warning, each with the path to its field. Strict means: unknown keys are errors (with a
did-you-mean), duplicate keys are errors, and wrong types are never coerced.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from guardsim.cloudwatch.composite import parse_rule
from guardsim.errors import AlarmError, Problem, ScenarioError, ScenarioNotFound
from guardsim.inputs import (
    MAX_DEPTH,
    MAX_YAML_VALUES,
    check_depth,
    file_problem,
    parse_json,
    read_text,
)
from guardsim.scenarios import library
from guardsim.scenarios.boto import (
    EVALUATED_ALARM_KEYS,
    PASSTHROUGH_ALARM_KEYS,
    AutoRollbackConfig,
    CompositeAlarm,
    DeploymentConfig,
    EndpointConfig,
    MetricAlarm,
)
from guardsim.scenarios.boto_shapes import check_shape, input_shape, shape
from guardsim.scenarios.components import InferenceComponent, load_inference_component, unit_view
from guardsim.scenarios.environment import Environment, Simulation
from guardsim.scenarios.fields import (
    did_you_mean,
    join,
    load_dataclass,
    type_name,
    unknown_key_problem,
)
from guardsim.scenarios.metric_checks import check_metric_alarms
from guardsim.scenarios.models import Models
from guardsim.scenarios.real import load_real
from guardsim.scenarios.scenario import Endpoint, Scenario
from guardsim.scenarios.traffic import Traffic, read_replay
from guardsim.scenarios.validation import check_scenario, check_variants

if TYPE_CHECKING:
    from guardsim.scenarios.iac import IacOptions

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "endpoint",
    "deployment_config",
    "alarms",
    "models",
    "traffic",
    "environment",
    "simulation",
    "real",
    "inference_component",
)


@dataclass(frozen=True)
class LoadResult:
    """The outcome of reading a scenario: the scenario (None if invalid) and every problem."""

    scenario: Scenario | None
    problems: tuple[Problem, ...]
    source: str

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


# --------------------------------------------------------------------------- parsing text


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a mapping with a duplicate key is an error, and nesting
    deeper than :data:`guardsim.inputs.MAX_DEPTH` is refused while composing (PyYAML's
    composer and constructor recurse once or twice per level: a 20,000-deep document would
    overflow the stack before anything could look at its depth)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth >= MAX_DEPTH and not self.check_event(yaml.AliasEvent, yaml.ScalarEvent):
            event: Any = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found unhashable key ({type_name(key)})",
                key_node.start_mark,
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_text(text: str, source: str, *, json_only: bool = False) -> Any:
    """Parse YAML (or JSON, which is also accepted as YAML) into plain data."""
    if json_only:

        def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for k, v in pairs:
                if k in out:
                    # The hook sees one object, not where it is: name the key, not a path.
                    raise ScenarioError([Problem("", f"invalid JSON: duplicate key {k!r}")], source)
                out[k] = v
            return out

        def error(message: str) -> ScenarioError:
            # parse_json puts the source first; the problem is shown after it already
            return ScenarioError([Problem("", message.removeprefix(f"{source}: "))], source)

        return parse_json(text, source, error, object_pairs_hook=no_dupes)
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{context}: {what}" if context and "duplicate" in str(what) else what
        raise ScenarioError([Problem("", f"invalid YAML{where}: {detail}")], source) from None
    except ValueError as exc:  # a constructor's: a date like 2024-13-45, a 5000-digit integer
        raise ScenarioError([Problem("", f"invalid YAML: {exc}")], source) from None
    # aliases can nest a document deeper than its text does (each alias is composed once)
    check_depth(
        data,
        "",
        lambda m: ScenarioError([Problem("", m.removeprefix(": "))], source),
        max_values=MAX_YAML_VALUES,
    )
    return data


# --------------------------------------------------------------------------- sections


def _default_endpoint_raw(name: str) -> dict[str, Any]:
    return {
        "EndpointConfigName": f"{name}-config-blue",
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 3}
        ],
    }


def _load_endpoint_config(raw: object, path: str, problems: list[Problem]) -> EndpointConfig | None:
    before = len(problems)
    check_shape(raw, input_shape("sagemaker", "CreateEndpointConfig"), path, problems)
    if len(problems) > before:
        return None
    assert isinstance(raw, Mapping)
    return EndpointConfig.from_boto(raw)


def _load_endpoint(raw: object, problems: list[Problem]) -> Endpoint | None:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("endpoint", f"expected a mapping, got {type_name(raw)}"))
        return None
    for key in raw:
        if key not in ("name", "blue", "green"):
            problems.append(unknown_key_problem("endpoint", key, ("name", "blue", "green")))
    name = raw.get("name", "guardsim-demo")
    before = len(problems)
    check_shape(
        name,
        input_shape("sagemaker", "CreateEndpoint").members["EndpointName"],
        "endpoint.name",
        problems,
    )
    blue_raw = raw.get(
        "blue", _default_endpoint_raw(name if isinstance(name, str) else "guardsim-demo")
    )
    blue = _load_endpoint_config(blue_raw, "endpoint.blue", problems)
    green_raw = raw.get("green")
    if green_raw is None:
        if blue is None:  # green would be a copy of blue, whose errors are already reported
            return None
        green_raw = {**blue.to_boto(), "EndpointConfigName": f"{blue.name}-green"[:63]}
    green = _load_endpoint_config(green_raw, "endpoint.green", problems)
    if len(problems) > before or blue is None or green is None:
        return None
    return Endpoint(name=name, blue=blue, green=green)


def _load_deployment_config(raw: object, problems: list[Problem]) -> DeploymentConfig | None:
    if raw is None:
        raw = {}
    before = len(problems)
    check_shape(raw, shape("sagemaker", "DeploymentConfig"), "deployment_config", problems)
    problems += AutoRollbackConfig.unnamed_alarms(raw, "deployment_config")
    if len(problems) > before:
        return None
    assert isinstance(raw, Mapping)
    return DeploymentConfig.from_boto(raw)


def _load_component_update(
    raw: Mapping[str, Any], problems: list[Problem]
) -> tuple[Endpoint | None, DeploymentConfig | None, InferenceComponent | None]:
    """The unit view (one unit per copy) of an ``inference_component`` scenario: its endpoint
    (``endpoint.blue`` is the endpoint's config; there is no green one), the rolling
    DeploymentConfig in copies, and the section as given."""
    ep_raw = raw.get("endpoint")
    ep_raw = {} if ep_raw is None else ep_raw
    if isinstance(ep_raw, Mapping) and "green" in ep_raw:
        problems.append(
            Problem(
                "endpoint.green",
                "an inference component update does not change the endpoint config: give "
                "only endpoint.blue (the endpoint's config)",
            )
        )
        return None, None, None
    endpoint = _load_endpoint(ep_raw, problems)
    ic = load_inference_component(
        raw.get("inference_component"),
        raw.get("deployment_config"),
        endpoint.blue if endpoint is not None else None,
        endpoint.name if endpoint is not None else None,
        problems,
    )
    if endpoint is None or ic is None:
        return None, None, None
    units, config = unit_view(ic)
    busy = tuple(n.name for n in ic.busy_neighbours)
    return Endpoint(endpoint.name, units, units, component=ic.name, neighbours=busy), config, ic


def _load_alarms(
    raw: object, problems: list[Problem], composites: list[tuple[int, CompositeAlarm]]
) -> tuple[list[MetricAlarm], set[str], list[int]]:
    """The metric alarms that loaded, the names of every alarm given (even invalid ones), and
    the position in ``alarms`` of each one that loaded. An entry with ``AlarmRule`` is a
    composite alarm (``put_composite_alarm`` arguments, see aws-model.md#composite-alarms):
    those that loaded are appended to ``composites`` with their positions."""
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        problems.append(
            Problem(
                "alarms", f"expected a list of put_metric_alarm arguments, got {type_name(raw)}"
            )
        )
        return [], set(), []
    alarm_shape = input_shape("cloudwatch", "PutMetricAlarm")
    composite_shape = input_shape("cloudwatch", "PutCompositeAlarm")
    alarms: list[MetricAlarm] = []
    names: set[str] = set()
    positions: list[int] = []
    for i, item in enumerate(raw):
        path = join("alarms", i)
        if isinstance(item, Mapping) and isinstance(item.get("AlarmName"), str):
            names.add(item["AlarmName"])
        before = len(problems)
        if isinstance(item, Mapping) and "AlarmRule" in item:
            check_shape(item, composite_shape, path, problems)
            if "ActionConfiguration" in item:
                problems.append(
                    Problem(
                        join(path, "ActionConfiguration"),
                        "a valid put_composite_alarm argument that guardsim does not simulate",
                    )
                )
            if len(problems) == before and isinstance(item["AlarmRule"], str):
                try:
                    parse_rule(item["AlarmRule"])
                except AlarmError as e:
                    problems.append(Problem(join(path, "AlarmRule"), e.message))
            if len(problems) == before:
                composites.append((i, CompositeAlarm.from_boto(item)))
            continue
        check_shape(item, alarm_shape, path, problems)
        if isinstance(item, Mapping):
            # Optional in the service model only because PromQL alarms (EvaluationCriteria) do
            # without them; every metric alarm needs both.
            for key in ("EvaluationPeriods", "ComparisonOperator"):
                if key not in item:
                    problems.append(Problem(join(path, key), "required field is missing"))
            simulated = EVALUATED_ALARM_KEYS + PASSTHROUGH_ALARM_KEYS
            for key in item:
                if key in alarm_shape.members and key not in simulated:
                    problems.append(
                        Problem(
                            join(path, key),
                            "a valid put_metric_alarm argument that "
                            "guardsim does not simulate (PromQL alarms are not "
                            "supported)",
                        )
                    )
        if len(problems) == before:
            assert isinstance(item, Mapping)
            alarms.append(MetricAlarm.from_boto(item))
            positions.append(i)
    return alarms, names, positions


def _band_problems(
    alarms: Sequence[MetricAlarm],
    positions: Sequence[int],
    models: Any,
    traffic: Any,
    simulation: Any,
    environment: Any,
    base_dir: Path | None,
) -> list[Problem]:
    """A problem per anomaly-detection alarm guardsim cannot give a band
    (:func:`guardsim.model.anomaly.anomaly_band`), at the field it names."""
    from guardsim.cloudwatch.anomaly import is_anomaly_alarm
    from guardsim.model.anomaly import anomaly_band

    boto = [(i, a.to_boto()) for i, a in zip(positions, alarms, strict=True)]
    boto = [(i, b) for i, b in boto if is_anomaly_alarm(b)]
    if not boto:
        return []
    replay = None
    if traffic.replay_file is not None:
        path = Path(traffic.replay_file)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        replay = read_replay(path)[0] or None
    out = []
    for i, kwargs in boto:
        try:
            anomaly_band(
                kwargs,
                models.blue,
                traffic,
                simulation.warmup_seconds,
                replay,
                environment.anomaly_band_model,
            )
        except AlarmError as e:
            out.append(Problem(join(join("alarms", i), e.field or "ThresholdMetricId"), e.message))
    return out


def _section(raw: Mapping[str, Any], key: str) -> object:
    """A section as given; left out or null means all defaults (but ``0`` or ``[]`` is an error)."""
    value = raw.get(key)
    return {} if value is None else value


def _resolved_history(models: Models, base_dir: Path | None, problems: list[Problem]) -> Models:
    """``models.blue.history.file`` made absolute (relative to the scenario file) and read, so a
    bad recording is refused with the file and line before any work."""
    from guardsim.model.history import history_problems

    history = models.blue.history
    assert history is not None
    path = Path(history.file)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    history = replace(history, file=str(path))
    found = history_problems(history, "models.blue.history")
    problems.extend(found)
    if found:
        return models
    history = replace(history, file=str(path.resolve()))
    return replace(models, blue=replace(models.blue, history=history))


def check_scenario_dict(
    raw: object, *, source: str = "<scenario>", base_dir: Path | None = None
) -> LoadResult:
    """Build and validate a Scenario from parsed data; never raises for bad input: the result
    holds the scenario (None if invalid) and every problem, warnings included.
    :func:`scenario_from_dict` is the same, returning the Scenario or raising."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        problems.append(
            Problem("", f"a scenario must be a mapping of sections, got {type_name(raw)}")
        )
        return LoadResult(None, tuple(problems), source)
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            problems.append(unknown_key_problem("", key, TOP_LEVEL_KEYS))
    name = raw.get(
        "name", Path(source).stem if source and not source.startswith("<") else "scenario"
    )
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem("name", f"expected a non-empty string, got {type_name(name)}"))
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.append(Problem("description", f"expected a string, got {type_name(description)}"))

    ic: InferenceComponent | None = None
    if raw.get("inference_component") is not None:
        # an inference component's rolling update: run as a rolling update of its copies
        endpoint, deployment_config, ic = _load_component_update(raw, problems)
    else:
        endpoint = _load_endpoint(raw.get("endpoint"), problems)
        deployment_config = _load_deployment_config(raw.get("deployment_config"), problems)
    composites: list[tuple[int, CompositeAlarm]] = []
    alarms, alarm_names, alarm_positions = _load_alarms(raw.get("alarms"), problems, composites)
    models = load_dataclass(Models, _section(raw, "models"), "models", problems)
    traffic = load_dataclass(Traffic, _section(raw, "traffic"), "traffic", problems)
    environment = load_dataclass(Environment, _section(raw, "environment"), "environment", problems)
    simulation = load_dataclass(Simulation, _section(raw, "simulation"), "simulation", problems)
    real = load_real(raw.get("real"), problems, base_dir)
    if traffic is not None and traffic.replay_file is not None:
        replay = Path(traffic.replay_file)
        if not replay.is_absolute() and base_dir is not None:
            replay = base_dir / replay
        _, replay_problems = read_replay(replay)
        problems.extend(replay_problems)
        if not replay_problems:  # resolve() raises for a name it cannot stat (a NUL byte)
            traffic = replace(traffic, replay_file=str(replay.resolve()))
    if models is not None and models.blue.history is not None:
        models = _resolved_history(models, base_dir, problems)

    problems.extend(
        check_scenario(
            endpoint=endpoint,
            deployment_config=deployment_config,
            alarms=alarms,
            all_alarm_names=alarm_names,
            alarm_positions=alarm_positions,
            composites=composites,
            environment=environment,
            inference_component=ic,
        )
    )
    # a multi-variant endpoint's own rules (guardsim.scenarios.variants)
    problems.extend(
        check_variants(
            endpoint if ic is None else None,
            deployment_config,
            alarms,
            alarm_positions,
            composites,
            models,
            environment,
        )
    )
    # alarms on the instance and custom metrics (guardsim.scenarios.metric_checks)
    problems[:] = check_metric_alarms(problems, alarms, alarm_positions, endpoint, models)
    parts = (endpoint, deployment_config, models, traffic, environment, simulation)
    if not any(p.severity == "error" for p in problems) and all(p is not None for p in parts):
        # an anomaly alarm's band, as the engines will compute it (guardsim.model.anomaly):
        # refused here, naming the field, when guardsim has none for it
        problems.extend(
            _band_problems(
                alarms, alarm_positions, models, traffic, simulation, environment, base_dir
            )
        )
    if any(p.severity == "error" for p in problems) or any(p is None for p in parts):
        return LoadResult(None, tuple(problems), source)
    assert endpoint is not None and deployment_config is not None and models is not None
    assert traffic is not None and environment is not None and simulation is not None
    assert isinstance(name, str) and isinstance(description, str)
    scenario = Scenario(
        name=name,
        description=description,
        endpoint=endpoint,
        deployment_config=deployment_config,
        alarms=tuple(alarms),
        composite_alarms=tuple(c for _, c in composites),
        models=models,
        traffic=traffic,
        environment=environment,
        simulation=simulation,
        real=real,
        inference_component=ic,
    )
    return LoadResult(scenario, tuple(problems), source)


def scenario_from_dict(
    raw: object, *, source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """A valid Scenario from plain data shaped like a scenario file (a dict of sections, as
    ``Scenario.to_dict`` gives), or :class:`ScenarioError` listing every problem, each with the
    path to its field. Relative paths in the data (a traffic replay, a payload file) are read
    from ``base_dir``. :func:`check_scenario_dict` returns the problems instead of raising."""
    result = check_scenario_dict(raw, source=source, base_dir=base_dir)
    if result.scenario is None:
        raise ScenarioError(result.problems, result.source)
    return result.scenario


# --------------------------------------------------------------------------- files and names


def read_scenario(ref: str | Path, iac: IacOptions | None = None) -> LoadResult:
    """Read a scenario file, or a built-in scenario by name; never raises for bad input
    except :class:`ScenarioNotFound` (missing file or unknown name) and syntax errors
    (:class:`ScenarioError`).

    A CloudFormation template (CDK output included), a Terraform ``.tf`` file or the JSON of
    ``terraform show -json`` is read as a scenario too (:mod:`guardsim.scenarios.iac`), with
    ``iac``'s endpoint choice, parameter values and overlay."""
    path = Path(ref)
    reason = file_problem(path, "scenario") if str(ref) else "file not found"
    if reason is None or (reason != "file not found" and not path.is_dir()):
        source = str(ref)
        text = read_text(
            path, "scenario", what="scenario file", error=lambda m: ScenarioNotFound(m, source)
        )
        from guardsim.scenarios.iac import detect, read_iac

        fmt = detect(path, text)
        if fmt is not None:
            return read_iac(path, text, fmt, iac)
        if iac is not None and iac != type(iac)():
            raise ScenarioError(
                [Problem("", "--resource, --parameter, --var and --with apply to IaC files only")],
                source,
            )
        raw = parse_text(text, source, json_only=path.suffix.lower() == ".json")
        return check_scenario_dict(raw, source=source, base_dir=path.parent)
    if path.is_dir():
        from guardsim.scenarios.iac import read_iac, tf_files

        if tf_files(path):  # a Terraform module: every *.tf file of the directory
            return read_iac(path, "", "terraform", iac)
    if path.is_dir():
        raise ScenarioNotFound(
            f"{ref} is not a file (a directory holding no Terraform *.tf files)", str(ref)
        )
    name = str(ref)
    if name in library.names():
        source = f"builtin:{name}"
        raw = parse_text(library.text(name), source)
        return check_scenario_dict(raw, source=source, base_dir=library.directory())
    looks_like_path = any(c in name for c in "/\\") or name.endswith((".yaml", ".yml", ".json"))
    hint = "" if looks_like_path else did_you_mean(name, library.names())
    raise ScenarioNotFound(
        f"no such scenario file: {name}"
        if looks_like_path
        else f"no scenario file {name!r} and no built-in scenario of that name{hint}; "
        f"built-in scenarios: {', '.join(library.names())}",
        name,
    )


def load_scenario(ref: str | Path, iac: IacOptions | None = None) -> Scenario:
    """Load a valid scenario or raise :class:`ScenarioError` listing every problem."""
    result = read_scenario(ref, iac)
    if result.scenario is None:
        raise ScenarioError(result.problems, result.source)
    return result.scenario

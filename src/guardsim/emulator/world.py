"""The emulator's world: how the models the client creates behave, and the environment.

A world file (YAML or JSON) or dict in its minimal form::

    models:                       # first match wins
      - match: {image: "sagemaker-xgboost:1.2-1"}   # substring of a container Image
        behaviour: {latency: {median_ms: 40, p99_ms: 120}, error_rate_5xx: 1.0}
      - match: {}                                   # everything else
        behaviour: {latency: {median_ms: 3, p99_ms: 10}}
    environment: {}               # a scenario's environment section
    traffic: {}                   # background traffic: endpoint or component name (or "*")

* ``models[i].match`` has any of ``image``, ``model_name``, ``model_data_url``; each is a
  substring that must occur in the model's name, or in the ``Image`` / ``ModelDataUrl`` of one
  of its containers (``PrimaryContainer`` or ``Containers``). Every key given must match; an
  empty match matches every model. A model matches once, when ``CreateModel`` is called, and
  keeps that behaviour for its life. A model no rule matches behaves as the scenario default.
* ``match: {role: update}`` matches no model at ``CreateModel``: it matches the model of the
  endpoint config an ``UpdateEndpoint`` deploys, at that call (with the rule's other keys, in
  the rules' order), and the model keeps that behaviour from then on. It is how a world says
  "whatever is deployed by an update behaves like this, whatever its name or image":
  :func:`world_from_scenario` uses it.
* ``models[i].behaviour`` is a scenario's ``models.blue`` / ``models.green`` mapping. A
  behaviour may replay a recorded history (``history``, the file relative to the world file, as
  :mod:`guardsim.model.history` reads it), with ``history_transform`` on top of the same
  recording (a transform needs the ``history`` it transforms, in the same behaviour). The
  emulator plays the recording from the minute its endpoint came into service: recording
  minute ``start_minute`` (0 if null) in its first minute, and on, wrapping around (one run, so
  no start minute is drawn).
* ``environment`` is a scenario's ``environment`` section: what AWS does not document
  (provisioning time, metric publish delay, alarm poll interval, ...), with the same defaults.
* ``traffic`` maps an endpoint name, or ``"*"`` for every endpoint without its own entry, to a
  scenario ``traffic`` section: requests the emulator adds to the client's own, as if other
  callers used the endpoint. A key that names an inference component
  (``InferenceComponentName``) is that component's background traffic, served by its copies
  (``"*"`` does not apply to components). Left out or empty: the only traffic is the client's.
* ``seed`` (default 0): the seed of the emulator's random streams.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from guardsim.errors import BadInputError, DocumentError, Problem
from guardsim.scenarios.environment import Environment
from guardsim.scenarios.fields import load_dataclass, type_name, unknown_key_problem
from guardsim.scenarios.models import ModelBehaviour
from guardsim.scenarios.traffic import Traffic

if TYPE_CHECKING:
    from guardsim.scenarios.scenario import Scenario

MATCH_KEYS = ("image", "model_name", "model_data_url", "role")
#: The values of ``match.role``: the model an UpdateEndpoint deploys.
ROLES = ("update",)
WORLD_KEYS = ("models", "environment", "traffic", "seed")


class WorldError(DocumentError):
    """A world file or dict is invalid: ``problems`` lists every error with its field path."""

    document = "world"


@dataclass(frozen=True)
class ModelRule:
    """One ``models[i]`` entry: which models it matches and how they behave."""

    match: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    behaviour: ModelBehaviour = field(default_factory=ModelBehaviour)

    def matches(self, model: Mapping[str, Any], role: str | None = None) -> bool:
        """Whether a CreateModel request's parameters match this rule (``role``: ``"update"``
        when the model is being deployed by an UpdateEndpoint, else ``None``)."""
        if self.match.get("role") != role:
            return False
        containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else []
        containers += list(model.get("Containers") or [])
        for key, needle in self.match.items():
            if key == "role":
                continue
            if key == "model_name":
                haystack = [str(model.get("ModelName", ""))]
            elif key == "image":
                haystack = [str(c.get("Image", "")) for c in containers]
            else:
                haystack = [str(c.get("ModelDataUrl", "")) for c in containers]
            if not any(needle in h for h in haystack):
                return False
        return True


@dataclass(frozen=True)
class World:
    """How the emulated account behaves (see the module doc)."""

    models: tuple[ModelRule, ...] = ()
    environment: Environment = field(default_factory=Environment)
    traffic: Mapping[str, Traffic] = field(default_factory=lambda: MappingProxyType({}))
    seed: int = 0

    def behaviour_of(self, model: Mapping[str, Any]) -> ModelBehaviour:
        """The behaviour of a model created with these CreateModel parameters: the first
        matching rule's, else the scenario default."""
        for rule in self.models:
            if rule.matches(model):
                return rule.behaviour
        return ModelBehaviour()

    def behaviour_on_update(self, model: Mapping[str, Any]) -> ModelBehaviour | None:
        """The behaviour a model takes when an UpdateEndpoint deploys it: that of the first rule
        matching it in role ``update`` (see the module doc), else ``None`` (it keeps its own)."""
        for rule in self.models:
            if rule.matches(model, "update"):
                return rule.behaviour
        return None

    def traffic_for(self, endpoint: str) -> Traffic | None:
        """The background traffic of an endpoint: its own entry, else ``"*"``, else none."""
        return self.traffic.get(endpoint, self.traffic.get("*"))


def _load_models(
    raw: object, problems: list[Problem], base_dir: Path | None = None
) -> tuple[ModelRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem("models", f"expected a list of rules, got {type_name(raw)}"))
        return ()
    rules = []
    for i, item in enumerate(raw):
        path = f"models[{i}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(path, f"expected a mapping, got {type_name(item)}"))
            continue
        for key in item:
            if key not in ("match", "behaviour"):
                problems.append(unknown_key_problem(path, key, ("match", "behaviour")))
        match = item.get("match") or {}
        good = True
        if not isinstance(match, Mapping):
            problems.append(Problem(f"{path}.match", f"expected a mapping, got {type_name(match)}"))
            match, good = {}, False
        for key, value in match.items():
            if key not in MATCH_KEYS:
                problems.append(unknown_key_problem(f"{path}.match", key, MATCH_KEYS))
                good = False
            elif not isinstance(value, str):
                problems.append(
                    Problem(f"{path}.match.{key}", f"expected a string, got {type_name(value)}")
                )
                good = False
            elif key == "role" and value not in ROLES:
                problems.append(
                    Problem(f"{path}.match.role", f"expected one of {list(ROLES)}, got {value!r}")
                )
                good = False
        raw_behaviour = item.get("behaviour")
        behaviour = load_dataclass(
            ModelBehaviour,
            {} if raw_behaviour is None else raw_behaviour,
            f"{path}.behaviour",
            problems,
        )
        if behaviour is not None:
            behaviour, replayable = _replayable(behaviour, f"{path}.behaviour", base_dir, problems)
            good = good and replayable
        if good and behaviour is not None:
            rules.append(ModelRule(MappingProxyType(dict(match)), behaviour))
    return tuple(rules)


def _replayable(
    behaviour: ModelBehaviour, path: str, base_dir: Path | None, problems: list[Problem]
) -> tuple[ModelBehaviour, bool]:
    """``behaviour`` with its ``history.file`` made absolute (relative to ``base_dir``, the
    world file's folder) and readable, and whether it is (problems named by ``path``)."""
    from dataclasses import replace

    from guardsim.model.history import history_problems

    history = behaviour.history
    if history is None:
        if behaviour.history_transform is not None:
            problems.append(
                Problem(
                    f"{path}.history_transform",
                    "needs history in the same behaviour (the recording it transforms)",
                )
            )
            return behaviour, False
        return behaviour, True
    file = Path(history.file)
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    history = replace(history, file=str(file.resolve()))
    found = history_problems(history, f"{path}.history")
    problems.extend(found)
    return replace(behaviour, history=history), not found


def _load_traffic(raw: object, problems: list[Problem]) -> Mapping[str, Traffic]:
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, Mapping):
        problems.append(Problem("traffic", f"expected a mapping, got {type_name(raw)}"))
        return MappingProxyType({})
    out: dict[str, Traffic] = {}
    traffic_fields = set(Traffic.__dataclass_fields__)
    for key, value in raw.items():
        path = f"traffic.{key}"
        if key in traffic_fields and not isinstance(value, Mapping):
            problems.append(
                Problem(
                    path,
                    "traffic is keyed by endpoint name (or '*' for every endpoint): "
                    f'write traffic: {{"*": {{{key}: ...}}}}',
                )
            )
            continue
        traffic = load_dataclass(Traffic, {} if value is None else value, path, problems)
        if traffic is not None:
            if traffic.replay_file is not None:
                problems.append(
                    Problem(f"{path}.replay_file", "the emulator does not replay traffic files")
                )
                continue
            out[str(key)] = traffic
    return MappingProxyType(out)


def check_world(raw: object, source: str = "<world>", base_dir: Path | None = None) -> World:
    """A valid :class:`World` from parsed data, or :class:`WorldError` naming every problem
    (``base_dir``: the folder relative history files are read from)."""
    problems: list[Problem] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise WorldError(
            [Problem("", f"a world must be a mapping of sections, got {type_name(raw)}")], source
        )
    for key in raw:
        if key not in WORLD_KEYS:
            problems.append(unknown_key_problem("", key, WORLD_KEYS))
    models = _load_models(raw.get("models"), problems, base_dir)
    env_raw = raw.get("environment")
    environment = load_dataclass(
        Environment, {} if env_raw is None else env_raw, "environment", problems
    )
    traffic = _load_traffic(raw.get("traffic"), problems)
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(Problem("seed", f"expected an integer >= 0, got {seed!r}"))
        seed = 0
    if any(p.severity == "error" for p in problems) or environment is None:
        raise WorldError(problems, source)
    return World(models=models, environment=environment, traffic=traffic, seed=seed)


def load_world(source: str | os.PathLike[str] | Mapping[str, Any] | None) -> World:
    """The world of a file (YAML or JSON), a dict in the same form, or ``None`` (the scenario
    defaults: every model behaves as a scenario's default model, no background traffic).

    Raises :class:`WorldError` (a :class:`~guardsim.errors.BadInputError`) naming the file and
    each bad field."""
    if source is None:
        return World()
    if isinstance(source, World):
        return source
    if isinstance(source, Mapping):
        return check_world(source, "<world>")
    from guardsim.scenarios.loading import parse_text

    path = Path(source)
    name = str(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorldError([Problem("", f"cannot read world file: {exc}")], name) from None
    try:
        raw = parse_text(text, name, json_only=path.suffix.lower() == ".json")
    except BadInputError as exc:
        raise WorldError([Problem("", str(exc))], name) from None
    return check_world(raw, name, path.parent)


def world_from_scenario(truth: Scenario, *, background_traffic: bool = True) -> World:
    """The world in which a scenario is the truth: what the real backend's tests (and
    ``guardsim real run --fake-aws --truth``) run against.

    * the models an UpdateEndpoint deploys behave as ``truth.models.green`` (a ``role: update``
      rule), every other model as ``truth.models.blue``;
    * the environment is ``truth.environment``;
    * ``truth.traffic`` is every endpoint's background traffic (``"*"``), on top of what the
      client sends (unless ``background_traffic`` is false: then the client's requests are the
      only traffic, for a client that drives the truth's traffic itself);
    * an inference component's neighbours with ``traffic`` keep it as their own background
      traffic (keyed by their name), and their models (matched by ``ModelName``) behave as
      their ``model`` (whatever ``background_traffic`` says: nobody else drives them);
    * the seed is ``truth.simulation.seed``.

    A recording-driven truth (``models.blue.history``) is played from its ``start_minute``, the
    new model's ``history_transform`` on the same recording.

    Raises :class:`WorldError` for what the emulator cannot play (a traffic replay file), and
    :class:`~guardsim.model.faults.UnsupportedFault` for a fault kind no kernel implements."""
    if truth.traffic.replay_file is not None:
        raise WorldError(
            [Problem("traffic.replay_file", "the emulator does not replay traffic files")],
            truth.name,
        )
    from dataclasses import replace

    from guardsim.model.faults import FleetFaults
    from guardsim.model.history import played_from_start

    blue, green = truth.models.blue, truth.models.green
    if green.history_transform is not None:  # the new model transforms the old one's recording
        green = replace(green, history=blue.history)
    for model, path in ((green, "models.green"), (blue, "models.blue")):
        # an unknown fault kind: refused, named
        FleetFaults(model, path, played_from_start(model, path))
    busy = truth.inference_component.busy_neighbours if truth.inference_component else ()
    neighbours = tuple(
        ModelRule(MappingProxyType({"model_name": n.model_name}), n.behaviour)
        for n in busy
        if n.model_name  # an empty match would match every model
    )
    traffic = {"*": truth.traffic} if background_traffic else {}
    traffic |= {n.name: n.traffic for n in busy if n.traffic is not None}
    return World(
        models=(
            *neighbours,
            ModelRule(MappingProxyType({"role": "update"}), green),
            ModelRule(MappingProxyType({}), blue),
        ),
        environment=truth.environment,
        traffic=MappingProxyType(traffic),
        seed=truth.simulation.seed,
    )


__all__ = [
    "MATCH_KEYS",
    "ROLES",
    "ModelRule",
    "World",
    "WorldError",
    "check_world",
    "load_world",
    "world_from_scenario",
]

"""Reading CloudFormation templates (YAML with short-form intrinsics, JSON, CDK synth output).

The template is parsed by cfn-lint's decoder (``cfnlint.decode``), which understands the
short-form intrinsics (``!Ref``, ``!Sub``, ``!GetAtt``, ``!If``, ...) and keeps the line of every
key. This module then resolves the intrinsic functions guardsim can decide from the template
alone, as documented in the intrinsic function reference
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):

* ``Ref`` to a parameter (its ``Default``, or ``--parameter NAME=VALUE``), to a pseudo parameter
  given with ``--parameter`` (``AWS::Region=eu-west-1``), to ``AWS::NoValue`` (the property is
  removed), or to a resource of the template (kept as a reference the builder follows);
* ``Fn::GetAtt`` on a resource of the template; ``Fn::Sub`` (both forms), ``Fn::Join``,
  ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::If`` with the template's
  ``Conditions`` (``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not``, ``Condition``), and a
  resource's own ``Condition``.

What cannot be decided from the template (``Fn::ImportValue``, ``Fn::GetAZs``, a pseudo
parameter that was not given, an attribute only AWS knows) is reported with its path and line,
never guessed. CDK output (``cdk.out/*.template.json``) is the same format with long-form
intrinsics and hashed logical ids; it is read the same way.

The SageMaker resources read: ``AWS::SageMaker::Endpoint`` (``EndpointName``,
``EndpointConfigName``, ``DeploymentConfig``, ``RetainDeploymentConfig``;
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sagemaker-endpoint.html),
``AWS::SageMaker::EndpointConfig``, ``AWS::SageMaker::Model``, ``AWS::SageMaker::
InferenceComponent`` and ``AWS::CloudWatch::Alarm`` (whose properties mirror ``PutMetricAlarm``;
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-alarm.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardsim.errors import Problem
from guardsim.scenarios.fields import join
from guardsim.scenarios.iac.model import IacModel, Kind, Resource, ResourceRef
from guardsim.scenarios.iac.source import Location, ParameterRange, located_path

RESOURCE_KINDS: dict[str, tuple[Kind, str | None]] = {
    "AWS::SageMaker::Endpoint": ("endpoint", "EndpointName"),
    "AWS::SageMaker::EndpointConfig": ("endpoint_config", "EndpointConfigName"),
    "AWS::SageMaker::Model": ("model", "ModelName"),
    "AWS::CloudWatch::Alarm": ("alarm", "AlarmName"),
    # properties mirror PutCompositeAlarm:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-compositealarm.html
    "AWS::CloudWatch::CompositeAlarm": ("composite_alarm", "AlarmName"),
    "AWS::SageMaker::InferenceComponent": ("inference_component", "InferenceComponentName"),
}
PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)
UNDECIDABLE = ("Fn::ImportValue", "Fn::GetAZs", "Fn::Base64", "Fn::Cidr", "Fn::Transform")
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class _NoValue:
    """``Ref: AWS::NoValue``: the property is left out."""


NO_VALUE = _NoValue()


class Unresolved(Exception):
    """A value that cannot be decided from the template (carries the IaC path)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def looks_like_template(text: str) -> bool:
    """Whether ``text`` is a CloudFormation template rather than a guardsim scenario."""
    if "AWSTemplateFormatVersion" in text:
        return True
    if re.search(r"^Resources\s*:", text, re.MULTILINE):
        return True
    return '"Resources"' in text and re.search(r'"Type"\s*:\s*"AWS::', text) is not None


def _line(node: object) -> int | None:
    mark = getattr(node, "start_mark", None)
    return None if mark is None else int(mark.line) + 1


class _Resolver:
    def __init__(self, template: Mapping[str, Any], file: str, params: Mapping[str, str]) -> None:
        self.t = template
        self.file = file
        self.given = dict(params)
        self.parameters = template.get("Parameters") or {}
        self.conditions = template.get("Conditions") or {}
        self.mappings = template.get("Mappings") or {}
        self.resources = template.get("Resources") or {}
        self._cond_cache: dict[str, bool] = {}
        self._cond_stack: list[str] = []
        #: (parameter, resource, api path, location) for each direct Ref to a parameter
        self.parameter_uses: list[tuple[str, str, str, Location]] = []

    # ------------------------------------------------------------------ parameters

    def parameter(self, name: str, path: str) -> Any:
        value = self._parameter_text(name, path)
        spec = self.parameters.get(name)
        kind = str(spec.get("Type", "")) if isinstance(spec, Mapping) else ""
        if isinstance(value, str) and (kind == "CommaDelimitedList" or kind.startswith("List<")):
            # a list parameter's Ref is a list (Parameters section reference)
            return [item.strip() for item in value.split(",")]
        return value

    def _parameter_text(self, name: str, path: str) -> Any:
        if name in self.given:
            return self.given[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            raise Unresolved(
                path,
                f"Ref {name} is known only when the stack is deployed; give it with "
                f"--parameter {name}=VALUE",
            )
        spec = self.parameters.get(name)
        if not isinstance(spec, Mapping):
            raise Unresolved(path, f"Ref {name}: no such parameter or resource in the template")
        if "Default" not in spec:
            raise Unresolved(
                path,
                f"parameter {name} has no Default; give it with --parameter {name}=VALUE",
            )
        default = spec["Default"]
        if isinstance(default, list):
            return ",".join(str(x) for x in default)
        return str(default)

    # ------------------------------------------------------------------ conditions

    def condition(self, name: object, path: str) -> bool:
        if not isinstance(name, str) or name not in self.conditions:
            raise Unresolved(path, f"condition {name!r} is not defined in Conditions")
        if name in self._cond_cache:
            return self._cond_cache[name]
        if name in self._cond_stack:
            raise Unresolved(path, f"condition {name!r} refers to itself")
        self._cond_stack.append(name)
        try:
            value = self._truth(self.conditions[name], f"Conditions.{name}")
        finally:
            self._cond_stack.pop()
        self._cond_cache[name] = value
        return value

    def _truth(self, node: Any, path: str) -> bool:
        if isinstance(node, Mapping) and len(node) == 1:
            (fn, arg), *_ = node.items()
            if fn == "Condition":
                return self.condition(arg, path)
            if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                a = self.value(arg[0], f"{path}.Fn::Equals[0]", "")
                b = self.value(arg[1], f"{path}.Fn::Equals[1]", "")
                return str(a) == str(b)
            if fn == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
                return not self._truth(arg[0], f"{path}.Fn::Not[0]")
            if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                values = [self._truth(x, f"{path}.{fn}[{i}]") for i, x in enumerate(arg)]
                return all(values) if fn == "Fn::And" else any(values)
        raise Unresolved(path, "not a condition CloudFormation can evaluate")

    # ------------------------------------------------------------------ values

    def value(
        self, node: Any, path: str, api_path: str, fields: dict[str, Location] | None = None
    ) -> Any:
        """The resolved value of ``node``; records every key's location into ``fields``."""
        if isinstance(node, Mapping):
            if len(node) == 1:
                (fn, arg), *_ = node.items()
                if fn == "Ref" or (isinstance(fn, str) and fn.startswith("Fn::")):
                    return self._intrinsic(str(fn), arg, path, api_path, fields, node)
            out: dict[str, Any] = {}
            for key, child in node.items():
                k = str(key)
                sub_api = join(api_path, k)
                if fields is not None:
                    fields[sub_api] = Location(self.file, _line(key), f"{path}.{k}")
                v = self.value(child, f"{path}.{k}", sub_api, fields)
                if v is not NO_VALUE:
                    out[k] = v
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for i, child in enumerate(node):
                sub_api = join(api_path, len(items))
                if fields is not None and _line(child) is not None:
                    fields[sub_api] = Location(self.file, _line(child), join(path, i))
                v = self.value(child, join(path, i), sub_api, fields)
                if v is not NO_VALUE:
                    items.append(v)
            return items
        if isinstance(node, str):
            return str(node)  # a plain str: cfn-lint's str_node cannot be pickled
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        return node

    def _intrinsic(
        self,
        fn: str,
        arg: Any,
        path: str,
        api_path: str,
        fields: dict[str, Location] | None,
        node: Any,
    ) -> Any:
        here = f"{path}.{fn}"
        if fn == "Ref":
            name = str(arg)
            if name in self.resources and name not in self.given:
                return ResourceRef(name)
            if name in self.parameters and fields is not None:
                line = fields.get(api_path)
                loc = line or Location(self.file, _line(node), path)
                rid = path.split(".")[1] if path.startswith("Resources.") else ""
                self.parameter_uses.append((name, rid, api_path, loc))
            return self.parameter(name, here)
        if fn == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if not (isinstance(parts, list) and len(parts) == 2):
                raise Unresolved(here, "expected [LogicalId, Attribute]")
            rid = str(self.value(parts[0], f"{here}[0]", ""))
            attr = str(self.value(parts[1], f"{here}[1]", ""))
            if rid not in self.resources:
                raise Unresolved(here, f"Fn::GetAtt: no resource {rid!r} in the template")
            return ResourceRef(rid, attr)
        if fn == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3):
                raise Unresolved(here, "expected [condition, value if true, value if false]")
            branch = 1 if self.condition(arg[0], here) else 2
            return self.value(arg[branch], f"{here}[{branch}]", api_path, fields)
        if fn == "Fn::Sub":
            return self._sub(arg, here)
        if fn == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise Unresolved(here, "expected [delimiter, [values]]")
            items = self.value(arg[1], f"{here}[1]", "")
            if not isinstance(items, list):
                raise Unresolved(here, "Fn::Join needs a list of values")
            return str(arg[0]).join(self._text(x, f"{here}[1]") for x in items)
        if fn == "Fn::Select":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise Unresolved(here, "expected [index, [values]]")
            index = self.value(arg[0], f"{here}[0]", "")
            items = self.value(arg[1], f"{here}[1]", "")
            try:
                return items[int(index)]
            except (ValueError, TypeError, IndexError, KeyError):
                raise Unresolved(here, f"Fn::Select index {index!r} out of range") from None
        if fn == "Fn::Split":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise Unresolved(here, "expected [delimiter, string]")
            text = self._text(self.value(arg[1], f"{here}[1]", ""), here)
            return text.split(str(arg[0]))
        if fn == "Fn::FindInMap":
            if not (isinstance(arg, list) and len(arg) in (3, 4)):
                raise Unresolved(here, "expected [MapName, TopLevelKey, SecondLevelKey]")
            keys = [
                self._text(self.value(a, f"{here}[{i}]", ""), here) for i, a in enumerate(arg[:3])
            ]
            try:
                found = self.mappings[keys[0]][keys[1]][keys[2]]
            except (KeyError, TypeError):
                raise Unresolved(here, f"Fn::FindInMap: no entry {'.'.join(keys)}") from None
            return self.value(found, f"Mappings.{'.'.join(keys)}", api_path, fields)
        if fn in UNDECIDABLE:
            raise Unresolved(here, f"{fn} is decided only when the stack is deployed")
        raise Unresolved(here, f"intrinsic function {fn} is not supported by guardsim")

    def _text(self, value: Any, path: str) -> str:
        if isinstance(value, ResourceRef):
            return self._name_of(value, path)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise Unresolved(path, f"expected a string, got {type(value).__name__}")

    def _name_of(self, ref: ResourceRef, path: str) -> str:
        """The physical name of a referenced resource, when the template sets it."""
        res = self.resources.get(ref.resource)
        if isinstance(res, Mapping):
            kind = RESOURCE_KINDS.get(str(res.get("Type")))
            name_key = kind[1] if kind else None
            props = res.get("Properties") or {}
            # an alarm's Arn reads as its name: an AlarmRule or ActionsSuppressor takes either
            # (PutCompositeAlarm), and nothing guardsim reads needs the ARN itself
            named_by = (
                (None, name_key, "Arn") if kind and kind[0].endswith("alarm") else (None, name_key)
            )
            if name_key and name_key in props and ref.attribute in named_by:
                named = self.value(props[name_key], f"Resources.{ref.resource}.{name_key}", "")
                if isinstance(named, str):
                    return named
        what = f"{ref.resource}.{ref.attribute}" if ref.attribute else ref.resource
        raise Unresolved(path, f"{what} is known only once the stack is deployed")

    def _sub(self, arg: Any, path: str) -> str:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
            template, variables = str(arg[0]), arg[1]
        elif isinstance(arg, str):
            template, variables = arg, {}
        else:
            raise Unresolved(path, "expected a string or [string, {variables}]")

        def one(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            if name in variables:
                return self._text(self.value(variables[name], f"{path}[1].{name}", ""), path)
            if "." in name and name.split(".", 1)[0] in self.resources:
                rid, attr = name.split(".", 1)
                return self._name_of(ResourceRef(rid, attr), path)
            if name in self.resources and name not in self.given:
                return self._name_of(ResourceRef(name), path)
            return self._text(self.parameter(name, path), path)

        return _SUB_VAR.sub(one, template).replace("${!", "${")


def parse_template(text: str, file: str) -> Mapping[str, Any]:
    """Decode a template with cfn-lint's decoder (line numbers kept); ScenarioError if not."""
    from cfnlint.decode import decode_str

    from guardsim.errors import ScenarioError

    template, matches = decode_str(text)
    if matches or not isinstance(template, Mapping):
        detail = "; ".join(str(getattr(m, "message", m)) for m in matches) or "not a mapping"
        raise ScenarioError([Problem("", f"invalid CloudFormation template: {detail}")], file)
    from guardsim.inputs import MAX_YAML_VALUES, check_depth

    # the decoder's own depth limit is far above what guardsim's resolver can walk
    check_depth(
        template,
        "invalid CloudFormation template",
        lambda m: ScenarioError([Problem("", m)], file),
        max_values=MAX_YAML_VALUES,
    )
    return template


def read_template(
    template: Mapping[str, Any], file: str, parameters: Mapping[str, str]
) -> IacModel:
    """The SageMaker and CloudWatch resources of a decoded template (see the module doc)."""
    r = _Resolver(template, file, parameters)
    model = IacModel("cloudformation", file)
    for name in parameters:
        if name not in r.parameters and name not in PSEUDO_PARAMETERS:
            model.problems.append(
                Problem("", f"--parameter {name}: the template has no parameter {name!r}")
            )
    if any(
        isinstance(res, Mapping) and "aws:cdk:path" in (res.get("Metadata") or {})
        for res in r.resources.values()
    ):
        model.notes.append("read as CDK synth output (CloudFormation JSON)")
    for rid, res in r.resources.items():
        if not isinstance(res, Mapping):
            continue
        kind = RESOURCE_KINDS.get(str(res.get("Type")))
        if kind is None:
            continue
        rpath = f"Resources.{rid}"
        loc = Location(file, _line(rid), rpath)
        try:
            if "Condition" in res and not r.condition(res["Condition"], f"{rpath}.Condition"):
                model.notes.append(f"{rid} left out: its condition {res['Condition']} is false")
                continue
        except Unresolved as exc:
            model.problems.append(Problem(exc.path, exc.message))
            continue
        fields: dict[str, Location] = {}
        props: dict[str, Any] = {}
        raw = res.get("Properties") or {}
        for key, child in raw.items() if isinstance(raw, Mapping) else ():
            k = str(key)
            fields[k] = Location(file, _line(key), f"{rpath}.Properties.{k}")
            try:
                v = r.value(child, f"{rpath}.Properties.{k}", k, fields)
            except Unresolved as exc:
                line = fields[k].line
                where = located_path(Location(file, line, exc.path), "")
                model.problems.append(Problem(where, exc.message))
                continue
            if v is not NO_VALUE:
                props[k] = v
        model.resources[rid] = Resource(rid, kind[0], props, loc, fields, kind[1])
    for name, rid, api_path, loc in r.parameter_uses:
        spec = r.parameters.get(name) or {}
        allowed = spec.get("AllowedValues")
        model.parameters.append(
            ParameterRange(
                name=name,
                resource=rid,
                field=api_path,
                location=loc,
                allowed=tuple(_numbers(allowed)) if isinstance(allowed, list) else None,
                minimum=_number(spec.get("MinValue")),
                maximum=_number(spec.get("MaxValue")),
            )
        )
    return model


def _number(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None


def _numbers(values: list[Any]) -> list[float]:
    return [x for x in (_number(v) for v in values) if x is not None]

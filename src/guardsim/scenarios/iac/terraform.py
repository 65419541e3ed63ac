"""Reading Terraform: ``.tf`` files (python-hcl2) and ``terraform show -json PLANFILE``.

The resources read, with the AWS provider's argument names
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sagemaker_endpoint,
``sagemaker_endpoint_configuration``, ``sagemaker_model``, ``sagemaker_inference_component``,
``cloudwatch_metric_alarm``): every argument is the API member in snake_case
(``maximum_execution_timeout_in_seconds`` is ``MaximumExecutionTimeoutInSeconds``), a nested
block is a list of objects, an alarm's ``dimensions`` is a map and its ``metric_query`` blocks
are ``Metrics``. They are renamed to the API's names once, here.

``.tf``: literal values, ``var.NAME`` (``-var NAME=VALUE`` or the variable's ``default``),
``local.NAME``, and references to these resources' names (``aws_cloudwatch_metric_alarm.x.
alarm_name``) are resolved; any other expression is reported with its address and line.
Lines come from the parse tree python-hcl2 builds (Lark, with positions).

Plan JSON (https://developer.hashicorp.com/terraform/internals/json-format):
``planned_values.root_module`` (and its ``child_modules``) ``resources[]`` with ``type``,
``name``, ``address`` and ``values``; a value not known until apply is missing from ``values``
and is then taken from ``configuration``'s ``references`` when it names one of these resources.
Lines are those of the JSON document (cfn-lint's JSON decoder keeps them).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from guardsim.errors import Problem, ScenarioError
from guardsim.scenarios.fields import join
from guardsim.scenarios.iac.model import IacModel, Interpolated, Kind, Resource, ResourceRef
from guardsim.scenarios.iac.source import Location, located_path

RESOURCE_KINDS: dict[str, tuple[Kind, str]] = {
    "aws_sagemaker_endpoint": ("endpoint", "EndpointName"),
    "aws_sagemaker_endpoint_configuration": ("endpoint_config", "EndpointConfigName"),
    "aws_sagemaker_model": ("model", "ModelName"),
    "aws_cloudwatch_metric_alarm": ("alarm", "AlarmName"),
    "aws_cloudwatch_composite_alarm": ("composite_alarm", "AlarmName"),
    "aws_sagemaker_inference_component": ("inference_component", "InferenceComponentName"),
}
#: The provider's ``name`` argument is the API's ...Name; the attribute other resources read.
NAME_ATTRIBUTES = ("name", "alarm_name")
#: Provider names that are not the API member in snake_case.
RENAMES = {
    "ok_actions": "OKActions",
    "evaluate_low_sample_count_percentiles": "EvaluateLowSampleCountPercentile",
    "metric_query": "Metrics",
    "metric": "MetricStat",
}
#: API members that are lists (a Terraform block that may repeat); other blocks are single.
LIST_MEMBERS = ("Alarms", "ProductionVariants", "Metrics")
#: Provider arguments of a resource guardsim does not read (at the resource's top level only:
#: inside a block, ``id`` is an API member, e.g. ``metric_query { id }``, a metric query's Id).
IGNORED = ("tags", "tags_all", "id", "arn", "region", "timeouts")

_REF = re.compile(r"^(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)$")
_INTERP = re.compile(r"\$\{([^}]*)\}")


def looks_like_plan(text: str) -> bool:
    return '"planned_values"' in text or (
        '"terraform_version"' in text and '"format_version"' in text
    )


class Unresolved(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _pascal(name: str) -> str:
    return RENAMES.get(name) or "".join(p[:1].upper() + p[1:] for p in name.split("_"))


# --------------------------------------------------------------------------- .tf lines


def _text(tree: Any) -> str:
    from lark import Token, Tree

    if isinstance(tree, Token):
        return str(tree)
    if isinstance(tree, Tree):
        return "".join(_text(c) for c in tree.children)
    return ""


def _tf_lines(text: str) -> dict[str, int]:
    """``resource.TYPE.NAME.block[i].attr`` -> 1-based line, from python-hcl2's parse tree."""
    import hcl2
    from lark import Tree

    out: dict[str, int] = {}

    def body(node: Any, prefix: str) -> None:
        counts: Counter[str] = Counter()
        for child in node.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                out[join(prefix, _text(child.children[0]).strip())] = child.meta.line
            elif child.data == "block":
                name = _text(child.children[0]).strip()
                labels = [
                    _text(c).strip().strip('"')
                    for c in child.children[1:]
                    if isinstance(c, Tree) and c.data in ("string", "identifier")
                ]
                inner = next(
                    (c for c in child.children if isinstance(c, Tree) and c.data == "body"), None
                )
                if prefix:
                    path = f"{join(prefix, name)}[{counts[name]}]"
                    counts[name] += 1
                else:
                    path = ".".join([name, *labels])
                out[path] = child.meta.line
                if inner is not None:
                    body(inner, path)

    tree = hcl2.parses_to_tree(text)
    top = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), tree)
    body(top, "")
    return out


# --------------------------------------------------------------------------- conversion


class _Converter:
    """Terraform values (snake_case, blocks as lists) to API-named values, with locations."""

    def __init__(
        self,
        file: str,
        lines: Mapping[str, int],
        resolve: Any,
        fields: dict[str, Location],
    ) -> None:
        self.file = file
        self.lines = lines
        self.resolve = resolve
        self.fields = fields
        self.problems: list[Problem] = []

    def loc(self, tf_path: str) -> Location:
        return Location(self.file, self.lines.get(tf_path), tf_path)

    def block(self, values: Mapping[str, Any], tf_path: str, api_path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            if key.startswith("__") or (not api_path and key in IGNORED):
                continue
            if value is None or value == []:
                continue  # the plan writes an absent block as [] and an unset value as null
            api = _pascal(key)
            sub_tf, sub_api = join(tf_path, key), join(api_path, api)
            if key == "dimensions" and isinstance(value, Mapping):
                self.fields[sub_api] = self.loc(sub_tf)
                dims = []
                for i, (n, v) in enumerate(value.items()):
                    self.fields[join(sub_api, i)] = self.loc(sub_tf)
                    dims.append({"Name": n, "Value": self.scalar(v, sub_tf)})
                out["Dimensions"] = dims
                continue
            if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                items = []
                for i, item in enumerate(value):
                    item_tf = f"{sub_tf}[{i}]"
                    item_api = join(sub_api, i) if api in LIST_MEMBERS else sub_api
                    self.fields[item_api] = self.loc(item_tf)
                    items.append(self.block(item, item_tf, item_api))
                if api in LIST_MEMBERS:
                    self.fields[sub_api] = self.loc(f"{sub_tf}[0]")
                    out[api] = items
                else:
                    out[api] = items[0]
                continue
            self.fields[sub_api] = self.loc(sub_tf)
            try:
                out[api] = self.scalar(value, sub_tf)
            except Unresolved as exc:
                line = self.lines.get(sub_tf)
                where = located_path(Location(self.file, line, sub_tf), "")
                self.problems.append(Problem(where, exc.message))
        if "MetricStat" in out and isinstance(out["MetricStat"], dict):
            ms = out["MetricStat"]
            metric = {k: ms.pop(k) for k in ("MetricName", "Namespace", "Dimensions") if k in ms}
            out["MetricStat"] = {"Metric": metric, **ms}
        return out

    def scalar(self, value: Any, tf_path: str) -> Any:
        return self.resolve(value, tf_path)


def _resolve_tf(
    value: Any, variables: Mapping[str, Any], locals_: Mapping[str, Any], known: set[str]
) -> Any:
    """A .tf value: literals as they are; ``${...}`` interpolations resolved (see module doc)."""
    if isinstance(value, list):
        return [_resolve_tf(v, variables, locals_, known) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def expr(text: str) -> Any:
        text = text.strip()
        if text.startswith("var."):
            name = text[4:]
            if name not in variables:
                raise Unresolved(
                    f"variable {name!r} has no default; give it with --var {name}=VALUE"
                )
            return _resolve_tf(variables[name], variables, locals_, known)
        if text.startswith("local."):
            name = text[6:]
            if name not in locals_:
                raise Unresolved(f"local value {name!r} is not defined")
            return _resolve_tf(locals_[name], variables, locals_, known)
        m = _REF.match(text)
        if m and f"{m.group(1)}.{m.group(2)}" in known:
            return ResourceRef(f"{m.group(1)}.{m.group(2)}", m.group(3))
        raise Unresolved(f"expression ${{{text}}} is known only at apply time to Terraform")

    whole = _INTERP.fullmatch(value)
    if whole:
        return expr(whole.group(1))
    parts: list[str | ResourceRef] = []
    pos = 0
    for m in _INTERP.finditer(value):
        parts.append(value[pos : m.start()])
        got = expr(m.group(1))
        parts.append(got if isinstance(got, ResourceRef) else str(got))
        pos = m.end()
    parts.append(value[pos:])
    if any(isinstance(p, ResourceRef) for p in parts):  # a name inside a string: joined later
        return Interpolated(tuple(p for p in parts if p != ""))
    return "".join(str(p) for p in parts)


def _variables(doc: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for block in doc.get("variable", []):
        for name, spec in block.items():
            if isinstance(spec, Mapping) and "default" in spec:
                out[name] = spec["default"]
    out.update(given)
    return out


def read_tf(text: str, file: str, variables: Mapping[str, str]) -> IacModel:
    """The resources of one ``.tf`` file."""
    return read_tf_files([(file, text)], file, variables)


def read_tf_files(
    files: list[tuple[str, str]], source: str, variables: Mapping[str, str]
) -> IacModel:
    """The resources of the ``(file, text)`` pairs of one Terraform module (a directory's
    ``*.tf`` files: variables, locals and resources may sit in different files)."""
    import hcl2
    from hcl2.utils import SerializationOptions

    docs: list[tuple[str, Mapping[str, Any], dict[str, int]]] = []
    for file, text in files:
        try:
            options = SerializationOptions(strip_string_quotes=True)
            docs.append((file, hcl2.loads(text, serialization_options=options), _tf_lines(text)))
        except Exception as exc:  # python-hcl2 raises Lark's errors: any failure is bad input
            raise ScenarioError([Problem("", f"invalid Terraform (HCL): {exc}")], file) from None
        from guardsim.inputs import nesting_error

        if (deep := nesting_error(docs[-1][1])) is not None:
            raise ScenarioError([Problem("", f"invalid Terraform (HCL): {deep}")], file)
    model = IacModel("terraform", source)
    merged: dict[str, list[Any]] = {"variable": [], "locals": []}
    for _, doc, _ in docs:
        for key in merged:
            merged[key].extend(doc.get(key, []))
    declared = {name for block in merged["variable"] for name in block}
    for name in variables:
        if name not in declared:
            model.problems.append(Problem("", f"--var {name}: no variable {name!r} is declared"))
    var_values = _variables(merged, variables)
    locals_ = {k: v for block in merged["locals"] for k, v in block.items()}
    found: list[tuple[str, str, Mapping[str, Any], str, dict[str, int]]] = []
    for file, doc, lines in docs:
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                if rtype in RESOURCE_KINDS and isinstance(named, Mapping):
                    for rname, values in named.items():
                        found.append((rtype, rname, values, file, lines))
    known = {f"{t}.{n}" for t, n, *_ in found}
    for rtype, rname, values, file, lines in found:
        address = f"{rtype}.{rname}"
        fields: dict[str, Location] = {}

        def resolve(v: Any, _path: str) -> Any:
            return _resolve_tf(v, var_values, locals_, known)

        conv = _Converter(file, lines, resolve, fields)
        tf_path = f"resource.{address}"
        props = conv.block(_rename_name(rtype, values), tf_path, "")
        model.problems.extend(conv.problems)
        kind, name_key = RESOURCE_KINDS[rtype]
        loc = Location(file, lines.get(tf_path), address)
        model.resources[address] = Resource(address, kind, props, loc, fields, name_key)
    return model


def _rename_name(rtype: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The provider's ``name`` is the API's EndpointName/EndpointConfigName/ModelName/..."""
    kind_name = RESOURCE_KINDS[rtype][1]
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k == "name":
            out["__name__"] = v
        else:
            out[k] = v
    if "__name__" in out:
        # snake_case of the API member, so _pascal gives it back
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind_name).lower()
        out[snake] = out.pop("__name__")
    return out


# --------------------------------------------------------------------------- plan JSON


def read_plan(text: str, file: str) -> IacModel:
    """The resources of ``terraform show -json PLANFILE`` (planned values)."""
    from cfnlint.decode.cfn_json import loads as json_loads

    try:
        doc = json_loads(text)
    except Exception as exc:  # the decoder's JSON errors, with their line
        raise ScenarioError([Problem("", f"invalid plan JSON: {exc}")], file) from None
    if not isinstance(doc, Mapping) or "planned_values" not in doc:
        raise ScenarioError(
            [Problem("", "not a Terraform plan: no planned_values (use terraform show -json)")],
            file,
        )
    model = IacModel("terraform-plan", file)
    refs = _config_references(doc)
    entries: list[tuple[Mapping[str, Any], str]] = []

    def walk(module: Any, path: str) -> None:
        if not isinstance(module, Mapping):
            return
        for i, res in enumerate(module.get("resources") or []):
            if isinstance(res, Mapping) and res.get("type") in RESOURCE_KINDS:
                entries.append((res, f"{path}.resources[{i}]"))
        for j, child in enumerate(module.get("child_modules") or []):
            walk(child, f"{path}.child_modules[{j}]")

    walk(doc["planned_values"].get("root_module"), "planned_values.root_module")
    known = {str(res.get("address")) for res, _ in entries}
    for res, json_path in entries:
        address = str(res.get("address"))
        rtype = str(res.get("type"))
        values = _plain(dict(res.get("values") or {}))
        for attr, target in refs.get(address, {}).items():
            if values.get(attr) is None and target.rsplit(".", 1)[0] in known:
                values[attr] = f"${{{target}}}"
        lines: dict[str, int] = {}
        _json_lines(res.get("values"), f"{json_path}.values", lines)
        fields: dict[str, Location] = {}

        def resolve(v: Any, _path: str) -> Any:
            if isinstance(v, str) and v.startswith("${") and v.endswith("}"):
                m = _REF.match(v[2:-1])
                if m:
                    return ResourceRef(f"{m.group(1)}.{m.group(2)}", m.group(3))
            return _plain(v)

        conv = _Converter(file, lines, resolve, fields)
        props = conv.block(_rename_name(rtype, values), f"{json_path}.values", "")
        kind, name_key = RESOURCE_KINDS[rtype]
        line = getattr(getattr(res, "start_mark", None), "line", None)
        loc = Location(file, None if line is None else line + 1, address)
        model.resources[address] = Resource(address, kind, props, loc, fields, name_key)
    return model


def _plain(value: Any) -> Any:
    """Plain Python values (the decoder's str/dict nodes carry marks and cannot be pickled)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _json_lines(node: Any, path: str, out: dict[str, int]) -> None:
    """Line of every key below ``node`` (cfn-lint's JSON decoder marks keys)."""
    if isinstance(node, Mapping):
        for key, child in node.items():
            mark = getattr(key, "start_mark", None)
            sub = join(path, str(key))
            if mark is not None:
                out[sub] = int(mark.line) + 1
            _json_lines(child, sub, out)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            mark = getattr(child, "start_mark", None)
            if mark is not None:
                out[f"{path}[{i}]"] = int(mark.line) + 1
            _json_lines(child, f"{path}[{i}]", out)


def _config_references(doc: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """address -> {attribute: referenced 'type.name.attr'} from the plan's ``configuration``."""
    out: dict[str, dict[str, str]] = {}

    def walk_expr(expr: Any, attr: str, into: dict[str, str]) -> None:
        if isinstance(expr, Mapping):
            references = expr.get("references")
            if isinstance(references, list):
                for ref in references:
                    if isinstance(ref, str) and _REF.match(ref):
                        into.setdefault(attr, ref)
                        break

    module = (doc.get("configuration") or {}).get("root_module") or {}
    for res in module.get("resources") or []:
        if not isinstance(res, Mapping):
            continue
        into: dict[str, str] = {}
        for attr, expr in (res.get("expressions") or {}).items():
            walk_expr(expr, attr, into)
            if isinstance(expr, list):  # a block: its attributes' expressions
                for block in expr:
                    for sub_attr, sub in (block or {}).items():
                        walk_expr(sub, f"{attr}.{sub_attr}", into)
        out[str(res.get("address"))] = into
    return out

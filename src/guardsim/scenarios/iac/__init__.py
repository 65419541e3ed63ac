"""Scenarios read from infrastructure as code: CloudFormation (and CDK output) and Terraform.

:func:`guardsim.scenarios.loading.read_scenario` calls :func:`detect` on every file it reads
and, for an IaC file, :func:`read_iac`: the file's declared resources
(:mod:`~guardsim.scenarios.iac.cloudformation`, :mod:`~guardsim.scenarios.iac.terraform`)
become a scenario (:mod:`~guardsim.scenarios.iac.build`) completed by an overlay
(:mod:`~guardsim.scenarios.iac.overlay`) and validated like any scenario; every problem names
the file, line and IaC path (:mod:`~guardsim.scenarios.iac.source`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from guardsim.errors import Problem
from guardsim.scenarios.iac.source import IacFormat, IacOrigin, Location, relocate

if TYPE_CHECKING:
    from guardsim.scenarios.loading import LoadResult

__all__ = ["IacOptions", "IacOrigin", "Location", "detect", "read_iac"]


@dataclass(frozen=True)
class IacOptions:
    """How to read an IaC file: which endpoint, parameter and variable values, the overlay."""

    resource: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    overlay: Path | None = None


def detect(path: Path, text: str) -> IacFormat | None:
    """The IaC format of a file, or None for a guardsim scenario file."""
    from guardsim.scenarios.iac import cloudformation, terraform

    if path.suffix.lower() == ".tf":
        return "terraform"
    if path.suffix.lower() == ".json" and terraform.looks_like_plan(text):
        return "terraform-plan"
    if cloudformation.looks_like_template(text):
        return "cloudformation"
    return None


def _require_parsers(fmt: IacFormat, source: str) -> None:
    """Say which extra to install when a parser is missing (``pip install 'guardsim[iac]'``)."""
    import importlib.util

    from guardsim.errors import ScenarioError

    needed = ["cfnlint"] + (["hcl2"] if fmt == "terraform" else [])
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        names = {"cfnlint": "cfn-lint", "hcl2": "python-hcl2"}
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"reading {fmt} files needs {', '.join(names[m] for m in missing)}: "
                    "pip install 'guardsim[iac]'",
                )
            ],
            source,
        )


def tf_files(path: Path) -> list[Path]:
    """The ``*.tf`` files of a Terraform module directory (sorted; empty if none)."""
    return sorted(p for p in path.glob("*.tf") if p.is_file()) if path.is_dir() else []


def read_iac(path: Path, text: str, fmt: IacFormat, options: IacOptions | None) -> LoadResult:
    """Read an IaC file (or, for Terraform, a module directory: ``text`` is then ignored) into
    a validated scenario (see the module docstring)."""
    from guardsim.scenarios.iac import build, cloudformation, terraform
    from guardsim.scenarios.iac.overlay import read_overlay
    from guardsim.scenarios.loading import LoadResult, check_scenario_dict

    opts = options or IacOptions()
    source = str(path)
    _require_parsers(fmt, source)
    from guardsim.errors import ScenarioError

    if fmt == "terraform" and path.is_dir():
        files = []
        from guardsim.inputs import read_text

        for tf in tf_files(path):
            text = read_text(
                tf,
                "scenario",
                what="Terraform file",
                error=lambda m: ScenarioError([Problem("", m)], source),
            )
            files.append((str(tf), text))
        model = terraform.read_tf_files(files, source, opts.variables)
    elif fmt == "terraform":
        model = terraform.read_tf(text, source, opts.variables)
    elif fmt == "terraform-plan":
        model = terraform.read_plan(text, source)
    else:
        template = cloudformation.parse_template(text, source)
        model = cloudformation.read_template(template, source, opts.parameters)
    if fmt != "cloudformation" and opts.parameters:
        model.problems.append(Problem("", "--parameter applies to CloudFormation templates only"))
    if fmt != "terraform" and opts.variables:
        model.problems.append(Problem("", "--var applies to Terraform .tf files only"))
    overlay = read_overlay(opts.overlay) if opts.overlay is not None else {}
    raw, origin, problems = build.build_raw(model, opts.resource, overlay)
    if raw is None or origin is None:
        return LoadResult(None, tuple(problems), source)
    base_dir = (
        opts.overlay.parent if opts.overlay is not None else path if path.is_dir() else path.parent
    )
    result = check_scenario_dict(raw, source=source, base_dir=base_dir)
    notes = tuple(Problem("", f"assumed: {n}", "warning") for n in origin.notes)
    relocated = tuple(relocate(p, origin) for p in result.problems)
    all_problems = (*problems, *relocated, *notes)
    if result.scenario is None or any(p.severity == "error" for p in problems):
        return LoadResult(None, all_problems, source)
    scenario = dataclasses.replace(result.scenario, origin=origin)
    return LoadResult(scenario, all_problems, source)

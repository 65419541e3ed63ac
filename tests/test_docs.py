"""The scenario-format page documents every setting and every built-in scenario, and the README
opens with the two set-up commands (docs cannot drift)."""

import dataclasses
import re
from pathlib import Path

import pytest

from guardsim.scenarios import library
from guardsim.scenarios.environment import Environment, Simulation
from guardsim.scenarios.models import Latency, ModelBehaviour
from guardsim.scenarios.traffic import Burst, Traffic

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCENARIO_FORMAT = (ROOT / "docs" / "how-to" / "scenario-format.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("cls", "prefix"),
    [
        (Environment, "environment"),
        (Simulation, "simulation"),
        (Traffic, "traffic"),
        (Burst, "traffic.bursts[]"),
        (ModelBehaviour, "models.blue / models.green"),
        (Latency, "...latency / overhead_latency"),
    ],
)
def test_every_setting_is_in_the_reference(cls: type, prefix: str) -> None:
    for f in dataclasses.fields(cls):
        assert f"`{prefix}.{f.name}`" in SCENARIO_FORMAT, f"{prefix}.{f.name} is not documented"
        assert f.metadata.get("doc"), f"{cls.__name__}.{f.name} has no doc metadata"


def test_every_builtin_scenario_is_listed() -> None:
    for name in library.names():
        assert f"`{name}`" in SCENARIO_FORMAT


def test_readme_opens_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    assert blocks[0].endswith("guardsim run seed-canary-rollback")
    assert blocks[1].endswith("pip install -e '.[test]' && pytest")


def test_readme_is_a_front_door() -> None:
    assert len(README.splitlines()) <= 200


def test_readme_output_is_a_real_run(capsys: pytest.CaptureFixture[str]) -> None:
    from guardsim.cli import main

    shown = re.search(r"```text\n\$ guardsim run seed-canary-rollback\n(.*?)\n```", README, re.S)
    assert shown is not None
    assert main(["run", "seed-canary-rollback"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == shown.group(1)


def test_the_changelog_has_the_version() -> None:
    import tomllib

    import guardsim

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == guardsim.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n")
    assert "## [Unreleased]" in changelog
    assert re.search(
        rf"^## \[{re.escape(guardsim.__version__)}\] - \d{{4}}-\d\d-\d\d$", changelog, re.M
    )


def test_the_formats_page_documents_every_key_of_a_monte_carlo_result() -> None:
    import json

    from guardsim import monte_carlo

    page = (ROOT / "docs" / "how-to" / "run-record.md").read_text(encoding="utf-8")
    section = page.split("## The Monte Carlo result", 1)[1].split("\n## ", 1)[0]
    data = json.loads(monte_carlo(library_scenario("seed-canary-rollback"), 3, seed=1).to_json())
    for key in data:
        assert f"`{key}`" in section, key
    for key in data["summary"]:
        assert f"`{key}`" in section, f"summary.{key}"


def test_the_formats_page_documents_every_key_of_a_run_record() -> None:
    import json

    from guardsim import simulate

    page = (ROOT / "docs" / "how-to" / "run-record.md").read_text(encoding="utf-8")
    section = page.split("## The Monte Carlo result", 1)[0]
    data = json.loads(simulate(library_scenario("seed-canary-rollback"), mode="fast").to_json())
    for key in data:
        assert f"`{key}`" in section, key
    for key in data["summary"]:
        assert f"`{key}`" in section, f"summary.{key}"


def library_scenario(name: str) -> object:
    from guardsim import load_scenario

    return load_scenario(name)

"""The lint rules page documents every rule and the exit status (docs cannot drift)."""

from __future__ import annotations

from pathlib import Path

from guardsim.lint import ALL_RULES

SECTION = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "lint-rules.md").read_text(
    encoding="utf-8"
)


def test_every_rule_is_in_the_docs() -> None:
    for rule in ALL_RULES:
        assert f"| `{rule.id}` |" in SECTION, rule.id


def test_the_exit_status_is_documented() -> None:
    for text in (
        "`3` the worst finding is a warning",
        "`4` the worst is an error",
        "`2` bad input",
    ):
        assert text in SECTION


def test_the_seed_scenarios_are_shown_linted() -> None:
    for name in (
        "seed-canary-rollback",
        "seed-canary-success",
        "seed-linear-rollback",
        "seed-linear-success",
    ):
        assert f"$ guardsim lint {name}\nguardsim lint {name}\n" in SECTION
        assert f"\n{name}: 1 error, " in SECTION
    assert "cannot trip during the canary bake" in SECTION

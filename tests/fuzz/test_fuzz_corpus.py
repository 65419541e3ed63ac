"""The seed corpus (``corpus/``): every bad input of issue 15, each refused with exit status 2,
a message naming the file or option, no traceback and no file left, under the fuzz driver's
4 GiB address-space limit. (How long each took is in the driver's report; timing is measured,
never asserted.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "corpus" / "cases.json").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory, driver: Callable[[str, Path], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    report = driver("corpus", tmp_path_factory.mktemp("corpus"))
    return {r["id"]: r for r in report["corpus"]}


def check(result: dict[str, Any]) -> None:
    assert result["failures"] == [], result["failures"]
    assert result["status"] == 2


@pytest.mark.parametrize("case", [c for c in CASES if "needs" not in c], ids=lambda c: c["id"])
def test_every_corpus_case_is_refused(
    results: dict[str, dict[str, Any]], case: dict[str, Any]
) -> None:
    check(results[case["id"]])


@pytest.mark.parametrize("case", [c for c in CASES if "needs" in c], ids=lambda c: c["id"])
def test_corpus_cases_refused_by_the_resource_estimate(
    results: dict[str, dict[str, Any]], case: dict[str, Any]
) -> None:
    check(results[case["id"]])


def test_the_corpus_holds_every_case_of_the_issue() -> None:
    ids = {c["id"] for c in CASES}
    for expected in (
        "deep-yaml-validate",
        "deep-yaml-run",
        "deep-yaml-lint",
        "simulation-seed-2pow64-validate",
        "seed-option-2pow63-sweep",
        "binary-record-report",
        "binary-record-compare",
        "binary-record-calibrate",
        "rate-1e12-exact-run",
        "mc-n-1e12",
        "mc-n-1e30",
        "report-dev-zero",
        "compare-dev-zero",
        "mc-json-unwritable",
        "sweep-out-unwritable",
        "sweep-recommend-bad-not-in-grid",
        "mc-json-and-csv-to-stdout",
        "replay-dev-zero-validate",
        "mc-progress-no-progress",
    ):
        assert expected in ids
    for case in CASES:
        for arg in case["argv"]:
            if arg.startswith("{corpus}/"):
                assert (Path(__file__).parent / "corpus" / arg.removeprefix("{corpus}/")).is_file()

"""recommend() on a hand-built sweep table: pairing, constraints, choice and Pareto front."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from guardsim.errors import RecommendError
from guardsim.montecarlo.recommend import pareto_mask, recommend

FAULT = "models.green.error_rate_5xx"
CANARY = "CanarySize.Value"
WAIT = "WaitIntervalInSeconds"

#: (canary, wait) -> (bad: blast radius, bad duration), (healthy: p_rollback, duration)
CONFIGS: dict[tuple[int, int], tuple[float, float, float, float]] = {
    (1, 600): (10.0, 700.0, 0.00, 600.0),  # A: quick, no false rollbacks
    (1, 900): (5.0, 800.0, 0.02, 900.0),  # B: smaller blast, some false rollbacks
    (1, 1500): (3.0, 900.0, 0.00, 1500.0),  # C: smallest blast, slow
    (2, 600): (12.0, 650.0, 0.05, 1000.0),  # D: dominated by A
    (2, 900): (5.0, 800.0, 0.03, 900.0),  # E: dominated by B
}


def _row(canary: int, wait: int, fault: float, **summary: Any) -> dict[str, Any]:
    n = 100
    p = summary["p_rollback"]
    return {
        CANARY: canary,
        WAIT: wait,
        FAULT: fault,
        "n": n,
        "p_rollback": p,
        "p_rollback_low": max(0.0, p - 0.01),
        "p_rollback_high": p + 0.03,
        "green_errors_mean": summary["green_errors_mean"],
        "deployment_seconds_mean": summary["deployment_seconds_mean"],
        "p_tripped[x]": p,
        "config_key": f"{canary}-{wait}-{fault}",
    }


@pytest.fixture
def table() -> pd.DataFrame:
    rows = []
    for (canary, wait), (blast, bad_dur, false_rb, dur) in CONFIGS.items():
        rows.append(
            _row(
                canary,
                wait,
                0.05,
                p_rollback=0.99,
                green_errors_mean=blast,
                deployment_seconds_mean=bad_dur,
            )
        )
        rows.append(
            _row(
                canary,
                wait,
                0.0,
                p_rollback=false_rb,
                green_errors_mean=0.0,
                deployment_seconds_mean=dur,
            )
        )
    return pd.DataFrame(rows)


def _conf(row: dict[str, Any] | None) -> tuple[int, int]:
    assert row is not None
    return int(row[CANARY]), int(row[WAIT])


def test_best_under_both_limits(table: pd.DataFrame) -> None:
    rec = recommend(
        table, bad={FAULT: 0.05}, healthy={FAULT: 0}, max_false_rollback=0.01, max_duration=1200
    )
    assert rec.config_columns == (CANARY, WAIT)
    assert _conf(rec.best) == (1, 600)
    assert rec.best is not None and rec.best["blast_radius"] == 10.0
    assert rec.candidates["feasible"].tolist() == [True, False, False, False, False]


def test_limits_change_the_choice(table: pd.DataFrame) -> None:
    def best(**limits: Any) -> tuple[int, int] | None:
        rec = recommend(table, bad={FAULT: 0.05}, healthy={FAULT: 0.0}, **limits)
        return None if rec.best is None else _conf(rec.best)

    assert best() == (1, 1500)  # no limits: least blast radius
    assert best(max_false_rollback=0.01) == (1, 1500)
    assert best(max_duration=1000) == (1, 900)  # B and E tie on blast and time; B fewer false
    assert best(max_duration=1000, max_false_rollback=0.025) == (1, 900)
    # conservative: the upper bound (estimate + 0.03 here) must be within the limit
    assert best(max_duration=1000, max_false_rollback=0.035, conservative=True) == (1, 600)
    assert best(max_false_rollback=0.025, conservative=True) is None
    # the bad model's duration instead: every bad deployment ends by 900 s
    assert best(max_duration=850, duration_of="bad") == (1, 900)


def test_nothing_feasible(table: pd.DataFrame) -> None:
    rec = recommend(table, bad={FAULT: 0.05}, healthy={FAULT: 0}, max_duration=100)
    assert rec.best is None
    assert "no configuration is within the limits" in rec.text()
    assert len(rec.pareto) == 3


def test_pareto_front(table: pd.DataFrame) -> None:
    rec = recommend(table, bad={FAULT: 0.05}, healthy={FAULT: 0})
    front = sorted(zip(rec.pareto[CANARY], rec.pareto[WAIT], strict=True))
    assert front == [(1, 600), (1, 900), (1, 1500)]
    assert rec.pareto["blast_radius"].tolist() == [3.0, 5.0, 10.0]  # sorted by blast radius
    text = rec.text()
    assert "Pareto front (blast radius, deployment time, false rollback): 3 of 5" in text
    assert "best: CanarySize.Value=1, WaitIntervalInSeconds=1500" in text


def test_pareto_mask_basics() -> None:
    pts = np.array([[1, 1, 1], [2, 2, 2], [1, 1, 1], [0, 3, 1], [1, 1, 0.5]], dtype=float)
    assert pareto_mask(pts).tolist() == [False, False, False, True, True]


def test_values_match_numerically_and_as_text(table: pd.DataFrame) -> None:
    t = table.copy()
    t[FAULT] = t[FAULT].map(str)  # as a CSV of strings might read
    rec = recommend(t, bad={FAULT: 0.05}, healthy={FAULT: "0.0"})
    assert len(rec.candidates) == 5


@pytest.mark.parametrize(
    ("bad", "healthy", "message"),
    [
        (
            {"models.green.error_rate": 0.05},
            {FAULT: 0},
            "has no column 'models.green.error_rate'; swept columns: CanarySize.Value",
        ),
        (
            {FAULT: 0.5},
            {FAULT: 0},
            r"no row has models.green.error_rate_5xx = 0.5; values in "
            r"the table: 0.05, 0.0",
        ),
        ({}, {FAULT: 0}, "needs both"),
    ],
)
def test_errors(
    table: pd.DataFrame, bad: dict[str, Any], healthy: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecommendError, match=message):
        recommend(table, bad=bad, healthy=healthy)


def test_an_unpaired_fault_column_is_reported(table: pd.DataFrame) -> None:
    """A column that tells rows apart but is not in the table any more (here: WAIT dropped)
    leaves several rows per configuration and model: refused, with a hint."""
    with pytest.raises(
        RecommendError,
        match="several bad-model rows for the configuration "
        r"CanarySize\.Value=1: is a swept fault column",
    ):
        recommend(table.drop(columns=[WAIT]), bad={FAULT: 0.05}, healthy={FAULT: 0})
    # any other swept column is a configuration column
    t = pd.concat([table.assign(extra=1), table.assign(extra=2)], ignore_index=True)
    rec = recommend(t, bad={FAULT: 0.05}, healthy={FAULT: 0})
    assert rec.config_columns == (CANARY, WAIT, "extra")
    assert len(rec.candidates) == 10

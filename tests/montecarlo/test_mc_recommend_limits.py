"""recommend's minimum catch rate, the trivially-met false-rollback limit, and the exit status
when nothing is within the limits (issue 17)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from guardsim.cli import main
from guardsim.montecarlo.recommend import recommend
from guardsim.montecarlo.tables import write_table

FAULT = "models.green.error_rate_5xx"
WAIT = "WaitIntervalInSeconds"


def _row(wait: int, fault: float, p: float, low: float, tripped: float) -> dict[str, Any]:
    return {
        WAIT: wait,
        FAULT: fault,
        "n": 50,
        "p_rollback": p,
        "p_rollback_low": low,
        "p_rollback_high": min(1.0, p + 0.05),
        "green_errors_mean": 100.0 - wait / 10,
        "deployment_seconds_mean": 600.0 + wait,
        "p_tripped[a]": tripped,
        "config_key": f"{wait}-{fault}",
    }


def table(healthy_trips: float) -> pd.DataFrame:
    # wait 300: the bad model is caught in 90% of runs (lower bound 0.78); wait 900: in 98% (0.89)
    return pd.DataFrame.from_records(
        [
            _row(300, 0.2, 0.90, 0.78, 0.90),
            _row(300, 0.0, healthy_trips, 0.0, healthy_trips),
            _row(900, 0.2, 0.98, 0.89, 0.98),
            _row(900, 0.0, healthy_trips, 0.0, healthy_trips),
        ]
    )


def test_min_catch_uses_the_lower_bound_of_the_bad_models_interval() -> None:
    t = table(0.0)
    best = recommend(t, bad={FAULT: 0.2}, healthy={FAULT: 0.0})
    assert best.best is not None and best.best[WAIT] == 900  # least blast radius
    # 0.85: only wait 900's lower bound (0.89) is above it, although both estimates are
    fast = recommend(t, bad={FAULT: 0.2}, healthy={FAULT: 0.0}, min_catch=0.85, max_duration=1200)
    assert fast.best is None  # wait 900 takes 1500 s; wait 300 catches too rarely by its bound
    ok = recommend(t, bad={FAULT: 0.2}, healthy={FAULT: 0.0}, min_catch=0.75, max_duration=1200)
    assert ok.best is not None and ok.best[WAIT] == 300
    assert "bad model rolled back with probability >= 75.0%" in ok.text()


def test_a_limit_the_healthy_model_cannot_test_is_said_to_be_met_trivially() -> None:
    silent = recommend(table(0.0), bad={FAULT: 0.2}, healthy={FAULT: 0.0}, max_false_rollback=0.01)
    assert silent.warnings and "met trivially" in silent.text()
    noisy = recommend(table(0.004), bad={FAULT: 0.2}, healthy={FAULT: 0.0}, max_false_rollback=0.01)
    assert noisy.warnings == ()


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_recommend_exits_3_when_nothing_is_within_the_limits(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_table(table(0.0), path)
    base = ["recommend", str(path), "--bad", f"{FAULT}=0.2", "--healthy", f"{FAULT}=0"]
    code, out, _ = run(*base, "--min-catch", "0.95")
    assert code == 3
    assert "0 of 2 configurations are within the limits" in out
    code, out, _ = run(*base, "--min-catch", "0.8")
    assert code == 0 and "best: WaitIntervalInSeconds=900" in out

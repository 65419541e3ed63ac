"""The verdict words of a comparison, and which of them fail a pipeline (``--fail-on``).

``guardsim compare`` prints one of these verdicts:

* a real run against a **predicted distribution** (a Monte Carlo result, ``mc --json``, or a
  folder of predicted run records): ``consistent`` (the conformal p-value is at least
  :data:`~guardsim.compare.distribution.ALPHA`) or ``SURPRISING`` (below it: the real run is
  outside what the model predicts);
* a real run against **one predicted run record**: the outcomes ``agree`` or ``differ``.

``--fail-on surprising`` makes a SURPRISING verdict exit with status :data:`EXIT_FAILED` (3);
``--fail-on differ`` does the same when one predicted record's outcome differs from the real
run's. Without ``--fail-on`` every verdict exits 0: the comparison itself succeeded. Exit status
2 stays bad input (including a ``--fail-on`` word that cannot apply to the given files).
"""

from __future__ import annotations

from typing import Any

from guardsim.errors import CompareError

#: The verdicts ``--fail-on`` accepts.
FAIL_ON = ("surprising", "differ")
#: Exit status of a comparison whose verdict is one ``--fail-on`` names.
EXIT_FAILED = 3

#: Which kind of comparison gives each verdict.
_APPLIES = {"surprising": "distribution", "differ": "record"}


def check_fail_on(fail_on: str | None, kind: str) -> None:
    """Refuse a ``--fail-on`` word that the kind of comparison (``distribution``, ``record``,
    ``batch``) never gives."""
    if fail_on is None:
        return
    if fail_on not in FAIL_ON:
        raise CompareError(f"--fail-on {fail_on}: use one of {', '.join(FAIL_ON)}")
    if _APPLIES[fail_on] != kind:
        needs = {
            "distribution": "a predicted distribution (a Monte Carlo result or a folder of "
            "predicted run records) as PREDICTED",
            "record": "one predicted run record as PREDICTED",
        }[_APPLIES[fail_on]]
        raise CompareError(f"--fail-on {fail_on} needs {needs}; this is a {kind} comparison")


def verdict(result: Any) -> str:
    """The verdict word of a comparison result: ``consistent``/``surprising`` or
    ``agree``/``differ``."""
    if hasattr(result, "verdict"):
        return str(result.verdict)
    return "agree" if result.outcome_agrees else "differ"


def failed(result: Any, fail_on: str | None) -> bool:
    """Whether ``result``'s verdict is the one ``fail_on`` names."""
    return fail_on is not None and verdict(result) == fail_on

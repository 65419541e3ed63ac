"""Reductions along a short last axis, column by column.

``ufunc.reduce(x, axis=-1)`` over a few columns ([rows, 2]: a minute's segments, a mixture's
components) is slow in numpy: its inner loop runs once per row, over a handful of elements, so
it costs about ten times what combining the columns does (``benchmarks/README.md``). The engines
reduce such arrays on every sampled minute, so :func:`reduce_last` combines the columns instead,
with the same answers bit for bit: a minimum, a maximum, a logical or and an integer sum in any
order, and a floating-point sum in numpy's own order, which for fewer than 8 elements is left to
right (its pairwise summation starts only at 8; wider arrays are left to ``ufunc.reduce``).
``tests/model/test_arrays.py`` holds it to ``ufunc.reduce`` for every width up to 12, so a numpy
that summed differently would be caught there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Below this many columns, :func:`reduce_last` combines them one by one.
NARROW = 8


def reduce_last(ufunc: np.ufunc, x: Any) -> Any:
    """``ufunc.reduce(x, axis=-1)`` (``np.add``, ``np.minimum``, ``np.maximum``,
    ``np.logical_or``, ``np.logical_and``), column by column when there are fewer than
    :data:`NARROW` columns. A sum of booleans or narrow integers is in int64 (uint64), as
    ``ufunc.reduce`` sums them."""
    x = np.asarray(x)
    width = x.shape[-1]
    if width == 0 or width >= NARROW:
        return ufunc.reduce(x, axis=-1)
    first = x[..., 0]
    if ufunc is np.add and x.dtype.kind in "biu" and x.dtype.itemsize < 8:
        # as ufunc.reduce sums them: booleans and narrow integers in the platform's integer
        first = first.astype(np.uint64 if x.dtype.kind == "u" else np.int64)
    if width == 1:
        return first.copy()
    out = ufunc(first, x[..., 1])
    for k in range(2, width):
        ufunc(out, x[..., k], out=out)
    return out

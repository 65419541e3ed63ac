"""``reduce_last`` gives ``ufunc.reduce(x, axis=-1)`` bit for bit.

Random arrays of every width from 0 to 12 (fixed seeds): floats spread over twelve orders of
magnitude with some NaNs and infinities (so a floating-point sum in another order, or a NaN
dropped, shows), int64 counts, booleans (a sum of booleans counts them) and narrow integers
(summed in the platform's integer, past int32's range), in 2-d and 3-d
shapes. Equality is of the bits: ``np.array_equal(..., equal_nan=True)`` and the same dtype.
"""

from __future__ import annotations

import numpy as np
import pytest

from guardsim.model.arrays import NARROW, reduce_last

UFUNCS = [np.add, np.minimum, np.maximum, np.logical_or, np.logical_and]


def _floats(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    x = rng.random(shape) * 10.0 ** rng.integers(-6, 6, shape)
    x[rng.random(shape) < 0.01] = np.nan
    x[rng.random(shape) < 0.01] = np.inf
    return x


@pytest.mark.parametrize("width", range(13))
@pytest.mark.parametrize("lead", [(5000,), (40, 60)])
def test_the_same_as_ufunc_reduce(width: int, lead: tuple[int, ...]) -> None:
    rng = np.random.default_rng(width)
    shape = (*lead, width)
    arrays = {
        "float": _floats(rng, shape),
        "int": rng.integers(0, 10**6, shape),
        "bool": rng.random(shape) < 0.5,
        "int32": rng.integers(0, 2**31 - 1, shape, dtype=np.int32),  # sums past int32
        "uint8": rng.integers(0, 256, shape, dtype=np.uint8),
    }
    for name, x in arrays.items():
        for ufunc in UFUNCS:
            if ufunc in (np.logical_or, np.logical_and) and name != "bool":
                continue
            if width == 0 and ufunc in (np.minimum, np.maximum):
                continue  # no identity: both raise
            want = ufunc.reduce(x, axis=-1)
            got = reduce_last(ufunc, x)
            assert got.dtype == want.dtype, (name, ufunc, width)
            assert np.array_equal(got, want, equal_nan=True), (name, ufunc, width)


def test_a_column_is_copied_not_shared() -> None:
    x = np.arange(6.0).reshape(3, 2)[:, :1]
    out = reduce_last(np.add, x)
    out[0] = -1.0
    assert x[0, 0] == 0.0


def test_floating_sums_in_another_order_would_show() -> None:
    """The premise of the float test: summing the same columns right to left differs in some
    rows at every width from 3 on."""
    rng = np.random.default_rng(1)
    for width in range(3, NARROW):
        x = _floats(rng, (5000, width))
        x = np.nan_to_num(x, nan=1.0, posinf=1.0)
        backwards = x[:, -1].copy()
        for k in range(width - 2, -1, -1):
            backwards = backwards + x[:, k]
        assert not np.array_equal(backwards, np.add.reduce(x, axis=-1)), width

"""Binomial draws by inversion of cached tables, where numpy's own algorithm is slow.

The batch engine draws a Binomial(n, p) for every segment's split between the fleets (each
request routed to one of the active instances) and for its errors. numpy's
``Generator.binomial`` uses inversion with a loop of about ``n min(p, 1 - p)`` steps when
that is below 30 (its BTPE rejection sampler above): the evenly spaced arrivals of a low-rate
endpoint (60 requests a minute, a third of them to the canary) cost it about 115 ns a draw,
a tenth of what everything else in the segment costs together.

:class:`BinomialTables` draws the same distribution by inverting a table of its CDF:
``k = min{k : F(k) > U}`` for ``U`` uniform on [0, 1) (``Generator.random``). The table of each
``(n, p)`` is built once (``F`` from the probability mass function's ratio recurrence
``f(k + 1) = f(k) (n - k) / (k + 1) p / (1 - p)``, in extended precision, then normalised by its
sum and rounded to float64: each entry within a unit in the last place of the true CDF, the
resolution of a 53-bit uniform), and a guide table (the first ``k`` whose ``F(k)`` exceeds
``j / L`` for each of ``L`` buckets, ``L`` the table's length) starts each search a bucket
before the answer, so a draw compares a couple of entries. ``p > 1/2`` draws ``n - k`` with
``k ~ Binomial(n, 1 - p)``, as numpy does.

A table ends at the first ``k`` whose float64 ``F(k)`` is 1: no uniform below 1 reaches past
it, so the table inverts exactly as the whole CDF would, in about ``n p + 10 sqrt(n p)``
entries whatever ``n``.

Only where numpy loops long enough to be slower (``TABLE_MIN_NP <= n min(p, 1 - p) <
TABLE_NP``, measured: numpy costs about 18 ns + 4.7 ns x ``n p`` a draw here, a table about 35
ns), ``n <= TABLE_MAX_N``, and for a count that at least :data:`TABLE_MIN_SHARED` draws of the
call share (a table costs tens of microseconds to build: the evenly spaced arrivals' whole
minutes share theirs, Poisson counts mostly do not); elsewhere ``Generator.binomial`` draws
(:meth:`draw` does both, element by element). Tables are cached per instance, about
:data:`TABLE_LIMIT` of them (past it the cache starts afresh); the batch engine keeps one
instance per thread for the process's life (:func:`tables`). Which way a draw goes depends only
on the call's own counts, never on what was cached before, and a table is the same whenever it
is built, so a block's results do not depend on which blocks or scenarios a worker ran before
it.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: numpy's binomial loops (inversion) below this ``n min(p, 1 - p)``; tables only there ...
TABLE_NP = 30.0
#: ... and from this one up (below it numpy's short loop is as fast as a table).
TABLE_MIN_NP = 4.0
#: The largest ``n`` given a table.
TABLE_MAX_N = 1 << 16
#: How many entries :func:`binomial_cdfs` works out at first: ``n p < 30`` reaches 1 within
#: about ``n p + 12 sqrt(n p)`` (96) of them.
TABLE_WIDTH = 160
#: The guide's margin below each bucket's start (see :meth:`BinomialTables._add`).
GUIDE_SLACK = 1e-12
#: A table only for a count at least this many draws of one call share.
TABLE_MIN_SHARED = 64
#: About this many tables per :class:`BinomialTables` (each of about ``n p + 10 sqrt(n p)``
#: floats and ints, at most 90 or so): a call that would pass it empties the cache first.
TABLE_LIMIT = 50_000


def binomial_cdfs(ns: IntArray, p: float) -> list[FloatArray]:
    """Per count ``n`` of ``ns``: ``P(X <= k)``, ``X ~ Binomial(n, p)``, ``0 < p <= 1/2``, for
    ``k = 0, 1, ...`` up to the first entry of 1 (module docstring): the mass function by its
    ratio recurrence from ``(1 - p)^n`` in extended precision, summed and normalised by the
    total, then rounded to float64. Worked out for all the counts at once, over the
    :data:`TABLE_WIDTH` first entries (where ``n p < TABLE_NP`` the mass beyond is below
    1e-30: the float64 CDF is 1 well before), the whole support for a count whose CDF is not
    1 by then."""
    ns = np.asarray(ns, dtype=np.int64)
    out = _cdf_rows(ns, p, min(int(ns.max()) + 1, TABLE_WIDTH))
    return [
        row if len(row) else _cdf_rows(ns[i : i + 1], p, int(ns[i]) + 1)[0]
        for i, row in enumerate(out)
    ]


def _cdf_rows(ns: IntArray, p: float, width: int) -> list[FloatArray]:
    """:func:`binomial_cdfs` over the first ``width`` entries (an empty row: not 1 by then)."""
    n = ns.astype(np.longdouble)[:, None]
    k = np.arange(width - 1, dtype=np.longdouble)[None, :]
    q = np.longdouble(p) / (1 - np.longdouble(p))
    ratio = np.where(k < n, (n - k) / (k + 1) * q, 0.0)  # beyond n: no mass
    pmf = np.empty((len(ns), width), dtype=np.longdouble)
    pmf[:, 0] = (1 - np.longdouble(p)) ** n[:, 0]
    pmf[:, 1:] = pmf[:, :1] * np.cumprod(ratio, axis=1)
    cdf = np.cumsum(pmf, axis=1)
    rounded = (cdf / cdf[:, -1:]).astype(np.float64)
    first = (rounded >= 1.0).argmax(axis=1)  # found: the last entry is 1
    # 1 before the last entry, or the whole support: else the truncated sum proves nothing
    valid = (first < width - 1) | (ns + 1 <= width)
    return [rounded[i, : first[i] + 1] if valid[i] else np.zeros(0) for i in range(len(ns))]


class BinomialTables:
    """Binomial(n, p) draws by table inversion (module docstring), the tables cached."""

    def __init__(self, limit: int = TABLE_LIMIT) -> None:
        self.limit = limit
        self._empty()

    def _empty(self) -> None:
        #: per p (at most 1/2): table index of each n (-1: none yet), grown as n grows
        self._index: dict[float, IntArray] = {}
        #: the tables side by side, in arrays grown by doubling: CDFs (a sentinel 2.0 after
        #: each) and their guides ``size`` entries used; each table's offset and length
        self._cdf = np.zeros(1024)
        self._guide = np.zeros(1024, dtype=np.int64)
        self._size = 0
        self._start = np.zeros(64, dtype=np.int64)
        self._length = np.zeros(64, dtype=np.int64)
        self._count = 0

    @staticmethod
    def candidates(n: IntArray, p: Any) -> Any:
        """Which draws (``n`` trials, probability ``p``: a number or one per draw) numpy would
        loop long for: :meth:`tabled` before the counts are compared."""
        nq = n * np.minimum(p, 1.0 - p)
        return (n <= TABLE_MAX_N) & (nq >= TABLE_MIN_NP) & (nq < TABLE_NP)

    def tabled(self, n: IntArray, p: float) -> Any:
        """Which of the counts ``n`` (``0 < p < 1``) a table serves: numpy would loop long,
        and at least :data:`TABLE_MIN_SHARED` of them are that count."""
        use = self.candidates(n, p)
        if use.any():
            shared = np.bincount(n[use]) >= TABLE_MIN_SHARED
            use[use] = shared[n[use]]
        return use

    def draw(self, rng: np.random.Generator, n: IntArray, p: float) -> IntArray:
        """Binomial(n, p) for every count of ``n`` (one ``p``, ``0 < p < 1``): by a table
        where :meth:`tabled`, by ``rng.binomial`` for the rest (those drawn after)."""
        n = np.asarray(n, dtype=np.int64)
        flip = p > 0.5
        q = 1.0 - p if flip else p
        use = self.tabled(n, q)
        if use.all():
            out = self._inverted(rng, n.reshape(-1), q).reshape(n.shape)
        elif not use.any():
            out = rng.binomial(n, q)
        else:
            flat = n.reshape(-1)
            drawn = np.zeros(flat.shape, dtype=np.int64)
            at = np.flatnonzero(use)
            drawn[at] = self._inverted(rng, flat[at], q)
            rest = np.flatnonzero(~use.reshape(-1))
            drawn[rest] = rng.binomial(flat[rest], q)
            out = drawn.reshape(n.shape)
        return n - out if flip else out

    def _inverted(self, rng: np.random.Generator, n: IntArray, q: float) -> IntArray:
        """Binomial(n, q) by table inversion (every ``n`` tabled, ``q <= 1/2``)."""
        table = self._tables(n, q)
        start, length = self._start[table], self._length[table]
        u = rng.random(len(n))
        bucket = np.minimum((u * length).astype(np.int64), length - 1)
        at = start + self._guide[start + bucket]
        cdf = self._cdf
        # the first entry above u, from the guide's: a step or two for most draws, then on
        # for the few still short of it (the sentinel after each table stops every search)
        at += cdf[at] <= u
        todo = np.flatnonzero(cdf[at] <= u)
        while len(todo):
            at[todo] += 1
            todo = todo[cdf[at[todo]] <= u[todo]]
        out: IntArray = at - start
        return out

    def _tables(self, n: IntArray, q: float) -> IntArray:
        """The table index of every count (built where missing; the cache emptied first if
        they would take it past its limit)."""
        table = self._indexed(n, q)
        missing = table < 0
        if missing.any():
            new = np.unique(n[missing])
            if self._count and self._count + len(new) > self.limit:
                self._empty()
                table = self._indexed(n, q)
                new = np.unique(n)
            index = self._index[q]
            for m, cdf in zip(new.tolist(), binomial_cdfs(new, q), strict=True):
                index[m] = self._add(cdf)
            table = index[n]
        return table

    def _indexed(self, n: IntArray, q: float) -> IntArray:
        """Each count's table index for ``q`` (-1: none yet), the index grown to the counts."""
        index = self._index.get(q)
        top = int(n.max()) + 1
        if index is None or len(index) < top:
            grown = np.full(max(top, 64), -1, dtype=np.int64)
            if index is not None:
                grown[: len(index)] = index
            index = self._index[q] = grown
        out: IntArray = index[n]
        return out

    def _add(self, cdf: FloatArray) -> int:
        """Append one table (its CDF, a sentinel, its guide); return its index. The guide of
        bucket ``j`` is the first entry above ``j / L - GUIDE_SLACK``: ``floor(u L) = j`` in
        float64 implies ``u >= j / L - GUIDE_SLACK``, so the search never starts past the
        answer."""
        length = len(cdf)
        buckets = np.arange(length, dtype=np.float64) / length - GUIDE_SLACK
        guide = np.searchsorted(cdf, buckets, side="right")
        at, end = self._size, self._size + length + 1
        if end > len(self._cdf):
            grow = max(end, 2 * len(self._cdf))
            self._cdf = np.resize(self._cdf, grow)
            self._guide = np.resize(self._guide, grow)
        self._cdf[at : at + length] = cdf
        self._cdf[at + length] = 2.0  # the sentinel
        self._guide[at : at + length] = guide
        self._size = end
        t = self._count
        if t == len(self._start):
            self._start = np.resize(self._start, 2 * t)
            self._length = np.resize(self._length, 2 * t)
        self._start[t], self._length[t] = at, length
        self._count = t + 1
        return t


_PER_THREAD = threading.local()


def tables() -> BinomialTables:
    """This thread's :class:`BinomialTables` (one per thread: a table is appended in place, and
    two threads must not grow one cache at once), kept across blocks, chunks and scenarios:
    building a table costs tens of microseconds, and a Monte Carlo worker runs many one-block
    chunks."""
    cache: BinomialTables | None = getattr(_PER_THREAD, "tables", None)
    if cache is None:
        cache = _PER_THREAD.tables = BinomialTables()
    return cache

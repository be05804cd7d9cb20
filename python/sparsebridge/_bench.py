"""Benchmark of the protocol hand-off (issue 6): ``asarray`` → ``__binsparse__`` → ``from_dlpack``
of every constituent, for a scipy CSR matrix of 1e3 and 5e7 stored values.

Run with ``make py-bench`` (release build) or ``python -m sparsebridge._bench [--sizes N,M]``.
The hand-off must not depend on nnz (within 1.5x) and must stay under 0.2 ms.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def csr_with(nnz: int, per_row: int = 50) -> object:
    import scipy.sparse as sp

    nrows = max(1, nnz // per_row)
    per_row = nnz // nrows
    indptr = np.arange(0, nrows * per_row + 1, per_row, dtype=np.int64)
    indices = np.tile(np.arange(0, 2 * per_row, 2, dtype=np.int32), nrows)
    data = np.ones(nrows * per_row)
    m = sp.csr_array((data, indices, indptr.astype(np.int32)), shape=(nrows, 2 * per_row), copy=False)
    m.has_canonical_format = True  # built sorted and unique above
    return m


def handoff(m: object) -> None:
    import sparsebridge as sb

    a = sb.asarray(m)
    for c in a.__binsparse__().values():
        np.from_dlpack(c)


def measure(m: object, reps: int) -> float:
    """Median seconds per hand-off over ``reps`` runs (after a warm-up)."""
    for _ in range(50):
        handoff(m)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        handoff(m)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="1000,50000000")
    p.add_argument("--reps", type=int, default=2000)
    args = p.parse_args()
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        m = csr_with(n)
        t = measure(m, args.reps)
        results.append((n, t))
        print(f"nnz={n:>11,d}  hand-off median {t * 1e6:8.1f} us")
        del m
    if len(results) >= 2:
        ratio = max(t for _, t in results) / min(t for _, t in results)
        print(f"max/min ratio {ratio:.2f} (target <= 1.5); worst {max(t for _, t in results) * 1e3:.3f} ms (target < 0.2 ms)")


if __name__ == "__main__":
    main()

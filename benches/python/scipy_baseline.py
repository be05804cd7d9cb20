"""scipy baseline for the CPU conversion benches (issue 4).

Times scipy's coo.tocsr() on sorted (canonical) and shuffled input, csr.tocsc() and
csr.tocoo() on random 1e6 x 1e6 matrices with float64 values and int32 / int64 indices, the
same shapes and distribution as `cargo bench -p sparsebridge-convert --bench report` (uniform
distinct coordinates; numpy's generator, so not bit-identical entries). Prints best-of-N
milliseconds and an np.copyto floor. Run it in the same `make bench-cpu` as the Rust report;
a same-process comparison comes once the Python package exists.

usage: python benches/python/scipy_baseline.py [--sizes 10000000,50000000] [--reps 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import scipy
import scipy.sparse as sp

M = N = 1_000_000


def best(reps: int, f) -> float:
    out = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t)
    return out


def make(nnz: int, seed: int = 0x5EED):
    rng = np.random.default_rng(seed)
    keys = np.unique(rng.integers(0, M * N, size=nnz + nnz // 100 + 16, dtype=np.int64))
    keys = keys[:nnz]  # np.unique sorts
    rows, cols = np.divmod(keys, N)
    vals = (np.arange(keys.size) % 1000).astype(np.float64) + 0.5
    perm = rng.permutation(keys.size)
    return rows, cols, vals, perm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000000,50000000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    results = []
    print(f"scipy {scipy.__version__}, numpy {np.__version__}")
    for nnz in [int(s) for s in args.sizes.split(",") if s]:
        rows64, cols64, vals, perm = make(nnz)
        src = np.empty_like(vals)
        dst = np.empty_like(vals)
        src[:] = vals
        dst[:] = 0
        floor = best(5, lambda: np.copyto(dst, src))
        print(f"\n1e6 x 1e6, nnz {vals.size}: np.copyto {2 * vals.nbytes / floor / 1e9:.2f} GB/s (read+write)")
        print(f"{'conversion':<22} {'index':<6} {'ms':>10}")
        for dt in (np.int32, np.int64):
            rows, cols = rows64.astype(dt), cols64.astype(dt)
            coo = sp.coo_array((vals, (rows, cols)), shape=(M, N))
            coo.has_canonical_format = True
            shuf = sp.coo_array((vals[perm], (rows[perm], cols[perm])), shape=(M, N))
            csr = coo.tocsr()
            assert csr.indices.dtype == dt, csr.indices.dtype
            timings = {
                "sorted_coo_to_csr": best(args.reps, coo.tocsr),
                "shuffled_coo_to_csr": best(
                    args.reps,
                    lambda: sp.coo_array((shuf.data, shuf.coords), shape=(M, N)).tocsr(),
                ),
                "csr_to_csc": best(args.reps, csr.tocsc),
                "csr_to_coo": best(args.reps, csr.tocoo),
            }
            for name, t in timings.items():
                print(f"{name:<22} {np.dtype(dt).name:<6} {t * 1e3:>10.2f}")
                results.append({"nnz": int(vals.size), "index": np.dtype(dt).name, "conversion": name, "ms": t * 1e3})
            del coo, shuf, csr
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

"""100,000 export/import cycles leave the process's resident set size flat (no capsule, buffer
or deleter leak on either side of the DLPack hand-off)."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest
import scipy.sparse as sp

import sparsebridge as sb

CYCLES = 100_000


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Forward:
    """A foreign producer: forces the full import path (capsules, import, assemble)."""

    def __init__(self, inner: sb.SparseArray) -> None:
        self.inner = inner

    def __binsparse_descriptor__(self) -> dict[str, object]:
        return self.inner.__binsparse_descriptor__()

    def __binsparse__(self, *, descriptor: object = None) -> dict[str, object]:
        return self.inner.__binsparse__()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux) to read the RSS")
def test_rss_flat_over_100k_cycles() -> None:
    m = sp.random_array((64, 64), density=0.1, format="csr", rng=np.random.default_rng(0))

    def cycle() -> None:
        a = sb.asarray(m)                      # scipy -> SparseArray (3 DLPack imports)
        cons = a.__binsparse__()               # export
        _ = [np.from_dlpack(c) for c in cons.values()]  # consumed by NumPy
        b = sb.from_binsparse(Forward(a))      # foreign-producer import path
        b.__binsparse__()["values"].__dlpack__(max_version=(1, 3))  # unconsumed capsule

    for _ in range(5_000):  # warm-up: allocator pools, interned strings, caches
        cycle()
    gc.collect()
    before = rss_bytes()
    for _ in range(CYCLES):
        cycle()
    gc.collect()
    grown = rss_bytes() - before
    print(f"RSS before {before / 2**20:.1f} MiB, growth after {CYCLES} cycles: {grown / 2**10:.0f} KiB")
    # One leaked 64-byte object per cycle would already be 6 MiB.
    assert grown < 4 * 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux) to read the RSS")
def test_rss_flat_over_100k_torch_cycles() -> None:
    torch = pytest.importorskip("torch")
    m = sp.random_array((64, 64), density=0.1, format="csr", rng=np.random.default_rng(1))
    a = sb.asarray(m)

    def cycle() -> None:
        t = sb.to_torch(a)                                         # SparseArray -> torch CSR
        _ = [torch.from_dlpack(c) for c in a.__binsparse__().values()]  # consumed by torch
        sb.asarray(t)                                              # torch -> SparseArray

    for _ in range(5_000):
        cycle()
    gc.collect()
    before = rss_bytes()
    for _ in range(CYCLES):
        cycle()
    gc.collect()
    grown = rss_bytes() - before
    print(f"torch: RSS before {before / 2**20:.1f} MiB, growth after {CYCLES} cycles: {grown / 2**10:.0f} KiB")
    assert grown < 4 * 2**20

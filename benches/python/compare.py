"""sparsebridge against scipy, torch and PyData/Sparse, in one process and on the same matrices.

For random 1e6 x 1e6 matrices (float64 values, distinct uniform coordinates: the distribution of
scipy_baseline.py) with int32 and int64 indices, it times, best of ``--reps``:

- sorted COO -> CSR, shuffled COO -> CSR, CSR -> CSC and CSR -> COO, with every library that
  does the conversion natively;
- the hand-off of a scipy CSR matrix to torch and to PyData/Sparse: sparsebridge's protocol path
  (``asarray`` + ``to_torch`` / ``to_sparse``) against the peer's own route.

Before it is timed, every result is checked equal to scipy's (pointers or rows, indices, values),
so a wrong result is never reported: a difference aborts the run. Only the operation is timed;
inputs are built beforehand. sparsebridge checks an input once (the full O(nnz) validation:
sorted, unique, in bounds) and remembers it, where the peers trust their own canonical flags: that
check runs before timing and is reported on its own. With a CUDA device the conversions also run on
the GPU (CuPy, whose conversions call cuSPARSE; torch on CUDA; sparsebridge on cuda:0); otherwise
the JSON records why that section was skipped.

Writes <out-dir>/compare.json and <out-dir>/compare.png and prints a markdown table.

usage: python benches/python/compare.py [--sizes 1e6,1e7] [--reps 3] [--dim 1000000] [--out-dir docs/bench]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import scipy
import scipy.sparse as sp
import sparse
import torch

import sparsebridge as sb

DIM = 1_000_000  # matrices are DIM x DIM
SEED = 0x5EED
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "bench"
# One timed repetition lasts at least this long: faster operations run in a batch per repetition
# (as timeit's autorange does), so that the timer's resolution does not dominate.
MIN_REP_S = 0.02

OPS = {
    "sorted_coo_to_csr": "sorted COO → CSR",
    "shuffled_coo_to_csr": "shuffled COO → CSR",
    "csr_to_csc": "CSR → CSC",
    "csr_to_coo": "CSR → COO",
    "handoff_to_torch": "hand-off scipy CSR → torch",
    "handoff_to_sparse": "hand-off scipy CSR → PyData/Sparse",
}
# Hand-off op -> the peer whose own route is the baseline (scipy does not take part).
HANDOFF_PEER = {"handoff_to_torch": "torch", "handoff_to_sparse": "pydata/sparse"}
CPU_LIBRARIES = ("scipy", "sparsebridge", "torch", "pydata/sparse")
GPU_LIBRARIES = ("cupy/cuSPARSE", "torch (CUDA)", "sparsebridge (CUDA)")
# torch warns (once per process) that its CSR/CSC support is in beta; the same filter as
# sparsebridge.interop.torch.
TORCH_BETA = "Sparse (CSR|CSC) tensor support is in beta state"

SB_SHUFFLED_CUDA_NA = (
    "not measured: sb.asarray canonicalises the shuffled scipy input on the host before "
    "to_device, and this benchmark has no case for the CUDA engine's on-device canonicalisation "
    "(ConvertOptions.canonicalize on a cuda array) yet"
)

Arrays = tuple[np.ndarray, ...]


class OracleError(AssertionError):
    """A library's result differs from scipy's: nothing may be reported."""


def _no_sync() -> None:
    """Host operations are synchronous."""


@dataclass
class Case:
    """One operation of one library: how to run it and how to read its result for the oracle."""

    library: str
    op: str
    run: Callable[[], object]
    read: Callable[[Any], Arrays]
    expect: Arrays
    in_index_dtype: str
    device: str = "cpu"
    sync: Callable[[], None] = _no_sync
    # For hand-offs: the source's values array, to record whether the result shares it.
    source_values: Optional[np.ndarray] = None
    # For shuffled inputs: whether the input is still unsorted after timing (an operation that
    # sorted it in place would have timed sorted input after the first call).
    still_unsorted: Optional[Callable[[], bool]] = None


@dataclass
class NotAvailable:
    """An operation a library cannot do here, and why."""

    library: str
    op: str
    reason: str
    device: str = "cpu"


Entry = Union[Case, NotAvailable]


@dataclass
class Matrix:
    """One random matrix, as scipy holds it, and scipy's results: the oracle."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    perm: np.ndarray
    coo: Any  # canonical scipy coo_array
    shuffled: Any  # the same entries in random order
    csr: Any
    csr_arrays: Arrays = field(init=False)
    csc_arrays: Arrays = field(init=False)
    coo_arrays: Arrays = field(init=False)

    def __post_init__(self) -> None:
        self.csr_arrays = compressed(self.csr)
        self.csc_arrays = compressed(self.csr.tocsc())
        self.coo_arrays = (self.rows, self.cols, self.vals)

    @property
    def index_dtype(self) -> str:
        return str(self.rows.dtype)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.coo.shape[0]), int(self.coo.shape[1]))


def entries_of(nnz: int, dim: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row-major sorted distinct coordinates (int64) of a dim x dim matrix, float64 values and a
    shuffling permutation."""
    rng = np.random.default_rng(seed)
    keys = np.unique(rng.integers(0, dim * dim, size=nnz + nnz // 100 + 16, dtype=np.int64))
    keys = keys[:nnz]  # np.unique sorts
    if keys.size != nnz:
        raise ValueError(f"drew only {keys.size} distinct coordinates for nnz={nnz}")
    rows, cols = np.divmod(keys, dim)
    vals = (np.arange(nnz) % 1000).astype(np.float64) + 0.5
    return rows, cols, vals, rng.permutation(nnz)


def matrix(rows64: np.ndarray, cols64: np.ndarray, vals: np.ndarray, perm: np.ndarray, dim: int, dtype: type) -> Matrix:
    rows: np.ndarray = rows64.astype(dtype)
    cols: np.ndarray = cols64.astype(dtype)
    coo = sp.coo_array((vals, (rows, cols)), shape=(dim, dim))
    coo.has_canonical_format = True  # built sorted and unique
    shuffled_parts = [vals[perm], rows[perm], cols[perm]]
    for a in shuffled_parts:
        a.flags.writeable = False  # an in-place sort of the input would raise
    sv, sr, sc = shuffled_parts
    shuffled = sp.coo_array((sv, (sr, sc)), shape=(dim, dim))
    csr = coo.tocsr()
    if not csr.has_canonical_format or csr.indices.dtype != dtype:
        raise RuntimeError("scipy's reference CSR is not canonical with the requested index dtype")
    return Matrix(rows, cols, vals, perm, coo, shuffled, csr)


# -- reading results as (pointers or rows, indices or columns, values) ------------------------


def compressed(m: Any) -> Arrays:
    """scipy or PyData/Sparse CSR/CSC (GCXS), or a CuPy one fetched to the host."""
    return (np.asarray(m.indptr), np.asarray(m.indices), np.asarray(m.data))


def scipy_coo(m: Any) -> Arrays:
    return (m.row, m.col, m.data)


def pydata_coo(x: Any) -> Arrays:
    return (x.coords[0], x.coords[1], x.data)


def torch_csr(t: Any) -> Arrays:
    return tuple(a.cpu().numpy() for a in (t.crow_indices(), t.col_indices(), t.values()))


def torch_csc(t: Any) -> Arrays:
    return tuple(a.cpu().numpy() for a in (t.ccol_indices(), t.row_indices(), t.values()))


def torch_coo(t: Any) -> Arrays:
    if not t.is_coalesced():
        raise OracleError("torch returned an uncoalesced COO tensor")
    idx = t.indices().cpu().numpy()
    return (idx[0], idx[1], t.values().cpu().numpy())


def sb_arrays(a: sb.SparseArray) -> Arrays:
    if a.device != "cpu":
        a = a.to_device("cpu")
    c = a.__binsparse__()
    names = ("pointers_to_1", "indices_1", "values") if a.format in ("CSR", "CSC") else ("indices_0", "indices_1", "values")
    return tuple(np.from_dlpack(c[n]) for n in names)


# -- the operations -------------------------------------------------------------------------------


def cpu_cases(m: Matrix) -> list[Entry]:
    """Every library's route for every operation, inputs built here (untimed)."""
    dt, shape = m.index_dtype, m.shape
    # sparsebridge: zero-copy wraps of scipy's arrays, validated once here (see the module doc).
    sb_coo, sb_csr = sb.asarray(m.coo), sb.asarray(m.csr)
    sb_coo.validate()
    sb_csr.validate()
    # torch: COO indices are int64 whatever the input (torch converts on construction).
    idx = torch.from_numpy(np.stack([m.rows, m.cols]))
    t_vals = torch.from_numpy(m.vals)
    t_coo = torch.sparse_coo_tensor(idx, t_vals, shape, is_coalesced=True, check_invariants=False)
    perm = torch.from_numpy(m.perm)
    t_shuf = torch.sparse_coo_tensor(idx[:, perm], t_vals[perm], shape, check_invariants=False)
    t_csr = torch_csr_of(m.csr)
    # PyData/Sparse: COO with (2, nnz) coordinates, GCXS sharing scipy's CSR arrays.
    x_coo = sparse.COO(np.stack([m.rows, m.cols]), m.vals, shape=shape, has_duplicates=False, sorted=True)
    x_shuf_coords = np.stack([m.shuffled.row, m.shuffled.col])
    x_shuf_coords.flags.writeable = False
    x_gcxs = sparse.GCXS((m.csr.data, m.csr.indices, m.csr.indptr), shape=shape, compressed_axes=(0,))

    def pydata_shuffled() -> Any:
        # A COO built from unsorted coordinates must be sorted (sorted=False); from_coo sorts again.
        x = sparse.COO(x_shuf_coords, m.shuffled.data, shape=shape, has_duplicates=False, sorted=False)
        return sparse.GCXS.from_coo(x, compressed_axes=(0,))

    def scipy_unsorted() -> bool:
        return not m.shuffled.has_canonical_format

    csr_in, coo_in, src = m.csr_arrays, m.coo_arrays, m.csr.data
    return [
        Case("scipy", "sorted_coo_to_csr", m.coo.tocsr, compressed, csr_in, dt),
        Case("sparsebridge", "sorted_coo_to_csr", lambda: sb_coo.asformat("CSR"), sb_arrays, csr_in, dt),
        Case("torch", "sorted_coo_to_csr", t_coo.to_sparse_csr, torch_csr, csr_in, "int64"),
        Case("pydata/sparse", "sorted_coo_to_csr", lambda: sparse.GCXS.from_coo(x_coo, compressed_axes=(0,)), compressed, csr_in, dt),
        Case("scipy", "shuffled_coo_to_csr", m.shuffled.tocsr, compressed, csr_in, dt, still_unsorted=scipy_unsorted),
        # asarray() hands the unsorted coordinates to the Rust engine (parallel radix sort,
        # duplicates summed), then the canonical COOR becomes CSR (pointers only).
        Case("sparsebridge", "shuffled_coo_to_csr", lambda: sb.asarray(m.shuffled).asformat("CSR"), sb_arrays, csr_in,
             dt, still_unsorted=scipy_unsorted),
        Case("torch", "shuffled_coo_to_csr", lambda: t_shuf.coalesce().to_sparse_csr(), torch_csr, csr_in, "int64",
             still_unsorted=lambda: not t_shuf.is_coalesced()),
        Case("pydata/sparse", "shuffled_coo_to_csr", pydata_shuffled, compressed, csr_in, dt),
        Case("scipy", "csr_to_csc", m.csr.tocsc, compressed, m.csc_arrays, dt),
        Case("sparsebridge", "csr_to_csc", lambda: sb_csr.asformat("CSC"), sb_arrays, m.csc_arrays, dt),
        Case("torch", "csr_to_csc", t_csr.to_sparse_csc, torch_csc, m.csc_arrays, dt),
        Case("pydata/sparse", "csr_to_csc", lambda: x_gcxs.change_compressed_axes((1,)), compressed, m.csc_arrays, dt),
        Case("scipy", "csr_to_coo", m.csr.tocoo, scipy_coo, coo_in, dt),
        Case("sparsebridge", "csr_to_coo", lambda: sb_csr.asformat("COO"), sb_arrays, coo_in, dt),
        Case("torch", "csr_to_coo", t_csr.to_sparse_coo, torch_coo, coo_in, dt),
        Case("pydata/sparse", "csr_to_coo", x_gcxs.tocoo, pydata_coo, coo_in, dt),
        Case("sparsebridge", "handoff_to_torch", lambda: sb.to_torch(sb.asarray(m.csr)), torch_csr, csr_in, dt,
             source_values=src),
        Case("torch", "handoff_to_torch", lambda: torch_csr_of(m.csr), torch_csr, csr_in, dt, source_values=src),
        Case("sparsebridge", "handoff_to_sparse", lambda: sb.to_sparse(sb.asarray(m.csr)), compressed, csr_in, dt,
             source_values=src),
        Case("pydata/sparse", "handoff_to_sparse", lambda: sparse.GCXS.from_scipy_sparse(m.csr), compressed, csr_in, dt,
             source_values=src),
    ]


def torch_csr_of(csr: Any) -> Any:
    """torch's own zero-copy route from a scipy CSR (no invariant check, like sparsebridge's)."""
    return torch.sparse_csr_tensor(
        torch.from_numpy(csr.indptr), torch.from_numpy(csr.indices), torch.from_numpy(csr.data),
        size=csr.shape, check_invariants=False,
    )


def gpu_unavailable() -> Optional[str]:
    """Why the GPU section cannot run, or ``None`` when it can."""
    if not torch.cuda.is_available():
        return f"no CUDA device: torch.cuda.is_available() is False (torch {torch.__version__})"
    return None


def gpu_cases(m: Matrix) -> list[Entry]:
    """The conversions on cuda:0. Written for a CUDA machine but not yet run on one: untested."""
    dt, shape = m.index_dtype, m.shape
    dev = "cuda:0"
    cases: list[Entry] = []
    sync_torch: Callable[[], None] = torch.cuda.synchronize
    cuda_ops = ("sorted_coo_to_csr", "shuffled_coo_to_csr", "csr_to_csc", "csr_to_coo")
    try:
        import cupy as cp
        import cupyx.scipy.sparse as csp
    except ImportError as e:
        cases += [NotAvailable("cupy/cuSPARSE", op, f"CuPy is not importable: {e}", dev) for op in cuda_ops]
    else:
        if dt != "int32":
            cases += [NotAvailable("cupy/cuSPARSE", op, "cupyx.scipy.sparse holds int32 indices only", dev) for op in cuda_ops]
        else:
            # coo.tocsr() copies before sorting (coosort + coo2csr); tocsc is csr2csc, tocoo csr2coo.
            g_coo = csp.coo_matrix((cp.asarray(m.vals), (cp.asarray(m.rows), cp.asarray(m.cols))), shape=shape)
            g_coo.has_canonical_format = True
            sv, sr, sc = (cp.asarray(a) for a in (m.shuffled.data, m.shuffled.row, m.shuffled.col))
            g_shuf = csp.coo_matrix((sv, (sr, sc)), shape=shape)
            g_csr = csp.csr_matrix((cp.asarray(m.csr.data), cp.asarray(m.csr.indices), cp.asarray(m.csr.indptr)), shape=shape)
            sync_cp: Callable[[], None] = cp.cuda.Device().synchronize

            def on_host(read: Callable[[Any], Arrays]) -> Callable[[Any], Arrays]:
                return lambda g: read(g.get())

            cases += [
                Case("cupy/cuSPARSE", "sorted_coo_to_csr", g_coo.tocsr, on_host(compressed), m.csr_arrays, dt, dev, sync_cp),
                Case("cupy/cuSPARSE", "shuffled_coo_to_csr", g_shuf.tocsr, on_host(compressed), m.csr_arrays, dt, dev, sync_cp,
                     still_unsorted=lambda: not g_shuf.has_canonical_format),
                Case("cupy/cuSPARSE", "csr_to_csc", g_csr.tocsc, on_host(compressed), m.csc_arrays, dt, dev, sync_cp),
                Case("cupy/cuSPARSE", "csr_to_coo", g_csr.tocoo, on_host(scipy_coo), m.coo_arrays, dt, dev, sync_cp),
            ]
    idx = torch.from_numpy(np.stack([m.rows, m.cols])).to(dev)
    t_vals = torch.from_numpy(m.vals).to(dev)
    t_coo = torch.sparse_coo_tensor(idx, t_vals, shape, is_coalesced=True, check_invariants=False)
    perm = torch.from_numpy(m.perm).to(dev)
    t_shuf = torch.sparse_coo_tensor(idx[:, perm], t_vals[perm], shape, check_invariants=False)
    t_csr = torch_csr_of(m.csr).to(dev)
    cases += [
        Case("torch (CUDA)", "sorted_coo_to_csr", t_coo.to_sparse_csr, torch_csr, m.csr_arrays, "int64", dev, sync_torch),
        Case("torch (CUDA)", "shuffled_coo_to_csr", lambda: t_shuf.coalesce().to_sparse_csr(), torch_csr, m.csr_arrays,
             "int64", dev, sync_torch, still_unsorted=lambda: not t_shuf.is_coalesced()),
        Case("torch (CUDA)", "csr_to_csc", t_csr.to_sparse_csc, torch_csc, m.csc_arrays, dt, dev, sync_torch),
        Case("torch (CUDA)", "csr_to_coo", t_csr.to_sparse_coo, torch_coo, m.coo_arrays, dt, dev, sync_torch),
    ]
    # sparsebridge: validated on the host (untimed), then moved; the device copy keeps that.
    sb_coo, sb_csr = sb.asarray(m.coo), sb.asarray(m.csr)
    sb_coo.validate()
    sb_csr.validate()
    try:
        g_sb_coo, g_sb_csr = sb_coo.to_device(dev), sb_csr.to_device(dev)
    except sb.DeviceError as e:
        return cases + [NotAvailable("sparsebridge (CUDA)", op, f"to_device({dev!r}) failed: {e}", dev) for op in cuda_ops]
    return cases + [
        Case("sparsebridge (CUDA)", "sorted_coo_to_csr", lambda: g_sb_coo.asformat("CSR"), sb_arrays, m.csr_arrays, dt, dev, sync_torch),
        NotAvailable("sparsebridge (CUDA)", "shuffled_coo_to_csr", SB_SHUFFLED_CUDA_NA, dev),
        Case("sparsebridge (CUDA)", "csr_to_csc", lambda: g_sb_csr.asformat("CSC"), sb_arrays, m.csc_arrays, dt, dev, sync_torch),
        Case("sparsebridge (CUDA)", "csr_to_coo", lambda: g_sb_csr.asformat("COO"), sb_arrays, m.coo_arrays, dt, dev, sync_torch),
    ]


# -- measuring ------------------------------------------------------------------------------------


def check(case: Case, got: Arrays, nnz: int) -> None:
    """The oracle: the result must equal scipy's, array by array (values, not dtypes)."""
    names = ("pointers / rows", "indices / columns", "values")
    where = f"{case.library}, {OPS[case.op]}, nnz={nnz}, {case.in_index_dtype} input on {case.device}"
    if len(got) != len(case.expect):
        raise OracleError(f"{where}: {len(got)} arrays instead of {len(case.expect)}")
    for name, g, e in zip(names, got, case.expect):
        if not np.array_equal(g, e):
            raise OracleError(f"{where}: {name} differ from scipy's result")


def best_ms(case: Case, reps: int) -> tuple[float, int]:
    """Best of ``reps`` in ms per call, and the number of calls per repetition."""
    t0 = time.perf_counter()
    case.run()
    case.sync()
    once = time.perf_counter() - t0
    batch = max(1, min(10_000, int(MIN_REP_S / max(once, 1e-9))))
    best = math.inf
    gc.disable()
    try:
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(batch):
                case.run()
            case.sync()
            best = min(best, (time.perf_counter() - t0) / batch)
    finally:
        gc.enable()
    return best * 1e3, batch


def measure(entry: Entry, nnz: int, reps: int) -> dict[str, Any]:
    """One JSON record: runs the oracle on a first call (also the warm-up), then times."""
    record: dict[str, Any] = {
        "library": entry.library, "op": entry.op, "op_label": OPS[entry.op], "device": entry.device, "nnz": nnz,
    }
    if isinstance(entry, NotAvailable):
        return record | {"ms": None, "oracle": "not run", "reason": entry.reason}
    result = entry.run()
    entry.sync()
    got = entry.read(result)
    check(entry, got, nnz)
    record |= {"in_index_dtype": entry.in_index_dtype, "out_index_dtype": str(got[1].dtype), "oracle": "passed"}
    if entry.source_values is not None:
        record["zero_copy"] = bool(np.may_share_memory(got[-1], entry.source_values))
    del result, got
    record["ms"], record["calls_per_rep"] = best_ms(entry, reps)
    if entry.still_unsorted is not None and not entry.still_unsorted():
        raise OracleError(f"{entry.library}, {OPS[entry.op]}: the operation sorted its input in place")
    return record


def validation_ms(m: Matrix, reps: int) -> dict[str, float]:
    """sparsebridge's one-time O(nnz) check of a fresh COO and CSR input (excluded elsewhere)."""
    out = {}
    for fmt, source in (("COOR", m.coo), ("CSR", m.csr)):
        best = math.inf
        for _ in range(reps):
            a = sb.asarray(source)
            t0 = time.perf_counter()
            a.validate()
            best = min(best, time.perf_counter() - t0)
        out[fmt] = best * 1e3
    return out


def _ratio(base_ms: float, ms: float) -> float:
    """base ÷ ms to three significant figures: a 3-decimal round turned a 2,000x slowdown into 0.0."""
    return float(f"{base_ms / ms:.3g}")


def add_speedups(records: list[dict[str, Any]]) -> None:
    """speedup_vs_scipy for conversions; speedup_vs_native_route for hand-offs (peer ÷ sparsebridge)."""
    by_key = {(r["library"], r["op"], r["nnz"], r["index_dtype"]): r["ms"] for r in records}
    for r in records:
        if r["ms"] is None:
            continue
        peer = HANDOFF_PEER.get(r["op"])
        if peer is None:
            base = by_key.get(("scipy", r["op"], r["nnz"], r["index_dtype"]))
            r["speedup_vs_scipy"] = None if base is None else _ratio(base, r["ms"])
        else:
            base = by_key.get((peer, r["op"], r["nnz"], r["index_dtype"]))
            r["speedup_vs_native_route"] = None if base is None else _ratio(base, r["ms"])


# -- reporting ------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo")
    ram_kib = next((int(ln.split()[1]) for ln in meminfo.read_text().splitlines() if ln.startswith("MemTotal")), 0) \
        if meminfo.exists() else 0
    return {
        "cpu_model": model or "unknown",
        "logical_cpus": os.cpu_count(),
        "ram_gib": round(ram_kib / 2**20, 1),
        "os": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "threads": {
            "scipy": 1,
            "torch": torch.get_num_threads(),
            "sparsebridge (rayon)": int(os.environ.get("RAYON_NUM_THREADS") or os.cpu_count() or 1),
        },
    }


def versions() -> dict[str, str]:
    import matplotlib

    return {
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "torch": torch.__version__, "sparse": sparse.__version__, "sparsebridge": sb.__version__,
        "matplotlib": matplotlib.__version__,
    }


def fmt_time(ms: float) -> str:
    if ms < 1:
        return f"{ms * 1e3:.1f} µs"
    return f"{ms:.1f} ms" if ms >= 100 else f"{ms:.2f} ms"


def fmt_nnz(n: int) -> str:
    exp = int(math.log10(n)) if n > 0 else 0
    return f"{n // 10**exp}e{exp}" if n == (n // 10**exp) * 10**exp else str(n)


def notes_for(report: dict[str, Any]) -> list[str]:
    """The caveats a reader needs, derived from this run's records."""
    records = report["results"]
    notes = [
        f"Best of {report['config']['reps']} repetitions; an operation under {MIN_REP_S * 1e3:.0f} ms runs in a batch "
        "per repetition (calls_per_rep in the JSON) and its time is the batch mean.",
        "Only the operation is timed: inputs are built and wrapped beforehand. sparsebridge runs its full O(nnz) "
        "validation (sorted, unique, in bounds) once per input and remembers it; the peers trust their own canonical "
        "flags instead. That validation ran before timing, so the sparsebridge conversion times exclude it; it is "
        "listed separately below and in `validation_ms`. The hand-offs validate nothing on either side.",
        "Every time is of a result first checked equal to scipy's (pointers/rows, indices, values).",
        "Threads: " + ", ".join(f"{k} {v}" for k, v in report["machine"]["threads"].items()) + ".",
    ]
    for v in report["validation_ms"]:
        notes.append(
            f"sparsebridge validation at nnz={fmt_nnz(v['nnz'])}, {v['index_dtype']}: COO {fmt_time(v['COOR'])}, "
            f"CSR {fmt_time(v['CSR'])}."
        )
    seen: set[str] = set()
    for r in records:
        if r["ms"] is None:
            line = f"n/a — {r['library']}, {r['op_label']}: {r['reason']}."
        elif r["in_index_dtype"] != r["index_dtype"] or r["out_index_dtype"] != r["index_dtype"]:
            line = (f"{r['library']}, {r['op_label']}, {r['index_dtype']} matrix: the library holds "
                    f"{r['in_index_dtype']} indices and returns {r['out_index_dtype']}.")
        else:
            continue
        if line not in seen:
            seen.add(line)
            notes.append(line)
    for r in records:
        if "zero_copy" in r and r["nnz"] == max(report["config"]["sizes"]) and r["index_dtype"] == "int32":
            notes.append(f"{r['library']}, {r['op_label']}: {'zero-copy' if r['zero_copy'] else 'copies the arrays'}.")
    for f in report["handoff_flatness"]:
        notes.append(f"{f['library']}, {OPS[f['op']]}, {f['index_dtype']}: time at the largest ÷ smallest nnz = "
                     f"{f['ratio_largest_to_smallest']:.2f}.")
    notes.append(report["gpu"]["note"])
    return notes


def handoff_flatness(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per hand-off route: time by nnz and the largest-to-smallest ratio (flat is ~1)."""
    out = []
    keys = sorted({(r["library"], r["op"], r["index_dtype"]) for r in records if r["op"] in HANDOFF_PEER and r["ms"]})
    for lib, op, dt in keys:
        by_nnz = {r["nnz"]: r["ms"] for r in records if (r["library"], r["op"], r["index_dtype"]) == (lib, op, dt)}
        if len(by_nnz) >= 2:
            lo, hi = by_nnz[min(by_nnz)], by_nnz[max(by_nnz)]
            out.append({"library": lib, "op": op, "index_dtype": dt, "ms_by_nnz": {str(k): v for k, v in by_nnz.items()},
                        "ratio_largest_to_smallest": round(hi / lo, 3)})
    return out


def markdown_table(report: dict[str, Any]) -> str:
    records = report["results"]
    libs = [lib for lib in (*CPU_LIBRARIES, *GPU_LIBRARIES) if any(r["library"] == lib for r in records)]
    head = "| operation | nnz | index | " + " | ".join(libs) + " |"
    lines = [head, "|" + "---|" * (3 + len(libs))]
    rows = sorted({(r["op"], r["nnz"], r["index_dtype"]) for r in records},
                  key=lambda k: (list(OPS).index(k[0]), k[1], k[2]))
    by_key = {(r["library"], r["op"], r["nnz"], r["index_dtype"]): r for r in records}
    for op, nnz, dt in rows:
        cells = []
        for lib in libs:
            r = by_key.get((lib, op, nnz, dt))
            if r is None:
                cells.append("—")
            elif r["ms"] is None:
                cells.append("n/a")
            else:
                ratio = r.get("speedup_vs_scipy", r.get("speedup_vs_native_route"))
                show = ratio is not None and lib != "scipy" and lib != HANDOFF_PEER.get(op)
                cells.append(fmt_time(r["ms"]) + (f" ({ratio:.3g}×)" if show else ""))
        lines.append(f"| {OPS[op]} | {fmt_nnz(nnz)} | {dt} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    """Grouped bars (log scale) of every library's time per operation at the largest size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nnz = max(report["config"]["sizes"])
    records = [r for r in report["results"] if r["nnz"] == nnz]
    dtypes = sorted({r["index_dtype"] for r in records})
    libs = [lib for lib in (*CPU_LIBRARIES, *GPU_LIBRARIES) if any(r["library"] == lib for r in records)]
    ops = [op for op in OPS if any(r["op"] == op for r in records)]
    fig, axes = plt.subplots(1, len(dtypes), figsize=(8 * len(dtypes), 6.5), sharey=True, squeeze=False)
    width = 0.8 / len(libs)
    for ax, dt in zip(axes[0], dtypes):
        by_key = {(r["library"], r["op"]): r for r in records if r["index_dtype"] == dt}
        labelled: set[str] = set()
        for i, lib in enumerate(libs):
            xs = [j + (i - (len(libs) - 1) / 2) * width for j in range(len(ops))]
            for x, op in zip(xs, ops):
                r = by_key.get((lib, op))
                if r is None:
                    continue
                if r["ms"] is None:
                    ax.text(x, 1.2e-3, "n/a", rotation=90, ha="center", va="bottom", fontsize=7, color=f"C{i}")
                    continue
                ax.bar(x, r["ms"], width, color=f"C{i}", label=None if lib in labelled else lib)
                labelled.add(lib)
                ax.text(x, r["ms"] * 1.15, fmt_time(r["ms"]), rotation=90, ha="center", va="bottom", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 1e6)
        ax.set_xticks(range(len(ops)), [OPS[op].replace("hand-off ", "hand-off\n") for op in ops], rotation=20,
                      ha="right", fontsize=8)
        ax.set_title(f"{dt} indices")
        ax.grid(axis="y", which="major", alpha=0.3)
    axes[0][0].set_ylabel("time per call, ms (log scale; lower is better)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.95), ncol=len(libs), frameon=False)
    dim = fmt_nnz(report["config"]["shape"][0])
    fig.suptitle(f"random {dim} × {dim}, nnz {fmt_nnz(nnz)}, float64, best of {report['config']['reps']} "
                 f"({report['machine']['cpu_model']}, {report['machine']['logical_cpus']} CPUs)", y=0.99, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(sizes: Sequence[int], reps: int, dim: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    records: list[dict[str, Any]] = []
    validations: list[dict[str, Any]] = []
    gpu_skip = gpu_unavailable()
    for nnz in sizes:
        rows64, cols64, vals, perm = entries_of(nnz, dim)
        for dtype in (np.int32, np.int64):
            m = matrix(rows64, cols64, vals, perm, dim, dtype)
            entries = cpu_cases(m) + ([] if gpu_skip else gpu_cases(m))
            for e in entries:
                rec = measure(e, nnz, reps)
                rec["index_dtype"] = m.index_dtype
                records.append(rec)
                print(f"  {rec['library']:<20} {rec['op_label']:<36} nnz={fmt_nnz(nnz):<6} {m.index_dtype}: "
                      + ("n/a" if rec["ms"] is None else fmt_time(rec["ms"])), file=sys.stderr, flush=True)
            validations.append({"nnz": nnz, "index_dtype": m.index_dtype} | validation_ms(m, reps))
            del entries, m
            gc.collect()
    if gpu_skip:
        gpu = {"measured": False, "reason": gpu_skip,
               "note": f"GPU section skipped: {gpu_skip}. Its code path (CuPy/cuSPARSE, torch on CUDA, "
                       "sparsebridge on cuda:0) has not been run on real hardware yet."}
    else:
        gpu = {"measured": True, "device": torch.cuda.get_device_name(0),
               "note": f"GPU: {torch.cuda.get_device_name(0)}; cuda:0 rows ran with host-side timing around a "
                       "device synchronisation; this code path is new and was first exercised in this run."}
    return records, validations, gpu


def main(argv: Optional[Sequence[str]] = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1e6,1e7", help="comma-separated nnz values (1e7 notation allowed)")
    p.add_argument("--reps", type=int, default=3, help="repetitions; the best is reported")
    p.add_argument("--dim", type=int, default=DIM, help="rows = columns (smaller only for quick checks)")
    p.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="where compare.json and compare.png go")
    args = p.parse_args(argv)
    sizes = sorted(int(float(s)) for s in args.sizes.split(",") if s)
    if not sizes or min(sizes) < 2 or args.reps < 1 or max(sizes) > args.dim**2 // 4:
        p.error("--sizes needs nnz values >= 2 and <= dim**2 / 4, --reps >= 1")
    report: dict[str, Any] = {
        "benchmark": "benches/python/compare.py",
        "command": " ".join(["python", "benches/python/compare.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": versions(),
        "config": {"shape": [args.dim, args.dim], "values": "float64", "index_dtypes": ["int32", "int64"], "sizes": sizes,
                   "reps": args.reps, "seed": SEED, "min_rep_s": MIN_REP_S},
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=TORCH_BETA, category=UserWarning)
        records, validations, gpu = run(sizes, args.reps, args.dim)
    add_speedups(records)
    report |= {"gpu": gpu, "validation_ms": validations, "results": records,
               "handoff_flatness": handoff_flatness(records)}
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["notes"] = notes_for(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with open(args.out_dir / "compare.json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    plot(report, args.out_dir / "compare.png")
    print(markdown_table(report))
    print()
    print("\n".join(f"- {n}" for n in report["notes"]))
    return report


if __name__ == "__main__":
    try:
        main()
    except OracleError as e:
        sys.exit(f"compare.py: oracle check failed, nothing reported: {e}")

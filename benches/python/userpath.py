"""The user's path (issue 13): conversions and hand-offs timed as a user runs them, from scipy objects.

compare.py times the conversion alone, on inputs wrapped and validated beforehand. This benchmark
starts every repetition from a fresh scipy object, as a user holds one, so the sparsebridge time
includes everything the user pays: ``sb.asarray`` (the adapter, the canonical-flag read, the
one-time O(nnz) validation before the first conversion), the conversion, ``__binsparse__`` and a
``np.from_dlpack`` of every constituent with one element touched. For random 1e6 x 1e6 matrices
(float64 values, distinct uniform coordinates, built as compare.py builds them) with int32 and
int64 indices, at each ``--sizes`` nnz, it measures in one process:

1. Conversions, best of ``--reps``, each repetition on a fresh scipy object (built untimed, sharing
   the same buffers; the sorted COO and the CSR carry ``has_canonical_format = True`` as scipy's
   ``sum_duplicates()`` / ``tocsr()`` leave them, the shuffled COO does not):

   - sorted COO -> CSR: ``sb.asarray(coo).asformat("CSR")``, then ``np.from_dlpack`` of every
     constituent of ``__binsparse__()`` and a read of its last element;
   - shuffled COO -> CSR (the same entries in random order), CSR -> CSC, CSR -> COO (``"COOR"``);
   - peers, same run: scipy (``tocsr`` / ``tocsc`` / ``tocoo`` on the fresh object), torch CPU
     (``to_sparse_csr`` / ``coalesce().to_sparse_csr()`` / ``to_sparse_csc`` / ``to_sparse_coo``,
     inputs built before timing) and PyData/Sparse (``GCXS.from_coo``,
     ``change_compressed_axes``, ``tocoo``; its shuffled route builds the unsorted ``COO`` inside
     the timed call, as compare.py does, since a ``COO`` may sort itself in place).

   Before timing, every library's result is checked equal to scipy's canonical result bit for bit
   (pointers or rows and indices compared as int64, values as their uint64 bit patterns): a
   difference aborts the run.

2. The memcpy floor of each conversion, in the same run. Convention: the copy rate R is bytes
   copied per second (a copy of S bytes in t seconds is R = S / t; it reads S bytes and writes S
   bytes). A conversion that reads B_in bytes of input constituents and writes B_out bytes of
   output constituents can be no faster than a copy moving the same traffic:
   ``floor = (B_in + B_out) / (2 R)``. "floor (all bytes)" counts every input and output
   constituent; "floor (moved bytes)" counts 0 bytes, on both sides, for an output constituent
   that *is* an input buffer (same data pointer: sparsebridge's sorted COO -> CSR and CSR -> COO
   keep the shared index and values arrays). R is the best of several copies of a 1 GiB uint64
   array into a pre-faulted destination: single-threaded ``np.copyto`` and the same copy split
   into chunks copied by a thread pool (NumPy releases the GIL), the maximum of all. A
   sparsebridge time below its floor would mean the rate is underestimated: the run prints a
   WARNING line for every ratio < 1 (for "all bytes" a ratio < 1 is possible when buffers are
   shared, and the line says so).

3. Hand-off of a scipy CSR (the same object every call, as a user holds it), at 1e3 nnz and at
   each size (same 1e6 x 1e6 shape, so the 8 MB of row pointers are there at every size), timed as
   timeit does (autorange to >= 0.2 s per repetition, best of 5):

   - NumPy route: ``d = sb.asarray(csr).__binsparse__(); [np.from_dlpack(v) for v in d.values()]``;
   - torch route A: the same with ``torch.from_dlpack``; torch route B: ``sb.to_torch(sb.asarray(csr))``;
   - peers: ``scipy.sparse.csr_array((data, indices, indptr), shape=..., copy=False)`` and
     ``torch.sparse_csr_tensor(torch.from_numpy(indptr), ..., size=..., check_invariants=False)``.

   Each route's result is checked equal to the input (and whether its values share the input's
   memory is recorded) before it is timed. Reported in µs, with t(largest) / t(1e3): a zero-copy
   hand-off should be flat (~1).

Prints the conversion table, the hand-off table, the copy rate, the machine and the library
versions, and writes the JSON report to ``--out``.

usage: python benches/python/userpath.py [--sizes 1e6,1e7] [--reps 3] [--out docs/bench/userpath.json] [--quick]
       (--quick: 1e5 only, 1 repetition, a smoke run)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import gc
import json
import math
import os
import sys
import time
import timeit
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import scipy.sparse as sp
import sparse
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import (  # noqa: E402 - compare.py sits beside this script
    DIM,
    SEED,
    TORCH_BETA,
    Arrays,
    Matrix,
    OracleError,
    compressed,
    entries_of,
    fmt_nnz,
    fmt_time,
    machine_info,
    matrix,
    pydata_coo,
    scipy_coo,
    torch_coo,
    torch_csc,
    torch_csr,
    torch_csr_of,
    versions,
)

import sparsebridge as sb  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "bench" / "userpath.json"
HANDOFF_BASE_NNZ = 1000  # the hand-off's reference size: t(largest) / t(1e3)
HANDOFF_REPEAT = 5  # timeit repetitions of the hand-off (each >= 0.2 s, timeit's autorange)
COPY_BYTES = 1 << 30  # the memcpy probe: 1 GiB of uint64
COPY_RUNS = 7
PEERS = ("scipy", "torch", "pydata/sparse")


@dataclass(frozen=True)
class Conversion:
    op: str
    label: str
    source: str  # "sorted_coo", "shuffled_coo" or "csr": the scipy object a repetition starts from
    target: str  # sparsebridge's format name


CONVERSIONS = (
    Conversion("sorted_coo_to_csr", "sorted COO → CSR", "sorted_coo", "CSR"),
    Conversion("shuffled_coo_to_csr", "shuffled COO → CSR", "shuffled_coo", "CSR"),
    Conversion("csr_to_csc", "CSR → CSC", "csr", "CSC"),
    Conversion("csr_to_coo", "CSR → COO", "csr", "COOR"),
)

# sparsebridge constituent names, in oracle order (pointers or rows, indices or columns, values).
SB_NAMES = {
    "CSR": ("pointers_to_1", "indices_1", "values"),
    "CSC": ("pointers_to_1", "indices_1", "values"),
    "COOR": ("indices_0", "indices_1", "values"),
}


@dataclass
class Route:
    """One library's way to do one conversion: ``make`` builds its input (untimed, once per
    repetition), ``op`` is the timed call, ``read`` gives the oracle's three arrays."""

    library: str
    make: Callable[[], Any]
    op: Callable[[Any], Any]
    read: Callable[[Any], Arrays]
    in_index_dtype: str
    # After timing: whether an input that must stay unsorted still is (None: nothing to check).
    still_unsorted: Optional[Callable[[], bool]] = None


def data_ptr(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


# -- the user's inputs: fresh scipy objects on the same buffers ------------------------------------


def input_arrays(x: Any) -> dict[str, np.ndarray]:
    """The buffers a scipy COO or CSR object holds (what ``sb.asarray`` wraps)."""
    if x.format == "coo":
        return {"row": x.row, "col": x.col, "data": x.data}
    return {"indptr": x.indptr, "indices": x.indices, "data": x.data}


def fresh_input(m: Matrix, source: str) -> Any:
    """A new scipy object over ``m``'s buffers, with the flags scipy itself would have set."""
    if source == "sorted_coo":
        x = sp.coo_array((m.vals, (m.rows, m.cols)), shape=m.shape)
        x.has_canonical_format = True  # as sum_duplicates() leaves it
        base = input_arrays(m.coo)
    elif source == "shuffled_coo":
        s = m.shuffled
        x = sp.coo_array((s.data, (s.row, s.col)), shape=m.shape)
        base = input_arrays(s)
    elif source == "csr":
        c = m.csr
        x = sp.csr_array((c.data, c.indices, c.indptr), shape=m.shape)
        x.has_canonical_format = True  # as tocsr() leaves it
        base = input_arrays(c)
    else:
        raise ValueError(f"unknown source {source!r}")
    for (name, a), b in zip(input_arrays(x).items(), base.values()):
        if data_ptr(a) != data_ptr(b) or a.dtype != b.dtype:
            raise RuntimeError(f"scipy copied or cast `{name}` when building the fresh {source} object")
    return x


def sb_user_path(x: Any, target: str) -> dict[str, np.ndarray]:
    """What the user runs: wrap, convert, take every constituent as NumPy, touch one element."""
    result = sb.asarray(x).asformat(target)
    out: dict[str, np.ndarray] = {}
    for name, con in result.__binsparse__().items():
        arr = np.from_dlpack(con)
        if len(arr) > 0:
            _last = arr[-1]  # noqa: F841 - the touch is the point
        out[name] = arr
    return out


def routes(m: Matrix, conv: Conversion) -> list[Route]:
    """sparsebridge and every peer that does ``conv`` natively; peer inputs built here (untimed)."""
    dt, shape = m.index_dtype, m.shape
    names = SB_NAMES[conv.target]
    out = [
        Route("sparsebridge", lambda: fresh_input(m, conv.source), lambda x: sb_user_path(x, conv.target),
              lambda d: tuple(d[n] for n in names), dt),
    ]
    scipy_op = {"sorted_coo_to_csr": "tocsr", "shuffled_coo_to_csr": "tocsr", "csr_to_csc": "tocsc",
                "csr_to_coo": "tocoo"}[conv.op]
    out.append(Route("scipy", lambda: fresh_input(m, conv.source), lambda x: getattr(x, scipy_op)(),
                     scipy_coo if conv.op == "csr_to_coo" else compressed, dt))
    if conv.source in ("sorted_coo", "shuffled_coo"):
        # torch: COO indices are int64 whatever the input (torch converts on construction).
        idx = torch.from_numpy(np.stack([m.rows, m.cols]))
        t_vals = torch.from_numpy(m.vals)
        if conv.source == "sorted_coo":
            t_coo = torch.sparse_coo_tensor(idx, t_vals, shape, is_coalesced=True, check_invariants=False)
            out.append(Route("torch", lambda: t_coo, lambda t: t.to_sparse_csr(), torch_csr, "int64"))
            x_coo = sparse.COO(np.stack([m.rows, m.cols]), m.vals, shape=shape, has_duplicates=False, sorted=True)
            out.append(Route("pydata/sparse", lambda: x_coo, lambda x: sparse.GCXS.from_coo(x, compressed_axes=(0,)),
                             compressed, dt))
        else:
            perm = torch.from_numpy(m.perm)
            t_shuf = torch.sparse_coo_tensor(idx[:, perm], t_vals[perm], shape, check_invariants=False)
            out.append(Route("torch", lambda: t_shuf, lambda t: t.coalesce().to_sparse_csr(), torch_csr, "int64",
                             still_unsorted=lambda: not t_shuf.is_coalesced()))
            coords = np.stack([m.shuffled.row, m.shuffled.col])
            coords.flags.writeable = False
            svals = m.shuffled.data

            def pydata_shuffled(_: Any) -> Any:
                # An unsorted COO must be built with sorted=False (it may sort itself in place).
                x = sparse.COO(coords, svals, shape=shape, has_duplicates=False, sorted=False)
                return sparse.GCXS.from_coo(x, compressed_axes=(0,))

            out.append(Route("pydata/sparse", lambda: None, pydata_shuffled, compressed, dt))
    else:
        t_csr = torch_csr_of(m.csr)
        x_gcxs = sparse.GCXS((m.csr.data, m.csr.indices, m.csr.indptr), shape=shape, compressed_axes=(0,))
        if conv.op == "csr_to_csc":
            out.append(Route("torch", lambda: t_csr, lambda t: t.to_sparse_csc(), torch_csc, dt))
            out.append(Route("pydata/sparse", lambda: x_gcxs, lambda x: x.change_compressed_axes((1,)), compressed, dt))
        else:
            out.append(Route("torch", lambda: t_csr, lambda t: t.to_sparse_coo(), torch_coo, dt))
            out.append(Route("pydata/sparse", lambda: x_gcxs, lambda x: x.tocoo(), pydata_coo, dt))
    return out


def expected(m: Matrix, conv: Conversion) -> Arrays:
    """scipy's canonical result: the oracle."""
    return {"sorted_coo_to_csr": m.csr_arrays, "shuffled_coo_to_csr": m.csr_arrays, "csr_to_csc": m.csc_arrays,
            "csr_to_coo": m.coo_arrays}[conv.op]


# -- checking and timing ----------------------------------------------------------------------------


def check_bits(where: str, got: Arrays, expect: Arrays) -> None:
    """Bit for bit: pointers or rows and indices as int64, values as their uint64 bit patterns."""
    names = ("pointers / rows", "indices / columns", "values")
    if len(got) != len(expect):
        raise OracleError(f"{where}: {len(got)} arrays instead of {len(expect)}")
    for name, g, e in zip(names, got, expect):
        g, e = np.asarray(g), np.asarray(e)
        if g.shape != e.shape:
            raise OracleError(f"{where}: {name} have shape {g.shape}, scipy's {e.shape}")
        if name == "values":
            if g.dtype != e.dtype:
                raise OracleError(f"{where}: values are {g.dtype}, scipy's {e.dtype}")
            same = np.array_equal(g.view(np.uint64), e.view(np.uint64))
        else:
            same = np.array_equal(g.astype(np.int64, copy=False), e.astype(np.int64, copy=False))
        if not same:
            raise OracleError(f"{where}: {name} differ from scipy's result")


def best_of(route: Route, reps: int) -> float:
    """Best of ``reps`` single calls, in seconds; each on a fresh input, freed after the clock."""
    best = math.inf
    for _ in range(reps):
        x = route.make()
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            result = route.op(x)
            elapsed = time.perf_counter() - t0
        finally:
            gc.enable()
        del result, x
        best = min(best, elapsed)
    return best


def floor_bytes(inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Bytes read and written, all of them and without the buffers the output shares with the input."""
    in_ptrs = {data_ptr(a): name for name, a in inputs.items() if a.nbytes}
    shared_out = [n for n, a in outputs.items() if a.nbytes and data_ptr(a) in in_ptrs]
    shared_in = {in_ptrs[data_ptr(outputs[n])] for n in shared_out}
    b_in = sum(a.nbytes for a in inputs.values())
    b_out = sum(a.nbytes for a in outputs.values())
    moved_in = b_in - sum(inputs[n].nbytes for n in shared_in)
    moved_out = b_out - sum(outputs[n].nbytes for n in shared_out)
    return {"bytes_read": b_in, "bytes_written": b_out, "moved_bytes_read": moved_in,
            "moved_bytes_written": moved_out, "shared_outputs": sorted(shared_out)}


def measure_conversion(m: Matrix, conv: Conversion, nnz: int, reps: int, copy_rate: float) -> dict[str, Any]:
    """One row: every route checked, then timed; sparsebridge against the memcpy floor."""
    row: dict[str, Any] = {"op": conv.op, "op_label": conv.label, "nnz": nnz, "index_dtype": m.index_dtype,
                           "libraries": {}}
    expect = expected(m, conv)
    for route in routes(m, conv):
        where = f"{route.library}, {conv.label}, nnz={fmt_nnz(nnz)}, {m.index_dtype}"
        x = route.make()
        result = route.op(x)  # the oracle's call is also the warm-up
        got = route.read(result)
        check_bits(where, got, expect)
        rec: dict[str, Any] = {"in_index_dtype": route.in_index_dtype, "out_index_dtype": str(got[1].dtype),
                               "oracle": "passed"}
        if route.library == "sparsebridge":
            rec["out_dtypes"] = {k: str(v.dtype) for k, v in result.items()}
            row["floor"] = floor_bytes(input_arrays(x), result)
        del x, result, got
        rec["ms"] = best_of(route, reps) * 1e3
        if route.still_unsorted is not None and not route.still_unsorted():
            raise OracleError(f"{where}: the operation sorted its input in place")
        row["libraries"][route.library] = rec
        print(f"  {route.library:<14} {conv.label:<20} nnz={fmt_nnz(nnz):<6} {m.index_dtype}: {fmt_time(rec['ms'])}",
              file=sys.stderr, flush=True)
    f = row["floor"]
    f["all_ms"] = (f["bytes_read"] + f["bytes_written"]) / (2 * copy_rate) * 1e3
    f["moved_ms"] = (f["moved_bytes_read"] + f["moved_bytes_written"]) / (2 * copy_rate) * 1e3
    sb_ms = row["libraries"]["sparsebridge"]["ms"]
    row["x_floor_all"] = sb_ms / f["all_ms"]
    row["x_floor_moved"] = sb_ms / f["moved_ms"] if f["moved_ms"] > 0 else None
    row["speedup_vs_scipy"] = row["libraries"]["scipy"]["ms"] / sb_ms
    return row


# -- the memcpy rate ----------------------------------------------------------------------------


def memcpy_rate(nbytes: int = COPY_BYTES, runs: int = COPY_RUNS) -> dict[str, Any]:
    """Bytes copied per second (size / time), best of ``runs``: single-threaded ``np.copyto`` and
    thread-pool copies of chunks (os.cpu_count() of them, and half that), the maximum of all."""
    n = nbytes // 8
    src = np.arange(n, dtype=np.uint64)
    dst = np.empty_like(src)
    dst.fill(1)  # pre-fault every destination page

    def best(copy: Callable[[], None]) -> float:
        copy()  # warm-up
        t = math.inf
        for _ in range(runs):
            t0 = time.perf_counter()
            copy()
            t = min(t, time.perf_counter() - t0)
        return t

    rates = {"single_thread": nbytes / best(lambda: np.copyto(dst, src))}
    cpus = os.cpu_count() or 1
    for workers in sorted({cpus, max(1, cpus // 2)}, reverse=True):
        if workers == 1:
            continue
        bounds = np.linspace(0, n, workers + 1).astype(np.int64)
        chunks = [(dst[a:b], src[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:

            def copy_all() -> None:
                for f in [pool.submit(np.copyto, d, s) for d, s in chunks]:
                    f.result()

            rates[f"threads_{workers}"] = nbytes / best(copy_all)
    if not np.array_equal(dst[:: max(1, n // 4096)], src[:: max(1, n // 4096)]):
        raise RuntimeError("the memcpy probe did not copy")
    del src, dst
    gc.collect()
    rate = max(rates.values())
    return {"bytes": nbytes, "runs": runs, "dtype": "uint64", "rates_GBps": {k: round(v / 1e9, 2) for k, v in rates.items()},
            "rate_GBps": round(rate / 1e9, 2), "rate_Bps": rate,
            "convention": "rate = bytes copied / time (a copy of S bytes reads S and writes S); "
                          "floor = (bytes read + bytes written) / (2 * rate)"}


# -- hand-off ---------------------------------------------------------------------------------------


def handoff_numpy(c: Any) -> list[np.ndarray]:
    d = sb.asarray(c).__binsparse__()
    return [np.from_dlpack(v) for v in d.values()]


def handoff_torch_dlpack(c: Any) -> list[Any]:
    d = sb.asarray(c).__binsparse__()
    return [torch.from_dlpack(v) for v in d.values()]


def handoff_to_torch(c: Any) -> Any:
    return sb.to_torch(sb.asarray(c))


def peer_scipy(c: Any) -> Any:
    return sp.csr_array((c.data, c.indices, c.indptr), shape=c.shape, copy=False)


HANDOFFS: tuple[tuple[str, str, Callable[[Any], Any], Callable[[Any], Arrays]], ...] = (
    ("sb_numpy", "sparsebridge → NumPy (asarray + __binsparse__ + np.from_dlpack)", handoff_numpy,
     lambda r: tuple(np.asarray(a) for a in r)),
    ("sb_torch_dlpack", "sparsebridge → torch A (asarray + __binsparse__ + torch.from_dlpack)", handoff_torch_dlpack,
     lambda r: tuple(t.numpy() for t in r)),
    ("sb_to_torch", "sparsebridge → torch B (sb.to_torch(sb.asarray(csr)))", handoff_to_torch, torch_csr),
    ("scipy_csr_array", "peer: scipy csr_array((data, indices, indptr), copy=False)", peer_scipy, compressed),
    ("torch_sparse_csr_tensor", "peer: torch.sparse_csr_tensor(from_numpy(...))", torch_csr_of, torch_csr),
)


def measure_handoff(m: Matrix, nnz: int, repeat: int) -> list[dict[str, Any]]:
    c = m.csr
    out = []
    for key, label, fn, read in HANDOFFS:
        result = fn(c)
        got = read(result)
        check_bits(f"{label}, nnz={fmt_nnz(nnz)}, {m.index_dtype}", got, m.csr_arrays)
        zero_copy = all(np.may_share_memory(g, e) for g, e in zip(got, m.csr_arrays))
        del result, got
        timer = timeit.Timer(lambda: fn(c))
        number, _ = timer.autorange()  # the smallest batch of >= 0.2 s
        us = min(timer.repeat(repeat, number)) / number * 1e6
        out.append({"route": key, "label": label, "nnz": nnz, "index_dtype": m.index_dtype, "us": us,
                    "calls_per_rep": number, "zero_copy": zero_copy})
        print(f"  hand-off {key:<24} nnz={fmt_nnz(nnz):<6} {m.index_dtype}: {us:.2f} µs", file=sys.stderr, flush=True)
    return out


def flatness(handoffs: list[dict[str, Any]]) -> None:
    """Adds t(largest) / t(1e3) to each route's record at the largest size."""
    top = max(h["nnz"] for h in handoffs)
    by_key = {(h["route"], h["index_dtype"], h["nnz"]): h for h in handoffs}
    for h in handoffs:
        base = by_key.get((h["route"], h["index_dtype"], HANDOFF_BASE_NNZ))
        if h["nnz"] == top and base is not None and top != HANDOFF_BASE_NNZ:
            h["ratio_to_1e3"] = h["us"] / base["us"]


# -- reporting ------------------------------------------------------------------------------------


def ratio_warnings(rows: list[dict[str, Any]]) -> list[str]:
    """One line per sparsebridge time below a floor (a floor can only be underestimated)."""
    out = []
    for r in rows:
        where = f"{r['op_label']}, nnz={fmt_nnz(r['nnz'])}, {r['index_dtype']}"
        shared = r["floor"]["shared_outputs"]
        if r["x_floor_all"] < 1:
            why = (f"expected: {', '.join(shared)} shared with the input, not moved" if shared
                   else "IMPOSSIBLE: the copy rate is underestimated")
            out.append(f"WARNING: {where}: sparsebridge is {r['x_floor_all']:.3g}× the all-bytes floor ({why})")
        if r["x_floor_moved"] is not None and r["x_floor_moved"] < 1:
            out.append(f"WARNING: {where}: sparsebridge is {r['x_floor_moved']:.3g}× the moved-bytes floor "
                       "(IMPOSSIBLE: the copy rate is underestimated)")
    return out


def conversion_table(rows: list[dict[str, Any]]) -> str:
    head = ("| conversion | nnz | index | scipy | sparsebridge | vs scipy | × floor (all bytes) | × floor (moved) "
            "| torch | pydata/sparse |")
    lines = [head, "|" + "---|" * 10]

    def cell(r: dict[str, Any], lib: str) -> str:
        rec = r["libraries"].get(lib)
        return "" if rec is None else fmt_time(rec["ms"])

    for r in rows:
        moved = "" if r["x_floor_moved"] is None else f"{r['x_floor_moved']:.3g}×"
        lines.append(f"| {r['op_label']} | {fmt_nnz(r['nnz'])} | {r['index_dtype']} | {cell(r, 'scipy')} "
                     f"| {cell(r, 'sparsebridge')} | {r['speedup_vs_scipy']:.3g}× | {r['x_floor_all']:.3g}× | {moved} "
                     f"| {cell(r, 'torch')} | {cell(r, 'pydata/sparse')} |")
    return "\n".join(lines)


def handoff_table(handoffs: list[dict[str, Any]]) -> str:
    sizes = sorted({h["nnz"] for h in handoffs})
    top = fmt_nnz(sizes[-1])
    lines = ["| hand-off route | index | " + " | ".join(f"{fmt_nnz(n)} (µs)" for n in sizes)
             + f" | t({top}) / t(1e3) | zero-copy |", "|" + "---|" * (len(sizes) + 4)]
    by_key = {(h["route"], h["index_dtype"], h["nnz"]): h for h in handoffs}
    for key, label, _fn, _read in HANDOFFS:
        for dt in ("int32", "int64"):
            recs = [by_key.get((key, dt, n)) for n in sizes]
            if not any(recs):
                continue
            last = recs[-1] or {}
            ratio = f"{last['ratio_to_1e3']:.2f}" if "ratio_to_1e3" in last else ""
            zc = "yes" if all(r["zero_copy"] for r in recs if r) else "no"
            lines.append(f"| {label} | {dt} | " + " | ".join("" if r is None else f"{r['us']:.2f}" for r in recs)
                         + f" | {ratio} | {zc} |")
    return "\n".join(lines)


def run(sizes: Sequence[int], reps: int, handoff_repeat: int, copy_rate: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    for nnz in sorted({HANDOFF_BASE_NNZ, *sizes}):
        rows64, cols64, vals, perm = entries_of(nnz, DIM)
        for dtype in (np.int32, np.int64):
            m = matrix(rows64, cols64, vals, perm, DIM, dtype)
            if nnz in sizes:
                rows += [measure_conversion(m, conv, nnz, reps, copy_rate) for conv in CONVERSIONS]
            handoffs += measure_handoff(m, nnz, handoff_repeat)
            del m
            gc.collect()
    flatness(handoffs)
    return rows, handoffs


def main(argv: Optional[Sequence[str]] = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1e6,1e7", help="comma-separated nnz values (1e7 notation allowed)")
    p.add_argument("--reps", type=int, default=3, help="repetitions of each conversion; the best is reported")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON report (its folder is created)")
    p.add_argument("--quick", action="store_true", help="smoke run: nnz 1e5 only, 1 repetition")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.reps = "1e5", 1
    sizes = sorted({int(float(s)) for s in args.sizes.split(",") if s})
    if not sizes or min(sizes) < 2 or args.reps < 1 or max(sizes) > DIM**2 // 4:
        p.error("--sizes needs nnz values >= 2 and <= 2.5e11, --reps >= 1")
    handoff_repeat = 1 if args.quick else HANDOFF_REPEAT
    report: dict[str, Any] = {
        "benchmark": "benches/python/userpath.py",
        "command": " ".join(["python", "benches/python/userpath.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": versions(),
        "config": {"shape": [DIM, DIM], "values": "float64", "index_dtypes": ["int32", "int64"], "sizes": sizes,
                   "reps": args.reps, "handoff_sizes": sorted({HANDOFF_BASE_NNZ, *sizes}),
                   "handoff_repeat": handoff_repeat, "seed": SEED, "quick": args.quick},
    }
    print("measuring the memcpy rate ...", file=sys.stderr, flush=True)
    copy = memcpy_rate()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=TORCH_BETA, category=UserWarning)
        rows, handoffs = run(sizes, args.reps, handoff_repeat, copy["rate_Bps"])
    warns = ratio_warnings(rows)
    report |= {"memcpy": copy, "conversions": rows, "handoffs": handoffs, "warnings": warns}
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    mach, ver = report["machine"], report["versions"]
    print(conversion_table(rows))
    print()
    print(handoff_table(handoffs))
    print()
    rates = ", ".join(f"{k} {v} GB/s" for k, v in copy["rates_GBps"].items())
    print(f"- memcpy rate used: {copy['rate_GBps']} GB/s ({copy['convention']}; best of {copy['runs']} copies of "
          f"{copy['bytes'] >> 20} MiB: {rates}).")
    print(f"- conversions: best of {args.reps}, each from a fresh scipy object (sb.asarray, its validation and "
          "np.from_dlpack of every constituent included); vs scipy = scipy time / sparsebridge time.")
    print(f"- machine: {mach['cpu_model']}, {mach['logical_cpus']} logical CPUs, {mach['ram_gib']} GiB, "
          f"load {mach['load_average_at_start']} → {mach['load_average_at_end']}; threads: "
          + ", ".join(f"{k} {v}" for k, v in mach["threads"].items()) + ".")
    print("- versions: " + ", ".join(f"{k} {v}" for k, v in ver.items()) + ".")
    print(f"- JSON: {args.out}")
    for w in warns:
        print(w)
        print(w, file=sys.stderr)
    return report


if __name__ == "__main__":
    try:
        main()
    except OracleError as e:
        sys.exit(f"userpath.py: oracle check failed, nothing reported: {e}")

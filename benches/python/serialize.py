"""Serializing a scipy CSR matrix for distributed: sparsebridge.dask against distributed's own
path and plain pickle, in one process, then a worker-to-worker transfer on a LocalCluster.

For a random scipy ``csr_array`` (float64 values, int32 indices, ``--nnz`` stored values) it
times, best of ``--reps``:

- ``distributed.protocol.serialize`` + ``deserialize`` with sparsebridge's ``dask`` serializer
  (descriptor header, the three buffers as frames);
- the same calls with sparsebridge's entries removed from the registry: what distributed does for
  a ``csr_array`` by itself (its ``pickle`` family, protocol 5 with out-of-band buffers), and for
  a ``csr_matrix`` (its generic ``dask`` serializer of the object's attributes);
- plain ``pickle.dumps`` + ``pickle.loads`` (protocol 5, in band: one copy each way);
- ``pickle`` protocol 5 of a ``sparsebridge.SparseArray`` with a ``buffer_callback`` (out of band).

Each round trip is checked equal to the input before it is timed. Then, unless ``--no-cluster``,
a ``LocalCluster(n_workers=2, processes=True, threads_per_worker=1)``: the matrix is built on
worker A and the time for a task on worker B that needs it (the transfer, over TCP) is measured,
first with distributed's own serialization, then with sparsebridge's registered on both workers.
Prints a markdown table with the ratios (peer time / sparsebridge time).

usage: python benches/python/serialize.py [--nnz 1e7] [--reps 5] [--no-cluster]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import platform
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp


def make_csr(nnz: int, seed: int = 0) -> sp.csr_array:
    """A 1e6-row random CSR with about ``nnz`` values (int32 indices), built without scipy's
    slow random generator: sorted unique positions per row from one NumPy draw."""
    rng = np.random.default_rng(seed)
    n = max(1000, int(round(nnz / 10)))
    rows = np.sort(rng.integers(0, n, size=nnz))
    cols = rng.integers(0, n, size=nnz)
    m = sp.coo_array((rng.random(nnz), (rows, cols)), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.indices = m.indices.astype(np.int32)
    m.indptr = m.indptr.astype(np.int32)
    return m


def best(f: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def same(a: Any, b: Any) -> None:
    a, b = sp.csr_array(a), sp.csr_array(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@contextlib.contextmanager
def without_sparsebridge() -> Iterator[None]:
    """distributed's registry as it is without sparsebridge.dask (restored afterwards)."""
    from distributed.protocol import dask_deserialize, dask_serialize

    import sparsebridge.dask as sbd  # noqa: F401

    saved = []
    for registry in (dask_serialize, dask_deserialize):
        for cls in (sp.csr_array, sp.csr_matrix):
            saved.append((registry, cls, registry._lookup.pop(cls)))
    try:
        yield
    finally:
        for registry, cls, f in saved:
            registry._lookup[cls] = f


def in_process(m: sp.csr_array, reps: int) -> list[tuple[str, float]]:
    from distributed.protocol import deserialize, serialize

    import sparsebridge as sb
    import sparsebridge.dask  # noqa: F401

    def dist_round_trip(x: Any) -> Callable[[], Any]:
        def run() -> Any:
            h, f = serialize(x, serializers=("dask", "pickle"))
            return deserialize(h, f, deserializers=("dask", "pickle"))

        return run

    rows: list[tuple[str, float]] = []
    same(dist_round_trip(m)(), m)
    h, _ = serialize(m, serializers=("dask", "pickle"))
    assert h["serializer"] == "dask" and h["sub-header"].get("kind") == "scipy", h
    rows.append(("sparsebridge.dask, csr_array", best(dist_round_trip(m), reps)))
    mat = sp.csr_matrix(m)
    same(dist_round_trip(mat)(), m)
    rows.append(("sparsebridge.dask, csr_matrix", best(dist_round_trip(mat), reps)))
    with without_sparsebridge():
        h, _ = serialize(m, serializers=("dask", "pickle"))
        assert h["serializer"] == "pickle", h["serializer"]
        same(dist_round_trip(m)(), m)
        rows.append(("distributed's own, csr_array (pickle family)", best(dist_round_trip(m), reps)))
        h, _ = serialize(mat, serializers=("dask", "pickle"))
        assert h["serializer"] == "dask" and "kind" not in h["sub-header"], h
        same(dist_round_trip(mat)(), m)
        rows.append(("distributed's own, csr_matrix (generic dask)", best(dist_round_trip(mat), reps)))
    same(pickle.loads(pickle.dumps(m, protocol=5)), m)
    rows.append(("plain pickle (protocol 5, in band)", best(lambda: pickle.loads(pickle.dumps(m, protocol=5)), reps)))
    a = sb.asarray(m)

    def sb_pickle() -> Any:
        bufs: list[pickle.PickleBuffer] = []
        return pickle.loads(pickle.dumps(a, protocol=5, buffer_callback=bufs.append), buffers=bufs)

    same(sb_pickle().to_scipy(), m)
    rows.append(("pickle-5 out of band, SparseArray", best(sb_pickle, reps)))
    return rows


def build_on_worker(nnz: int, seed: int) -> Any:
    return make_csr(nnz, seed)


def nnz_of(x: Any) -> int:
    return int(x.nnz)


def transfers(nnz: int, reps: int) -> list[tuple[str, float]]:
    import distributed

    import sparsebridge.dask as sbd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
        client = distributed.Client(cluster)
    try:
        a, b = sorted(client.scheduler_info()["workers"])

        def timed(tag: str) -> float:
            times = []
            for rep in range(reps):
                fut = client.submit(build_on_worker, nnz, rep, workers=[a], pure=False)
                distributed.wait(fut)
                t0 = time.perf_counter()
                n = client.submit(nnz_of, fut, workers=[b], pure=False).result()
                times.append(time.perf_counter() - t0)
                assert n > 0.99 * nnz, (tag, n)
                del fut
            return min(times)

        own = timed("distributed")
        sbd.register(client)
        ours = timed("sparsebridge")
        # Which serializer each worker used: sparsebridge's once registered.
        used = client.run(lambda: __import__("distributed.protocol", fromlist=["x"]).dask_serialize.dispatch(sp.csr_array).__module__)
        assert set(used.values()) == {"sparsebridge.dask"}, used
        return [("worker A -> worker B, sparsebridge.dask", ours), ("worker A -> worker B, distributed's own", own)]
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.close()
            cluster.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nnz", type=float, default=1e7)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-cluster", action="store_true")
    args = ap.parse_args()
    nnz = int(args.nnz)
    import distributed

    import sparsebridge

    m = make_csr(nnz)
    nbytes = m.data.nbytes + m.indices.nbytes + m.indptr.nbytes
    print(
        f"# serialize benchmark: scipy csr_array {m.shape[0]}x{m.shape[1]}, nnz={m.nnz}, {nbytes / 1e6:.0f} MB, "
        f"best of {args.reps}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, distributed {distributed.__version__}, "
        f"sparsebridge {sparsebridge.__version__}"
    )
    rows = in_process(m, args.reps)
    ours = {"csr_array": rows[0][1], "csr_matrix": rows[1][1]}
    print("\n| serialize + deserialize (one process) | ms | ratio to sparsebridge.dask |")
    print("|---|---:|---:|")
    for name, t in rows:
        ref = ours["csr_matrix"] if "csr_matrix" in name else ours["csr_array"]
        print(f"| {name} | {t * 1e3:.3f} | {t / ref:.1f}x |")
    if not args.no_cluster:
        del m
        tr = transfers(nnz, max(2, min(args.reps, 3)))
        print("\n| worker-to-worker transfer (LocalCluster, 2 processes, TCP) | ms | ratio to sparsebridge.dask |")
        print("|---|---:|---:|")
        for name, t in tr:
            print(f"| {name} | {t * 1e3:.1f} | {t / tr[0][1]:.2f}x |")



if __name__ == "__main__":
    main()

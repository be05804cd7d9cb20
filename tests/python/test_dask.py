"""sparsebridge.dask: distributed serializers on a real LocalCluster (two worker processes), and
dask arrays of sparse chunks over binsparse HDF5 files.

Oracles: scipy (the same matrix, its sums and products computed in this process) and the
buffers' own addresses for the zero-copy checks.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import sparsebridge as sb

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
import sparsebridge.dask as sbd  # noqa: E402
from distributed.protocol import deserialize, msgpack, serialize  # noqa: E402


def address(buf: Any) -> int:
    return int(np.frombuffer(buf, dtype=np.uint8).ctypes.data)


def csr(n: int = 300, m: int = 200, density: float = 0.05, seed: int = 0, dtype: Any = np.float64) -> sp.csr_array:
    return sp.random_array((n, m), density=density, format="csr", dtype=dtype, rng=seed)


# -- serializers in this process ----------------------------------------------------------------


def test_sparsearray_serializer_aliases_constituents() -> None:
    a = sb.asarray(csr())
    header, frames = serialize(a, serializers=("dask",))
    assert header["serializer"] == "dask"
    cons = a.__binsparse__()
    assert len(frames) == len(cons)
    assert [address(f) for f in frames] == [c.data_ptr for c in cons.values()]
    back = deserialize(header, frames)
    assert isinstance(back, sb.SparseArray)
    assert [c.data_ptr for c in back.__binsparse__().values()] == [address(f) for f in frames]
    np.testing.assert_array_equal(back.todense(), a.todense())


def test_scipy_csr_serializer_aliases_its_arrays() -> None:
    m = csr(dtype=np.float32)
    m.indices = m.indices.astype(np.int64)
    m.indptr = m.indptr.astype(np.int64)
    header, frames = serialize(m, serializers=("dask", "pickle"))
    assert header["serializer"] == "dask"
    assert [address(f) for f in frames] == [m.indptr.ctypes.data, m.indices.ctypes.data, m.data.ctypes.data]
    back = deserialize(header, frames)
    assert type(back) is sp.csr_array
    assert back.dtype == np.float32 and back.indices.dtype == np.int64 and back.indptr.dtype == np.int64
    assert [back.indptr.ctypes.data, back.indices.ctypes.data, back.data.ctypes.data] == [address(f) for f in frames]
    assert back.data.flags.writeable
    assert (back != m).nnz == 0


@pytest.mark.parametrize("nnz_scale", [10, 1_000_000])
def test_header_small_whatever_the_nnz(nnz_scale: int) -> None:
    n = max(10, int(np.sqrt(nnz_scale)) * 2)
    m = sp.random_array((n, n), density=min(1.0, nnz_scale / n**2), format="csr", rng=1)
    for x in (m, sb.asarray(m)):
        header, frames = serialize(x, serializers=("dask",))
        assert len(msgpack.dumps(header)) < 4096
        assert sum(memoryview(f).nbytes for f in frames) >= m.data.nbytes + m.indices.nbytes


def _cases() -> list[tuple[str, Any]]:
    import sparse
    import torch

    m = csr(40, 30, 0.2, seed=4)
    t = torch.tensor(m.toarray())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: "sparse CSR support is in beta"
        tcsr, tcsc = t.to_sparse_csr(), t.to_sparse_csc()
    return [
        ("csr_array", m),
        ("csr_matrix", sp.csr_matrix(m)),
        ("csc_array", m.tocsc()),
        ("csc_matrix", sp.csc_matrix(m)),
        ("coo_array", m.tocoo()),
        ("coo_matrix", sp.coo_matrix(m)),
        ("csr_1d", sp.csr_array(m.toarray()[3])),
        ("coo_3d", sp.coo_array(np.arange(24.0).reshape(2, 3, 4) % 5)),
        ("bool_csr", sp.csr_array(m.toarray() > 0.5)),
        ("complex_csc", sp.csc_array(m.toarray() * (1 + 2j))),
        ("sparsebridge_dcsr", sb.asarray(m).asformat("DCSR")),
        ("pydata_coo", sparse.COO(m)),
        ("pydata_gcxs", sparse.GCXS(m)),
        ("torch_coo", t.to_sparse()),
        ("torch_csr", tcsr),
        ("torch_csc", tcsc),
        ("torch_dense", t),
    ]


def dense(x: Any) -> np.ndarray:
    import torch

    if isinstance(x, sb.SparseArray):
        return x.todense()
    if isinstance(x, torch.Tensor):
        return (x.to_dense() if x.layout != torch.strided else x).numpy()
    if hasattr(x, "toarray"):
        return np.asarray(x.toarray())
    return np.asarray(x.todense())


@pytest.mark.parametrize("case", range(17))
def test_round_trip_keeps_type_dtypes_and_values(case: int) -> None:
    import torch

    name, x = _cases()[case]
    header, frames = serialize(x, serializers=("dask",))
    assert header["serializer"] == "dask", name
    back = deserialize(header, frames)
    assert type(back) is type(x), name
    np.testing.assert_array_equal(dense(back), dense(x))
    if isinstance(x, torch.Tensor):
        assert back.layout == x.layout and back.dtype == x.dtype
    elif isinstance(x, sb.SparseArray):
        assert back.__binsparse_descriptor__() == x.__binsparse_descriptor__()
    else:
        assert back.dtype == x.dtype and back.shape == x.shape
    if name.startswith("c") and hasattr(x, "indices"):
        assert back.indices.dtype == x.indices.dtype and back.indptr.dtype == x.indptr.dtype


def test_non_canonical_scipy_travels_as_is() -> None:
    m = sp.csr_array((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 2]), np.array([0, 3, 3])), shape=(2, 3))
    assert not m.has_canonical_format
    back = deserialize(*serialize(m, serializers=("dask",)))
    np.testing.assert_array_equal(back.indices, m.indices)  # unsorted, duplicated: not fixed
    np.testing.assert_array_equal(back.toarray(), m.toarray())


def test_register_is_idempotent() -> None:
    from distributed.protocol import dask_serialize

    before = dask_serialize.dispatch(sp.csr_array)
    sbd.register()
    sbd.register()
    assert dask_serialize.dispatch(sp.csr_array) is before
    # distributed's lazily loaded scipy and sparse serializers never replace ours.
    import sparse

    dask_serialize.dispatch(sp.dok_matrix)
    with pytest.raises(TypeError):
        dask_serialize.dispatch(sparse.DOK)  # runs the lazy loader, then finds nothing
    assert "sparse" not in dask_serialize._lazy
    assert dask_serialize.dispatch(sp.csr_array) is before
    assert dask_serialize.dispatch(sparse.COO) is sbd.serialize_pydata


def test_read_only_frames() -> None:
    """Frames from a transport may be read-only: a SparseArray keeps them (it never writes);
    a scipy array whose data was writable gets writable memory back, as distributed's pickle
    path gives it."""
    m = csr()
    for x in (sb.asarray(m), m):
        header, frames = serialize(x, serializers=("dask",))
        ro = [memoryview(bytes(f)) for f in frames]
        back = deserialize(header, ro)
        np.testing.assert_array_equal(dense(back), m.toarray())
    assert deserialize(*serialize(sb.asarray(m), serializers=("dask",))).__binsparse__()


# -- a real cluster: two worker processes ---------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
        )
        c = distributed.Client(cluster)
    sbd.register(c)
    try:
        yield c
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c.close()
            cluster.close()


def workers(client: Any) -> list[str]:
    ws = sorted(client.scheduler_info()["workers"])
    assert len(ws) == 2
    return ws


def where(x: Any) -> tuple[int, str, str]:
    """On a worker: its pid, the type it received and the serializer that registry has."""
    from distributed.protocol import dask_serialize

    return os.getpid(), type(x).__name__, dask_serialize.dispatch(type(x)).__module__


def matvec(x: Any, v: np.ndarray) -> np.ndarray:
    if isinstance(x, sb.SparseArray):
        x = x.to_scipy()
    return np.asarray(x @ v)


def convert(x: Any, fmt: str) -> sb.SparseArray:
    return sb.asarray(x).asformat(fmt)


def test_scattered_to_one_worker_used_on_the_other(client: Any) -> None:
    a_addr, b_addr = workers(client)
    m = csr(500, 400, 0.02, seed=7)
    v = np.arange(400, dtype=np.float64)
    for x in (m, sb.asarray(m), sp.csc_matrix(m)):
        [fut] = client.scatter([x], workers=[a_addr])
        assert set(client.who_has(fut)[fut.key]) == {a_addr}
        pid_a = client.submit(where, fut, workers=[a_addr], pure=False).result()
        pid_b, received, serializer = client.submit(where, fut, workers=[b_addr], pure=False).result()
        assert pid_a[0] != pid_b and pid_a[0] != os.getpid()
        assert received == type(x).__name__
        assert serializer == "sparsebridge.dask"
        got = client.submit(matvec, fut, v, workers=[b_addr]).result()
        np.testing.assert_allclose(got, m @ v)
        assert b_addr in client.who_has(fut)[fut.key]  # it travelled to b


def test_conversions_on_workers(client: Any) -> None:
    a_addr, b_addr = workers(client)
    m = csr(200, 300, 0.05, seed=8)
    [fut] = client.scatter([m], workers=[a_addr])
    for fmt, oracle in (("CSC", m.tocsc()), ("COOR", m.tocoo()), ("DCSR", m)):
        out = client.submit(convert, fut, fmt, workers=[b_addr]).result()
        assert isinstance(out, sb.SparseArray) and out.format == fmt
        np.testing.assert_array_equal(out.todense(), oracle.toarray())
    back = client.submit(sb.to_scipy, client.submit(convert, fut, "CSC", workers=[b_addr]), workers=[a_addr]).result()
    assert type(back) is sp.csc_array
    assert (back != m).nnz == 0


def test_sparsearray_found_without_importing_sparsebridge_dask() -> None:
    """A worker that only imports sparsebridge (unpickling the type) still finds the serializer."""
    import subprocess
    import sys

    header, frames = serialize(sb.asarray(csr(20, 10, 0.3)), serializers=("dask",))
    payload = distributed.protocol.pickle.dumps((header, [bytes(f) for f in frames]))
    script = (
        "import sys, pickle, distributed.protocol as p\n"
        "h, f = pickle.loads(sys.stdin.buffer.read())\n"
        "assert 'sparsebridge.dask' not in sys.modules\n"
        "x = p.deserialize(h, f)\n"
        "assert 'sparsebridge.dask' in sys.modules\n"
        "print(type(x).__name__, x.nnz)\n"
    )
    r = subprocess.run([sys.executable, "-c", script], input=payload, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().split() == ["SparseArray", str(csr(20, 10, 0.3).nnz)]


# -- dask arrays over binsparse HDF5 files ------------------------------------------------------

h5py = pytest.importorskip("h5py")

FILE_FORMATS = ["CSR", "DCSR", "COOR"]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[sp.csr_array, dict[str, Path]]:
    """A matrix with empty rows (so DCSR differs from CSR), written in each row format."""
    m = sp.random_array((6000, 700), density=0.004, format="csr", rng=11)
    dense_rows = m.toarray()
    dense_rows[1000:1600] = 0  # a run of empty rows crossing a block edge
    m = sp.csr_array(dense_rows)
    d = tmp_path_factory.mktemp("h5")
    paths = {}
    for fmt in FILE_FORMATS:
        paths[fmt] = d / f"m-{fmt}.bsp.h5"
        sb.write(paths[fmt], sb.asarray(m).asformat(fmt))
    return m, paths


def block_matvec(b: Any, v: np.ndarray) -> np.ndarray:
    return np.asarray(b @ v)


def block_rowsum(b: Any) -> np.ndarray:
    return np.asarray(b.sum(axis=1)).reshape(-1)


@pytest.mark.parametrize("fmt", FILE_FORMATS)
def test_each_task_reads_only_its_row_block(big: Any, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    m, paths = big
    x = sbd.from_hdf5(paths[fmt], chunks=1000)
    assert x.chunks == ((1000,) * 6, (700,))
    reads: list[tuple[str, int]] = []
    original = h5py.Dataset.__getitem__

    def recording(self: Any, key: Any) -> Any:
        out = original(self, key)
        reads.append((self.name.lstrip("/"), int(np.asarray(out).size)))
        return out

    monkeypatch.setattr(h5py.Dataset, "__getitem__", recording)
    monkeypatch.setattr(sbd, "_BISECT_READ", 64)  # searches go through the bisection proper
    info = sbd._file_info(str(paths[fmt]))
    for r0 in range(0, 6000, 1000):
        reads.clear()
        chunk = sbd._read_block(str(paths[fmt]), info, r0, r0 + 1000, "scipy")
        block = m[r0 : r0 + 1000]
        np.testing.assert_array_equal(chunk.toarray(), block.toarray())
        got = dict(reads)  # the last read of each dataset is the block itself
        assert got["values"] == block.nnz
        assert got["indices_1"] == block.nnz
        # Whatever else was read is a search or a pointer slice, far below the file's nnz.
        assert sum(n for _, n in reads) < 3 * block.nnz + 2 * (64 + 32) + 1002
    assert m.nnz > 100 * 64


@pytest.mark.parametrize("like", ["scipy", "sparse", "sparsebridge"])
def test_meta_and_chunk_types(big: Any, like: str) -> None:
    import sparse

    m, paths = big
    expected = {"scipy": sp.csr_array, "sparse": sparse.GCXS, "sparsebridge": sb.SparseArray}[like]
    x = sbd.from_hdf5(paths["CSR"], chunks=2500, like=like)
    assert isinstance(x._meta, expected) and x.dtype == np.float64 and x.shape == m.shape
    assert x._meta.shape == (0, 0)
    assert x.chunks == ((2500, 2500, 1000), (700,))
    block = x.blocks[1].compute(scheduler="sync")
    assert type(block) is expected
    np.testing.assert_array_equal(sb.asarray(block).todense(), m[2500:5000].toarray())
    coo = sbd.from_hdf5(paths["COOR"], chunks=2500, like=like)
    assert isinstance(coo._meta, {"scipy": sp.coo_array, "sparse": sparse.COO, "sparsebridge": sb.SparseArray}[like])


def test_file_reduced_on_the_cluster_by_dask(client: Any, big: Any) -> None:
    """dask's own reductions and matmul over PyData COO chunks (numba compiles them once per
    worker process, the slow part of this test)."""
    m, paths = big
    v = np.random.default_rng(0).random(700)
    x = sbd.from_hdf5(paths["COOR"], chunks=900, like="sparse")
    assert x.numblocks == (7, 1)
    total, mv = client.compute([x.sum(), x @ v], sync=True)
    np.testing.assert_allclose(float(total), m.sum())
    np.testing.assert_allclose(np.asarray(mv), m @ v)


@pytest.mark.parametrize("fmt", FILE_FORMATS)
def test_file_reduced_on_the_cluster_blockwise(client: Any, big: Any, fmt: str) -> None:
    """scipy chunks: the blockwise forms (dask's reductions need NumPy-like chunks)."""
    m, paths = big
    v = np.random.default_rng(1).random(700)
    s = sbd.from_hdf5(paths[fmt], chunks=900, like="scipy")
    assert s.numblocks == (7, 1)
    meta = np.empty(0)
    mv = s.map_blocks(block_matvec, v, drop_axis=1, dtype=np.float64, meta=meta)
    rows = s.map_blocks(block_rowsum, drop_axis=1, dtype=np.float64, meta=meta)
    got_mv, got_rows, total = client.compute([mv, rows, rows.sum()], sync=True)
    np.testing.assert_allclose(got_mv, m @ v)
    np.testing.assert_allclose(got_rows, m.sum(axis=1))
    np.testing.assert_allclose(total, m.sum())


def test_asformat_on_workers_and_to_hdf5(client: Any, big: Any, tmp_path: Path) -> None:
    m, paths = big
    for like in ("scipy", "sparse", "sparsebridge"):
        x = sbd.from_hdf5(paths["COOR"], chunks=1500, like=like)
        c = sbd.asformat(x, "CSC")
        chunk = c.blocks[2].compute()
        if like == "sparsebridge":
            assert isinstance(c._meta, sb.SparseArray) and c.dtype == np.float64
            assert type(chunk) is sb.SparseArray and chunk.format == "CSC"
        elif like == "scipy":
            assert type(c._meta) is sp.csc_array and type(chunk) is sp.csc_array
        np.testing.assert_array_equal(sb.asarray(chunk).todense(), m[3000:4500].toarray())
        out = tmp_path / f"out-{like}.bsp.h5"
        sbd.to_hdf5(c, out)
        back = sb.read(out)  # the Rust reader, full structural check
        assert back.format == "CSR" and back.shape == m.shape
        assert (back.to_scipy() != m).nnz == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out-{k}.bsp.h5" for k in ("scipy", "sparse", "sparsebridge")]


@pytest.mark.parametrize("dtype", ["bool", "int32", "float32", "complex128"])
def test_to_hdf5_dtypes_round_trip(tmp_path: Path, dtype: str) -> None:
    from sb_helpers import reference

    dense_m = reference((50, 12), dtype, seed=5)
    src = tmp_path / "src.bsp.h5"
    sb.write(src, sp.csr_array(dense_m))
    x = sbd.from_hdf5(src, chunks=(20, 20, 10), like="scipy")
    np.testing.assert_array_equal(sb.asarray(x.blocks[2].compute(scheduler="sync")).todense(), dense_m[40:])
    out = tmp_path / "out.bsp.h5"
    sbd.to_hdf5(x, out)
    back = sb.read(out)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back.todense(), dense_m)


def failing_block(*_: Any) -> Any:
    raise RuntimeError("chunk 2 failed")


def test_to_hdf5_failure_leaves_no_file(tmp_path: Path, big: Any) -> None:
    m, paths = big
    x = sbd.from_hdf5(paths["CSR"], chunks=2000, like="scipy")
    graph = dict(x.__dask_graph__())
    graph[(x.name, 2, 0)] = (failing_block,)
    bad = da.Array(graph, x.name, x.chunks, meta=x._meta)
    out = tmp_path / "keep.bsp.h5"
    sb.write(out, sp.csr_array(np.eye(3)))
    with pytest.raises(RuntimeError, match="chunk 2 failed"):
        sbd.to_hdf5(bad, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.bsp.h5"]
    np.testing.assert_array_equal(sb.read(out).todense(), np.eye(3))


def test_from_hdf5_errors(tmp_path: Path, big: Any) -> None:
    _, paths = big
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all" * 8)
    with pytest.raises(sb.FileFormatError, match="junk.h5"):
        sbd.from_hdf5(junk, chunks=10)
    with pytest.raises(FileNotFoundError):
        sbd.from_hdf5(tmp_path / "missing.h5", chunks=10)
    nodesc = tmp_path / "nodesc.h5"
    with h5py.File(nodesc, "w") as f:
        f["values"] = np.arange(3.0)
    with pytest.raises(sb.FileFormatError, match="binsparse"):
        sbd.from_hdf5(nodesc, chunks=10)
    csc = tmp_path / "m.csc.bsp.h5"
    sb.write(csc, sp.csc_array(np.eye(4)))
    with pytest.raises(sb.UnsupportedFormatError, match="CSC"):
        sbd.from_hdf5(csc, chunks=2)
    with pytest.raises(ValueError, match="add up"):
        sbd.from_hdf5(paths["CSR"], chunks=(10, 10))
    with pytest.raises(ValueError, match="column"):
        sbd.from_hdf5(paths["CSR"], chunks=((6000,), (300, 400)))
    with pytest.raises(ValueError, match="like"):
        sbd.from_hdf5(paths["CSR"], chunks=10, like="numpy")

"""Round trips between every pair of supported libraries, and the zero-copy proofs.

Oracle: a dense NumPy matrix built in sb_helpers, compared with each library's own densifier.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sb_helpers import DTYPES, INDEX_DTYPES, JAX_DTYPES, TORCH_DTYPES, cpu_ptr, dense_of, make, reference

import sparsebridge as sb

torch = pytest.importorskip("torch")
sparse = pytest.importorskip("sparse")
jax = pytest.importorskip("jax")
scipy_sparse = pytest.importorskip("scipy.sparse")

# (library, format) -> value dtypes it holds.
SOURCES = {
    ("scipy", "csr"): DTYPES,
    ("scipy", "csc"): DTYPES,
    ("scipy", "coo"): DTYPES,
    ("torch", "csr"): TORCH_DTYPES,
    ("torch", "csc"): TORCH_DTYPES,
    ("torch", "coo"): TORCH_DTYPES,
    ("sparse", "coo"): DTYPES,
    ("sparse", "csr"): DTYPES,
    ("sparse", "csc"): DTYPES,
    ("jax", "coo"): JAX_DTYPES,
    ("jax", "csr"): JAX_DTYPES,
}
EXPECTED_FORMAT = {"csr": "CSR", "csc": "CSC", "coo": "COOR"}
TARGETS = ["scipy", "torch", "sparse", "jax", "numpy"]
TARGET_DTYPES = {"scipy": DTYPES, "torch": TORCH_DTYPES, "sparse": DTYPES, "jax": JAX_DTYPES, "numpy": DTYPES}


def convert_to(sa: sb.SparseArray, target: str) -> object:
    if target == "scipy":
        return sb.to_scipy(sa)
    if target == "torch":
        return sb.to_torch(sa)
    if target == "sparse":
        return sb.to_sparse(sa)
    if target == "jax":
        return sb.to_jax(sa)
    return sa.todense()


def index_dtypes(lib: str, fmt: str) -> list[str]:
    # torch COO indices are always int64.
    return ["int64"] if (lib, fmt) == ("torch", "coo") else INDEX_DTYPES


SOURCE_CASES = [
    pytest.param(lib, fmt, dt, idx, id=f"{lib}-{fmt}-{dt}-{idx}")
    for (lib, fmt), dts in SOURCES.items()
    for dt in dts
    for idx in index_dtypes(lib, fmt)
]


@pytest.mark.parametrize("lib, fmt, dtype, index", SOURCE_CASES)
def test_every_source_format_dtype_index(lib: str, fmt: str, dtype: str, index: str) -> None:
    dense = reference((5, 7), dtype, seed=hash((lib, fmt, dtype)) % 1000)
    obj = make(lib, fmt, dense, index)
    sa = sb.asarray(obj)
    assert sa.format == EXPECTED_FORMAT[fmt]
    assert sa.dtype == dtype
    assert sa.index_dtype == index
    assert sa.nnz == int(np.count_nonzero(dense))
    np.testing.assert_array_equal(sa.todense(), dense)
    # Through the protocol: a foreign consumer sees the same dense matrix.
    back = sb.from_binsparse(sa)
    np.testing.assert_array_equal(dense_of(back), dense)
    sa.validate()


# Every dtype is covered per source above; the pair matrix uses one of each kind.
PAIR_DTYPES = ["bool", "int32", "float64", "complex128"]
PAIR_CASES = [
    pytest.param(lib, fmt, target, dt, idx, id=f"{lib}-{fmt}-to-{target}-{dt}-{idx}")
    for (lib, fmt) in SOURCES
    for target in TARGETS
    for dt in PAIR_DTYPES
    if dt in SOURCES[(lib, fmt)] and dt in TARGET_DTYPES[target]
    for idx in index_dtypes(lib, fmt)
]


@pytest.mark.parametrize("lib, fmt, target, dtype, index", PAIR_CASES)
def test_pairwise_round_trip(lib: str, fmt: str, target: str, dtype: str, index: str) -> None:
    dense = reference((6, 4), dtype, seed=7)
    obj = make(lib, fmt, dense, index)
    out = convert_to(sb.asarray(obj), target)
    np.testing.assert_array_equal(dense_of(out), dense)
    assert str(dense_of(out).dtype) == dtype
    # ... and back again.
    again = sb.asarray(out)
    np.testing.assert_array_equal(again.todense(), dense)


@pytest.mark.parametrize("index", INDEX_DTYPES)
def test_zero_copy_scipy_csr_to_torch_csr(index: str) -> None:
    m = make("scipy", "csr", reference((50, 40), "float64"), index)
    sa = sb.asarray(m)
    cons = sa.__binsparse__()
    assert cons["pointers_to_1"].data_ptr == cpu_ptr(m.indptr)
    assert cons["indices_1"].data_ptr == cpu_ptr(m.indices)
    assert cons["values"].data_ptr == cpu_ptr(m.data)
    t = sa.to_torch()
    assert t.crow_indices().data_ptr() == cpu_ptr(m.indptr)
    assert t.col_indices().data_ptr() == cpu_ptr(m.indices)
    assert t.values().data_ptr() == cpu_ptr(m.data)
    assert str(t.crow_indices().dtype) == f"torch.{index}"


def test_zero_copy_scipy_csc_to_torch_csc_and_back() -> None:
    m = make("scipy", "csc", reference((30, 20), "float32"), "int64")
    t = sb.to_torch(m)
    assert t.layout == torch.sparse_csc
    assert t.ccol_indices().data_ptr() == cpu_ptr(m.indptr)
    assert t.row_indices().data_ptr() == cpu_ptr(m.indices)
    assert t.values().data_ptr() == cpu_ptr(m.data)
    s = sb.to_scipy(t)
    assert cpu_ptr(s.indptr) == cpu_ptr(m.indptr)
    assert cpu_ptr(s.indices) == cpu_ptr(m.indices)
    assert cpu_ptr(s.data) == cpu_ptr(m.data)


def test_zero_copy_torch_csr_to_scipy() -> None:
    t = make("torch", "csr", reference((20, 30), "float64"), "int32")
    s = sb.to_scipy(t)
    assert cpu_ptr(s.indptr) == t.crow_indices().data_ptr()
    assert cpu_ptr(s.indices) == t.col_indices().data_ptr()
    assert cpu_ptr(s.data) == t.values().data_ptr()


def test_zero_copy_torch_coo_rows() -> None:
    t = make("torch", "coo", reference((20, 30), "float64"), "int64")
    cons = sb.asarray(t).__binsparse__()
    idx = t.indices()
    assert cons["indices_0"].data_ptr == idx[0].data_ptr()
    assert cons["indices_1"].data_ptr == idx[1].data_ptr()
    assert cons["values"].data_ptr == t.values().data_ptr()


def test_zero_copy_pydata_gcxs_to_scipy() -> None:
    g = make("sparse", "csr", reference((20, 30), "float64"), "int64")
    s = sb.to_scipy(g)
    assert cpu_ptr(s.indptr) == cpu_ptr(g.indptr)
    assert cpu_ptr(s.indices) == cpu_ptr(g.indices)
    assert cpu_ptr(s.data) == cpu_ptr(g.data)
    back = sb.to_sparse(s)
    assert cpu_ptr(back.indptr) == cpu_ptr(g.indptr)


def test_zero_copy_numpy_dense() -> None:
    a = reference((4, 5), "float64")
    sa = sb.asarray(a)
    assert sa.format == "DMATR"
    assert sa.__binsparse__()["values"].data_ptr == cpu_ptr(a)
    f = np.asfortranarray(a)
    sf = sb.asarray(f)
    assert sf.format == "DMATC"
    assert sf.__binsparse__()["values"].data_ptr == cpu_ptr(f)
    np.testing.assert_array_equal(sf.todense(), a)
    v = sb.asarray(a[0])
    assert v.format == "DVEC"
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(a[:, ::2], copy=False)
    np.testing.assert_array_equal(sb.asarray(a[:, ::2]).todense(), a[:, ::2])


def test_float16_is_refused_with_a_typed_error() -> None:
    t = torch.eye(3, dtype=torch.float16).to_sparse_coo()
    with pytest.raises(sb.UnsupportedFormatError, match="float16"):
        sb.asarray(t)


def test_scipy_dok_lil_bsr_dia_convert() -> None:
    dense = reference((6, 6), "float64", seed=11)
    for fmt in ("dok", "lil", "bsr", "dia"):
        m = scipy_sparse.csr_array(dense).asformat(fmt)
        sa = sb.asarray(m)
        assert sa.format == "CSR"
        np.testing.assert_array_equal(sa.todense(), dense)
        with pytest.raises(sb.CopyRequiredError):
            sb.asarray(m, copy=False)


def test_torch_device_argument() -> None:
    sa = sb.asarray(make("scipy", "csr", reference((5, 5), "float64"), "int64"))
    t = sb.to_torch(sa, device="cpu")
    assert t.device.type == "cpu"
    if not torch.cuda.is_available():
        print("SKIPPED to_torch(device='cuda:0'): no CUDA device")
        return
    g = sb.to_torch(sa, device="cuda:0")  # pragma: no cover - needs a GPU
    assert g.device.type == "cuda"  # pragma: no cover


def test_cupy_paths_skip_without_gpu() -> None:
    try:
        import cupy  # noqa: F401
    except ImportError:
        pytest.skip("CuPy is not installed (no CUDA device on this machine): to_cupy untested")
    if not cupy.cuda.is_available():  # pragma: no cover
        pytest.skip("no CUDA device: to_cupy untested")


def test_torch_uncoalesced_and_unsorted() -> None:
    i = torch.tensor([[1, 0, 0], [0, 2, 2]])
    v = torch.tensor([1.0, 2.0, 3.0])
    t = torch.sparse_coo_tensor(i, v, (2, 3), check_invariants=False)
    assert not t.is_coalesced()
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(t, copy=False)
    np.testing.assert_array_equal(sb.asarray(t).todense(), [[0, 0, 5.0], [1.0, 0, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        csr = torch.sparse_csr_tensor(torch.tensor([0, 2, 2]), torch.tensor([2, 0]), torch.tensor([1.0, 2.0]), size=(2, 3), check_invariants=False)
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(csr, copy=False)
    np.testing.assert_array_equal(sb.asarray(csr).todense(), [[2.0, 0, 1.0], [0, 0, 0]])


def test_jax_bcoo_unsorted_and_copy_false() -> None:
    from jax.experimental import sparse as jsparse

    data = jax.numpy.array([1.0, 2.0, 3.0])
    idx = jax.numpy.array([[1, 0], [0, 2], [1, 0]])
    x = jsparse.BCOO((data, idx), shape=(2, 3))
    np.testing.assert_array_equal(sb.asarray(x).todense(), [[0, 0, 2.0], [4.0, 0, 0]])
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(x, copy=False)


@pytest.mark.parametrize("target", ["scipy", "torch", "sparse", "jax", "numpy"])
@pytest.mark.parametrize("dtype", ["int32", "float64", "complex128"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_numpy_dense_source_to_every_target(target: str, dtype: str, order: str) -> None:
    dense = np.asarray(reference((5, 6), dtype, seed=5), order=order)
    sa = sb.asarray(dense)
    assert sa.format == ("DMATR" if order == "C" else "DMATC")
    out = convert_to(sa, target)
    np.testing.assert_array_equal(dense_of(out), dense)
    np.testing.assert_array_equal(sb.asarray(out).todense(), dense)


def test_zero_copy_jax_bcsr_export() -> None:
    x = make("jax", "csr", reference((30, 20), "float64"), "int32")
    cons = sb.asarray(x).__binsparse__()
    assert cons["pointers_to_1"].data_ptr == x.indptr.unsafe_buffer_pointer()
    assert cons["indices_1"].data_ptr == x.indices.unsafe_buffer_pointer()
    assert cons["values"].data_ptr == x.data.unsafe_buffer_pointer()

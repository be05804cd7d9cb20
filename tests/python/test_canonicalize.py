"""Non-canonical scipy / PyData input canonicalised by the Rust engine (``asarray(duplicates=)``).

Oracle: scipy's own ``copy(); sum_duplicates()`` (and a dense ``np.add.at`` accumulation for
PyData), never sparsebridge's code.
"""

from __future__ import annotations

import numpy as np
import pytest

import sparsebridge as sb

sp = pytest.importorskip("scipy.sparse")

SHAPE = (37, 23)


def _shuffled_coo(dtype: str, index: str, nnz: int = 600, seed: int = 3) -> tuple:
    """Coordinates drawn with replacement (many duplicates), in random order."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, SHAPE[0], nnz).astype(index)
    cols = rng.integers(0, SHAPE[1], nnz).astype(index)
    # Small integers: sums are exact in every dtype, whatever the summation order.
    vals = rng.integers(-4, 5, nnz)
    if dtype.startswith("complex"):
        data = (vals + 1j * rng.integers(-4, 5, nnz)).astype(dtype)
    else:
        data = vals.astype(dtype)
    return data, rows, cols


def _scipy_oracle(m: object) -> object:
    c = m.copy()  # type: ignore[attr-defined]
    c.sum_duplicates()
    return c


def _assert_same_coo(sa: sb.SparseArray, oracle: object, index: str) -> None:
    """COOR arrays equal to scipy's canonical coo (sorted row-major, duplicates summed)."""
    assert sa.format == "COOR"
    arrays = {k: np.from_dlpack(v) for k, v in sa.__binsparse__().items()}
    o = oracle.tocsr().tocoo()  # type: ignore[attr-defined]  # row-major order
    np.testing.assert_array_equal(arrays["indices_0"], o.row)
    np.testing.assert_array_equal(arrays["indices_1"], o.col)
    assert arrays["indices_0"].dtype == np.dtype(index)
    assert arrays["indices_1"].dtype == np.dtype(index)
    np.testing.assert_array_equal(sb.to_scipy(sa).data, o.data)
    sa.validate()


@pytest.mark.parametrize("index", ["int32", "int64"])
@pytest.mark.parametrize("dtype", ["float64", "int32", "complex128", "float32"])
def test_shuffled_coo_with_duplicates_matches_sum_duplicates(dtype: str, index: str) -> None:
    data, rows, cols = _shuffled_coo(dtype, index)
    m = sp.coo_array((data, (rows, cols)), shape=SHAPE)
    assert not m.has_canonical_format
    sa = sb.asarray(m)
    oracle = _scipy_oracle(m)
    assert sa.nnz == oracle.nnz
    _assert_same_coo(sa, oracle, index)
    np.testing.assert_array_equal(sa.todense(), m.toarray())
    # The source is untouched (the engine works on a copy).
    np.testing.assert_array_equal(m.row, rows)
    # Then to CSR: the same as scipy's tocsr().
    csr = sa.asformat("CSR")
    o = oracle.tocsr()
    got = sb.to_scipy(csr)
    np.testing.assert_array_equal(got.indptr, o.indptr)
    np.testing.assert_array_equal(got.indices, o.indices)
    np.testing.assert_array_equal(got.data, o.data)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("index", ["int32", "int64"])
@pytest.mark.parametrize("dtype", ["float64", "complex128", "int64"])
def test_unsorted_compressed_with_duplicates_matches_sum_duplicates(fmt: str, index: str, dtype: str) -> None:
    data, rows, cols = _shuffled_coo(dtype, index, seed=7)
    major, minor = (rows, cols) if fmt == "csr" else (cols, rows)
    order = np.argsort(major, kind="stable")  # grouped by major, input order (unsorted) within
    nmajor = SHAPE[0] if fmt == "csr" else SHAPE[1]
    indptr = np.zeros(nmajor + 1, dtype=index)
    np.cumsum(np.bincount(major, minlength=nmajor), out=indptr[1:])
    cls = sp.csr_array if fmt == "csr" else sp.csc_array
    m = cls((data[order], minor[order].astype(index), indptr), shape=SHAPE)
    assert not m.has_canonical_format
    sa = sb.asarray(m)
    assert sa.format == fmt.upper()
    oracle = _scipy_oracle(m)
    got = sb.to_scipy(sa)
    np.testing.assert_array_equal(got.indptr, oracle.indptr)
    np.testing.assert_array_equal(got.indices, oracle.indices)
    np.testing.assert_array_equal(got.data, oracle.data)
    arrays = {k: np.from_dlpack(v) for k, v in sa.__binsparse__().items()}
    assert arrays["pointers_to_1"].dtype == np.dtype(index)
    assert arrays["indices_1"].dtype == np.dtype(index)
    sa.validate()


def test_reject_raises_structure_error_naming_the_duplicate() -> None:
    m = sp.coo_array(
        (np.array([1.0, 2.0, 4.0, 8.0]), (np.array([3, 0, 3, 1]), np.array([2, 1, 2, 0]))), shape=(4, 3)
    )
    with pytest.raises(sb.StructureError, match=r"duplicate.*\[3, 2\]"):
        sb.asarray(m, duplicates="reject")
    csr = sp.csr_array((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 2]), np.array([0, 3, 3])), shape=(2, 3))
    with pytest.raises(sb.StructureError):
        sb.asarray(csr, duplicates="reject")
    # The CSC error names logical (row, column) coordinates: column 1 holds row 2 twice.
    csc = sp.csc_array((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 2]), np.array([0, 0, 3])), shape=(3, 2))
    with pytest.raises(sb.StructureError, match=r"\[2, 1\]"):
        sb.asarray(csc, duplicates="reject")


def test_reject_sorts_unsorted_input_without_duplicates() -> None:
    m = sp.coo_array((np.array([1.0, 2.0, 3.0]), (np.array([2, 0, 1]), np.array([0, 1, 1]))), shape=(3, 2))
    sa = sb.asarray(m, duplicates="reject")
    np.testing.assert_array_equal(sa.todense(), m.toarray())
    assert list(np.from_dlpack(sa.__binsparse__()["indices_0"])) == [0, 1, 2]


def test_bad_duplicates_argument() -> None:
    with pytest.raises(ValueError, match="duplicates"):
        sb.asarray(sp.eye_array(2, format="coo"), duplicates="max")


def test_copy_false_still_raises_copy_required() -> None:
    data, rows, cols = _shuffled_coo("float64", "int32")
    m = sp.coo_array((data, (rows, cols)), shape=SHAPE)
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(m, copy=False)
    csr = sp.csr_array((np.array([1.0, 2.0]), np.array([2, 0]), np.array([0, 2, 2])), shape=(2, 3))
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(csr, copy=False)
    # A coo scipy does not know to be canonical but that is: zero-copy even with copy=False.
    ok = sp.coo_array((np.array([1.0, 2.0]), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))
    ok.has_canonical_format = False
    sa = sb.asarray(ok, copy=False)
    assert sa.nnz == 2


def test_canonical_coo_unknown_to_scipy_shares_memory() -> None:
    rows, cols = np.array([0, 1, 1], dtype=np.int64), np.array([1, 0, 2], dtype=np.int64)
    data = np.array([1.0, 2.0, 3.0])
    m = sp.coo_array((data, (rows, cols)), shape=(2, 3))
    m.has_canonical_format = False
    sa = sb.asarray(m)
    assert np.shares_memory(np.from_dlpack(sa.__binsparse__()["values"]), data)


def test_three_d_coo_is_canonicalised() -> None:
    rng = np.random.default_rng(5)
    shape = (4, 5, 3)
    coords = np.stack([rng.integers(0, e, 80) for e in shape])
    data = rng.integers(1, 5, 80).astype("float64")
    m = sp.coo_array((data, tuple(coords)), shape=shape)
    sa = sb.asarray(m)
    want = np.zeros(shape)
    np.add.at(want, tuple(coords), data)
    np.testing.assert_array_equal(sa.todense(), want)
    sa.validate()


def test_pydata_coo_with_duplicates() -> None:
    sparse = pytest.importorskip("sparse")
    rng = np.random.default_rng(9)
    coords = np.stack([rng.integers(0, 6, 50), rng.integers(0, 4, 50)])
    data = rng.integers(1, 5, 50).astype("float64")
    x = sparse.COO(coords, data, shape=(6, 4), has_duplicates=False, sorted=False, prune=False)
    want = np.zeros((6, 4))
    np.add.at(want, tuple(coords), data)
    sa = sb.asarray(x)
    np.testing.assert_array_equal(sa.todense(), want)
    sa.validate()
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(x, copy=False)
    with pytest.raises(sb.StructureError):
        sb.asarray(x, duplicates="reject")


def test_more_entries_than_positions() -> None:
    # 5 entries in a 2 x 2 shape: no descriptor can hold them raw (the library merges them).
    m = sp.coo_array((np.arange(1.0, 6.0), (np.array([1, 0, 1, 1, 0]), np.array([1, 0, 1, 0, 0]))), shape=(2, 2))
    sa = sb.asarray(m)
    np.testing.assert_array_equal(sa.todense(), [[7.0, 0.0], [4.0, 4.0]])
    with pytest.raises(sb.StructureError, match="duplicate"):
        sb.asarray(m, duplicates="reject")

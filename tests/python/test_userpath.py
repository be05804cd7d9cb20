"""The user's path of issue 13: the scipy hand-off fast path, what conversions share with their
source, ``copy=`` on ``asformat``, and the relabelling transpose ``SparseArray.T``.

Oracles: the descriptor-and-JSON export path that the fast path replaces (``scipy.export`` +
``_assemble``), scipy's own canonical arrays and ``toarray()``, and NumPy's ``.T``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sb_helpers import DTYPES, INDEX_DTYPES, reference

import sparsebridge as sb
from sparsebridge import _core
from sparsebridge.interop import scipy as scipy_adapter

sp = pytest.importorskip("scipy.sparse")

MAKERS = {"csr": sp.csr_array, "csc": sp.csc_array, "coo": sp.coo_array}
EXPECTED = {"csr": "CSR", "csc": "CSC", "coo": "COOR"}


def scipy_of(fmt: str, dtype: str, index: str, shape: tuple[int, int] = (7, 9), seed: int = 1) -> object:
    dense = reference(shape, dtype, seed=seed)
    m = MAKERS[fmt](dense)
    if fmt == "coo":
        m = sp.coo_array((m.data, tuple(c.astype(index) for c in m.coords)), shape=shape)
        m.sum_duplicates()
    else:
        m.indices = m.indices.astype(index)
        m.indptr = m.indptr.astype(index)
    return m


def export_path(m: object) -> sb.SparseArray:
    """The path the fast path replaces: a descriptor dict, JSON, and the lenient normaliser."""
    d, arrays, canonical = scipy_adapter.export(m, copy=None)
    assert canonical
    return sb.SparseArray(_core._assemble(d, arrays, None, lenient=False))


def host(sa: sb.SparseArray) -> dict[str, np.ndarray]:
    return {k: np.from_dlpack(v) for k, v in sa.__binsparse__().items()}


def ptrs(sa: sb.SparseArray) -> dict[str, int]:
    return {k: v.data_ptr for k, v in sa.__binsparse__().items()}


@pytest.mark.parametrize("index", INDEX_DTYPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_fast_path_equals_the_export_path(fmt: str, dtype: str, index: str) -> None:
    m = scipy_of(fmt, dtype, index)
    assert scipy_adapter.parts(m) is not None
    fast, slow = sb.asarray(m), export_path(m)
    assert fast.__binsparse_descriptor__() == slow.__binsparse_descriptor__()
    assert fast.__binsparse_descriptor__()["original_source"] == "scipy.sparse"
    assert fast.format == EXPECTED[fmt]
    got, want = host(fast), host(slow)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k].dtype == want[k].dtype and np.array_equal(got[k], want[k]), k
    np.testing.assert_array_equal(fast.todense(), m.toarray())


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_fast_path_is_zero_copy_and_copy_true_is_not(fmt: str) -> None:
    m = scipy_of(fmt, "float64", "int32")
    sources = [a.ctypes.data for _, a in scipy_adapter.parts(m)[3]]
    assert list(ptrs(sb.asarray(m)).values()) == sources
    assert list(ptrs(sb.asarray(m, copy=False)).values()) == sources
    fresh = sb.asarray(m, copy=True)
    assert not set(ptrs(fresh).values()) & set(sources)
    np.testing.assert_array_equal(fresh.todense(), m.toarray())


def test_only_canonical_2d_input_takes_the_fast_path() -> None:
    m = sp.csr_array(np.array([[0, 1, 2], [3, 0, 4]], dtype=np.float64))
    m.indices[:2] = m.indices[:2][::-1].copy()
    m.has_sorted_indices = False
    assert scipy_adapter.parts(m) is None
    fixed = sb.asarray(m)  # canonicalised in Rust on the export path
    np.testing.assert_array_equal(fixed.todense(), m.toarray())
    assert scipy_adapter.parts(sp.coo_array(np.eye(3)).reshape((9,))) is None  # 1-D
    assert scipy_adapter.parts(sp.dok_array(np.eye(3))) is None
    # scipy refuses these dtypes at construction, but not in a data array set afterwards.
    for odd in (">f8", "float16"):
        m = sp.csr_array(np.eye(3))
        m.data = m.data.astype(odd)
        assert scipy_adapter.parts(m) is None
        with pytest.raises(sb.UnsupportedFormatError):
            sb.asarray(m)


def test_fast_handoff_does_not_trust_bounds_a_conversion_checks_them() -> None:
    # scipy's O(1) format check does not look at index values: this CSR says it is canonical
    # but holds a column index of 5 in a 3-column matrix.
    m = sp.csr_array((np.ones(2), np.array([0, 5], np.int32), np.array([0, 1, 2], np.int32)), shape=(2, 3))
    assert m.has_canonical_format
    sa = sb.asarray(m)
    with pytest.raises(sb.StructureError, match="out of bounds"):
        sa.asformat("CSC")
    with pytest.raises(sb.StructureError):
        sa.validate()
    # ... and one that claims to be sorted but is not.
    m = sp.csr_array((np.ones(2), np.array([2, 1], np.int32), np.array([0, 2], np.int32)), shape=(1, 3))
    m.has_canonical_format = True
    with pytest.raises(sb.StructureError, match="not sorted"):
        sb.asarray(m).asformat("COOR")


def test_fast_path_errors_are_typed() -> None:
    ext = _core._extension()
    with pytest.raises(sb.UnsupportedFormatError):
        ext._Array.from_parts("BSR", [2, 2], 0, [])
    with pytest.raises(sb.DescriptorError, match="does not implement __dlpack__"):
        ext._Array.from_parts("CVEC", [3], 1, [("indices_0", [0]), ("values", np.ones(1))])
    with pytest.raises(sb.DeviceError, match="ndim = 2"):
        ext._Array.from_parts("CVEC", [3], 1, [("indices_0", np.zeros((1, 1), np.int64)), ("values", np.ones(1))])
    with pytest.raises(sb.StructureError, match="length 1, expected 2"):
        ext._Array.from_parts("CVEC", [3], 2, [("indices_0", np.zeros(1, np.int64)), ("values", np.ones(1))])
    with pytest.raises(sb.DescriptorError):  # a float index array
        ext._Array.from_parts("CVEC", [3], 1, [("indices_0", np.zeros(1)), ("values", np.ones(1))])


# -- what a conversion shares ---------------------------------------------------------------------


@pytest.mark.parametrize("index", INDEX_DTYPES)
def test_csr_to_coor_and_back_share_indices_and_values(index: str) -> None:
    m = scipy_of("csr", "float64", index, shape=(40, 30))
    csr = sb.asarray(m)
    coo = csr.asformat("COOR")
    a, b = ptrs(csr), ptrs(coo)
    assert b["indices_1"] == a["indices_1"] and b["values"] == a["values"]
    ref = m.tocoo()
    got = host(coo)
    np.testing.assert_array_equal(got["indices_0"], ref.row)
    np.testing.assert_array_equal(got["indices_1"], ref.col)
    back = coo.asformat("CSR")
    c = ptrs(back)
    assert c["indices_1"] == a["indices_1"] and c["values"] == a["values"]
    np.testing.assert_array_equal(host(back)["pointers_to_1"], m.indptr)


def test_copy_true_gives_fresh_buffers_and_copy_false_refuses_allocation() -> None:
    m = scipy_of("csr", "float64", "int64", shape=(40, 30))
    csr = sb.asarray(m)
    fresh = csr.asformat("COOR", copy=True)
    assert not set(ptrs(fresh).values()) & set(ptrs(csr).values())
    np.testing.assert_array_equal(fresh.todense(), m.toarray())
    same = csr.asformat("CSR", copy=True)
    assert not set(ptrs(same).values()) & set(ptrs(csr).values())
    with pytest.raises(sb.CopyRequiredError):
        csr.asformat("CSC", copy=False)
    with pytest.raises(sb.CopyRequiredError):  # COOR needs a new indices_0
        csr.asformat("COOR", copy=False)
    assert ptrs(csr.asformat("CSR", copy=False)) == ptrs(csr)


def test_numpy_sees_a_shared_constituent_as_the_same_memory() -> None:
    m = scipy_of("csr", "float64", "int32", shape=(20, 20))
    coo = sb.asarray(m).asformat("COOR")
    v = np.from_dlpack(coo.__binsparse__()["values"])
    assert np.shares_memory(v, m.data)
    assert not v.flags.writeable  # exported READ_ONLY: a write cannot corrupt the scipy array
    with pytest.raises(ValueError):
        v[0] = 1.0
    # An index dtype change re-types the indices and keeps the values.
    wide = sb.asarray(m).asformat("CSR", index_dtype="int64")
    assert ptrs(wide)["values"] == m.data.ctypes.data
    assert ptrs(wide)["indices_1"] != m.indices.ctypes.data


# -- the transpose as a relabelling ---------------------------------------------------------------

FLIP = {"CSR": "CSC", "CSC": "CSR", "DCSR": "DCSC", "DCSC": "DCSR", "COOR": "COOC", "COOC": "COOR", "DMATR": "DMATC", "DMATC": "DMATR"}


@pytest.mark.parametrize("fmt", sorted(FLIP))
@pytest.mark.parametrize("dtype", ["float64", "int32", "complex128", "bool"])
def test_transpose_relabels_and_shares_everything(fmt: str, dtype: str) -> None:
    dense = reference((6, 11), dtype, seed=3)
    sa = sb.asarray(sp.csr_array(dense)).asformat(fmt)
    t = sa.T
    assert t.format == FLIP[fmt]
    assert tuple(t.shape) == (11, 6)
    assert t.nnz == sa.nnz
    assert ptrs(t) == ptrs(sa)
    np.testing.assert_array_equal(t.todense(), dense.T)
    np.testing.assert_array_equal(sb.to_scipy(t).toarray(), dense.T)
    assert t.T.__binsparse_descriptor__() == sa.__binsparse_descriptor__()


def test_transpose_flips_a_structure_and_refuses_vectors() -> None:
    lower = np.array([[1.0, 0, 0], [2, 3, 0], [4, 0, 5]])
    m = sp.csr_array(lower)
    d = {
        "binsparse": {
            "version": "0.1", "format": "CSR", "shape": [3, 3], "number_of_stored_values": int(m.nnz),
            "structure": "symmetric_lower",
            "data_types": {"pointers_to_1": "int32", "indices_1": "int32", "values": "float64"},
        }
    }

    class Producer:
        def __binsparse_descriptor__(self) -> dict:
            return d

        def __binsparse__(self, *, descriptor: object = None) -> dict:
            return {"pointers_to_1": m.indptr, "indices_1": m.indices, "values": m.data}

    sa = sb.from_binsparse(Producer())
    t = sa.T
    assert t.__binsparse_descriptor__()["binsparse"]["structure"] == "symmetric_upper"
    full = lower + np.tril(lower, -1).T
    np.testing.assert_array_equal(t.todense(), full.T)
    np.testing.assert_array_equal(sa.todense(), full)
    with pytest.raises(sb.UnsupportedFormatError):
        sb.asarray(np.arange(3.0)).T
    with pytest.raises(sb.UnsupportedFormatError):
        sb.asarray(sp.coo_array(np.eye(3)).reshape((9,))).T


# -- the scattering conversions against scipy, bit for bit ----------------------------------------


@pytest.mark.parametrize("index", INDEX_DTYPES)
@pytest.mark.parametrize("shape", [(300, 200), (3, 5000), (5000, 3)])
def test_transposing_conversions_equal_scipy(index: str, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(7)
    dense = np.where(rng.random(shape) < 0.05, rng.standard_normal(shape), 0.0)
    for src, dst, theirs in (("csr", "CSC", "tocsc"), ("csc", "CSR", "tocsr")):
        m = MAKERS[src](dense)
        m.indices, m.indptr = m.indices.astype(index), m.indptr.astype(index)
        want = getattr(m, theirs)()
        got = host(sb.asarray(m).asformat(dst))
        for name, ref in (("pointers_to_1", want.indptr), ("indices_1", want.indices), ("values", want.data)):
            assert got[name].dtype == np.dtype(index if name != "values" else "float64"), name
            np.testing.assert_array_equal(got[name], ref, err_msg=name)
    # A shuffled COO, canonicalised on the way in, then compressed.
    coo = sp.coo_array(dense)
    perm = rng.permutation(coo.nnz)
    shuffled = sp.coo_array((coo.data[perm], (coo.row[perm].astype(index), coo.col[perm].astype(index))), shape=shape)
    want = shuffled.tocsr()
    got = host(sb.asarray(shuffled).asformat("CSR"))
    np.testing.assert_array_equal(got["pointers_to_1"], want.indptr)
    np.testing.assert_array_equal(got["indices_1"], want.indices)
    np.testing.assert_array_equal(got["values"], want.data)

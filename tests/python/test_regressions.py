"""The regression cases of binsparse-protocol.md §13 (peer bugs sparsebridge must not repeat) and the
lenient producer variants of §11. Oracles: dense NumPy matrices written out by hand or made with scipy."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from test_protocol import RawProducer

import sparsebridge as sb

sparse = pytest.importorskip("sparse")
torch = pytest.importorskip("torch")

RECT = np.array([[1.0, 0, 2], [0, 3, 0]])  # 2x3
SQUARE = np.array([[1.0, 0, 2], [0, 3, 0], [4, 0, 5]])


def wrapped(inner: dict[str, object]) -> dict[str, object]:
    return {"binsparse": inner}


class Producer:
    """A producer with an explicit descriptor dict and arrays (for lenient variants)."""

    def __init__(self, descriptor: dict[str, object], arrays: dict[str, object]) -> None:
        self.descriptor, self.arrays = descriptor, arrays

    def __binsparse_descriptor__(self) -> dict[str, object]:
        return self.descriptor

    def __binsparse__(self, *, descriptor: object = None) -> dict[str, object]:
        return self.arrays


# 1, 2: CSC mapped to CSR by scipy and sparse PRs.
@pytest.mark.parametrize("dense", [SQUARE, RECT], ids=["square", "2x3"])
def test_csc_round_trip_rectangular(dense: np.ndarray) -> None:
    m = sp.csc_array(dense)
    a = sb.asarray(m)
    assert a.format == "CSC" and a.shape == dense.shape
    d = a.__binsparse_descriptor__()["binsparse"]
    assert d["format"] == "CSC" and len(d["data_types"]) == 3
    np.testing.assert_array_equal(sb.to_scipy(a).toarray(), dense)
    np.testing.assert_array_equal(sb.to_sparse(a).todense(), dense)
    np.testing.assert_array_equal(sb.to_torch(a).to_dense().numpy(), dense)
    np.testing.assert_array_equal(sb.from_binsparse(a, descriptor=a.asformat("CSR").__binsparse_descriptor__()).todense(), dense)


# 3: COOC read as COOR by binsparse 0.1.4.
def test_cooc_rectangular_and_equivalences() -> None:
    # COOC: indices_0 holds columns, indices_1 rows, sorted by column then row.
    p = RawProducer("COOC", [2, 3], {"indices_0": np.array([0, 1, 2], np.int64), "indices_1": np.array([0, 1, 0], np.int64),
                                     "values": np.array([1.0, 3.0, 2.0])})
    a = sb.from_binsparse(p)
    a.validate()
    np.testing.assert_array_equal(a.todense(), RECT)
    np.testing.assert_array_equal(sb.to_scipy(a).toarray(), RECT)
    for fmt in ("COOR", "CSC", "CSR"):
        np.testing.assert_array_equal(a.asformat(fmt).todense(), RECT)
    np.testing.assert_array_equal(a.asformat("COOR").asformat("COOC").asformat("CSC").todense(), RECT)


# 4: fill lost by sparse PR.
def test_nonzero_fill_round_trip_and_refusal() -> None:
    x = sparse.COO.from_numpy(RECT) + 1.0
    assert x.fill_value == 1.0
    a = sb.asarray(x)
    d = a.__binsparse_descriptor__()["binsparse"]
    assert d["fill"] is True and "fill_value" in d["data_types"]
    np.testing.assert_array_equal(a.todense(), RECT + 1.0)
    back = sb.to_sparse(a)
    assert back.fill_value == 1.0
    np.testing.assert_array_equal(back.todense(), RECT + 1.0)
    with pytest.raises(sb.UnsupportedFormatError, match="fill"):
        sb.to_scipy(a)
    with pytest.raises(sb.UnsupportedFormatError, match="fill"):
        sb.to_torch(a)


# 5: non-canonical export by scipy PR.
def test_non_canonical_scipy_input() -> None:
    m = sp.csr_array((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 1]), np.array([0, 3, 3])), shape=(2, 3))
    assert not m.has_canonical_format
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(m, copy=False)
    a = sb.asarray(m)
    a.validate()
    np.testing.assert_array_equal(np.from_dlpack(a.__binsparse__()["indices_1"]), [0, 1, 2])
    np.testing.assert_array_equal(a.todense(), m.toarray())
    dup = sp.coo_array((np.array([1.0, 2.0, 3.0]), (np.array([0, 1, 0]), np.array([1, 0, 1]))), shape=(2, 2))
    a = sb.asarray(dup)
    assert a.nnz == 2
    np.testing.assert_array_equal(a.todense(), [[0, 4.0], [2.0, 0]])
    with pytest.raises(sb.CopyRequiredError):
        sb.asarray(dup, copy=False)


# 6: 1-D CSR mislabelled by scipy PR.
def test_one_d_exports_cvec_and_reads_the_csr_variant() -> None:
    v = sp.csr_array(np.array([0.0, 5.0, 0.0, 7.0]))
    assert v.ndim == 1
    a = sb.asarray(v)
    assert a.format == "CVEC" and a.shape == (4,)
    np.testing.assert_array_equal(a.todense(), [0, 5.0, 0, 7.0])
    p = Producer(
        wrapped({"version": "0.1", "format": "CSR", "shape": [4], "number_of_stored_values": 2,
                 "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}),
        {"pointers_to_1": np.array([0, 2]), "indices_1": np.array([1, 3]), "values": np.array([5.0, 7.0])},
    )
    with pytest.warns(sb.BinsparseWarning, match="CVEC"):
        b = sb.from_binsparse(p)
    assert b.format == "CVEC"
    np.testing.assert_array_equal(b.todense(), [0, 5.0, 0, 7.0])

    # The atheris target's finding: a 1-D CSR without indices_1 raised a bare KeyError from the
    # lenient reader. It is no 1-D CSR variant; the descriptor check names what is missing.
    q = Producer(
        wrapped({"version": "0.1", "format": "CSR", "shape": [4], "number_of_stored_values": 2,
                 "data_types": {"pointers_to_1": "int64", "values": "float64"}}),
        {"pointers_to_1": np.array([0, 2]), "values": np.array([5.0, 7.0])},
    )
    with pytest.raises(sb.BinsparseError) as e:
        sb.from_binsparse(q)
    assert not isinstance(e.value, KeyError)
    assert "rank" in str(e.value), str(e.value)

# 7: version strictness.
@pytest.mark.parametrize("version", ["0.1", "0.1.0"])
def test_reads_both_versions_writes_0_1(version: str) -> None:
    p = RawProducer("CSR", [2, 3], {"pointers_to_1": np.array([0, 2, 3]), "indices_1": np.array([0, 2, 1]),
                                    "values": np.array([1.0, 2.0, 3.0])}, version=version)
    a = sb.from_binsparse(p)
    assert a.__binsparse_descriptor__()["binsparse"]["version"] == "0.1"
    np.testing.assert_array_equal(a.todense(), RECT)


# 8: bint8, iso and iso[complex].
def test_bint8_iso_and_iso_complex() -> None:
    ptr, idx = np.array([0, 1, 3, 3, 5, 6], np.uint64), np.array([3, 1, 4, 1, 2, 3], np.uint64)
    iso = Producer(
        wrapped({"version": "0.1", "format": "CSR", "shape": [5, 5], "number_of_stored_values": 6,
                 "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "iso[int8]"}}),
        {"pointers_to_1": ptr, "indices_1": idx, "values": np.array([7], np.int8)},
    )
    a = sb.from_binsparse(iso)
    oracle = np.zeros((5, 5), np.int8)
    for r in range(5):
        oracle[r, idx[ptr[r]:ptr[r + 1]].astype(int)] = 7
    np.testing.assert_array_equal(a.todense(), oracle)
    np.testing.assert_array_equal(sb.to_scipy(a).toarray(), oracle)
    bint = Producer(
        wrapped({"version": "0.1", "format": "CSR", "shape": [5, 5], "number_of_stored_values": 6,
                 "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "bint8"}}),
        {"pointers_to_1": ptr, "indices_1": idx, "values": np.array([1, 1, 0, 1, 1, 1], np.uint8)},
    )
    b = sb.from_binsparse(bint)
    assert b.dtype == "bool"
    assert b.todense().dtype == np.bool_ and b.todense().sum() == 5
    icx = Producer(
        wrapped({"version": "0.1", "format": "CSR", "shape": [5, 5], "number_of_stored_values": 6,
                 "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "iso[complex[float32]]"}}),
        {"pointers_to_1": ptr, "indices_1": idx, "values": np.array([1.5, -2.0], np.float32)},  # interleaved
    )
    c = sb.from_binsparse(icx)
    assert c.dtype == "complex64"
    np.testing.assert_array_equal(c.todense(), (oracle != 0) * np.complex64(1.5 - 2j))
    # Export: complex values go out interleaved (2 * nnz floats), zero-copy.
    z = sb.asarray(sp.csr_array(np.array([[1 + 2j, 0], [0, 3 - 4j]])))
    vals = np.from_dlpack(z.__binsparse__()["values"])
    assert vals.dtype == np.float64
    np.testing.assert_array_equal(vals, [1, 2, 3, -4])
    assert z.__binsparse_descriptor__()["binsparse"]["data_types"]["values"] == "complex[float64]"


def test_bool_type_string_is_read_as_bint8() -> None:
    p = Producer(
        wrapped({"version": "0.1", "format": "COO", "shape": [2, 2], "number_of_stored_values": 2,
                 "data_types": {"indices_0": "int64", "indices_1": "int64", "values": "bool"}}),
        {"indices_0": np.array([0, 1]), "indices_1": np.array([1, 0]), "values": np.array([True, True])},
    )
    with pytest.warns(sb.BinsparseWarning, match="bool"):
        a = sb.from_binsparse(p)
    assert a.format == "COOR" and a.dtype == "bool"
    np.testing.assert_array_equal(a.todense(), [[False, True], [True, False]])


# 9: 1-D, 2-D and 3-D COO.
@pytest.mark.parametrize("shape", [(7,), (4, 5), (3, 4, 5)])
def test_nd_coo_round_trips(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(shape))
    dense = (rng.random(shape) < 0.3) * rng.integers(1, 9, size=shape).astype(np.float64)
    for obj in (sparse.COO.from_numpy(dense), sp.coo_array(dense), torch.from_numpy(dense).to_sparse()):
        a = sb.asarray(obj)
        assert a.shape == shape
        assert a.format == {1: "CVEC", 2: "COOR", 3: "custom"}[len(shape)]
        np.testing.assert_array_equal(a.todense(), dense)
        np.testing.assert_array_equal(sb.to_sparse(a).todense(), dense)
        np.testing.assert_array_equal(sb.to_scipy(a).toarray(), dense)
        np.testing.assert_array_equal(sb.to_torch(a).to_dense().numpy(), dense)
        np.testing.assert_array_equal(sb.from_binsparse(a).todense(), dense)


def test_nd_dense_round_trip() -> None:
    dense = np.arange(24.0).reshape(2, 3, 4)
    a = sb.asarray(dense)
    assert a.format == "custom" and a.shape == (2, 3, 4)
    np.testing.assert_array_equal(a.todense(), dense)


# 10: pointer/index dtype mixes, and swapped labels.
@pytest.mark.parametrize("ptr_dt, idx_dt", [("int32", "int64"), ("int64", "int32")])
def test_mixed_pointer_and_index_dtypes(ptr_dt: str, idx_dt: str) -> None:
    arrays = {"pointers_to_1": np.array([0, 2, 3], ptr_dt), "indices_1": np.array([0, 2, 1], idx_dt),
              "values": np.array([1.0, 2.0, 3.0])}
    a = sb.from_binsparse(RawProducer("CSR", [2, 3], arrays))
    d = a.__binsparse_descriptor__()["binsparse"]["data_types"]
    assert (d["pointers_to_1"], d["indices_1"]) == (ptr_dt, idx_dt)
    np.testing.assert_array_equal(a.todense(), RECT)
    np.testing.assert_array_equal(sb.to_scipy(a).toarray(), RECT)
    np.testing.assert_array_equal(a.asformat("CSC").todense(), RECT)
    # A producer that swaps the labels: the arrays' own dtypes are trusted, with a warning.
    p = RawProducer("CSR", [2, 3], arrays)
    types = p.desc["binsparse"]["data_types"]  # type: ignore[index]
    types["pointers_to_1"], types["indices_1"] = idx_dt, ptr_dt
    with pytest.warns(sb.BinsparseWarning, match="own dtype"):
        b = sb.from_binsparse(p)
    np.testing.assert_array_equal(b.todense(), RECT)
    assert (types["pointers_to_1"], types["indices_1"]) == (idx_dt, ptr_dt)  # not rewritten in place


# 11: stacked COO with a dummy uint8 pointer array (CuPy PR), nnz = 300.
def test_stacked_coo_variant() -> None:
    nnz = 300
    rows, cols = np.divmod(np.arange(nnz), 20)
    stacked = np.stack([rows, cols]).astype(np.int64)
    vals = np.arange(1.0, nnz + 1)
    desc = wrapped({"version": "0.1", "format": "COOR", "shape": [15, 20], "number_of_stored_values": nnz,
                    "data_types": {"pointers_to_1": "uint8", "indices_1": "int64", "values": "float64"}})
    overflowed = Producer(desc, {"pointers_to_1": np.array([0, nnz % 256], np.uint8), "indices_1": stacked, "values": vals})
    with pytest.raises(sb.StructureError, match="uint8"):
        sb.from_binsparse(overflowed)
    good = Producer(desc, {"pointers_to_1": np.array([0, nnz], np.uint64), "indices_1": stacked, "values": vals})
    before = copy.deepcopy(desc)
    with pytest.warns(sb.BinsparseWarning, match="stacked"):
        a = sb.from_binsparse(good)
    assert a.format == "COOR" and a.nnz == nnz
    # The rewrite works on a copy: the producer's descriptor is left as it was.
    assert desc == before
    # Each row is a zero-copy view of the stacked array.
    assert a.__binsparse__()["indices_1"].data_ptr == stacked.ctypes.data + nnz * 8
    np.testing.assert_array_equal(a.todense(), vals.reshape(15, 20))


# 12: BSR is not a binsparse 0.1 format.
def test_bsr_is_rejected() -> None:
    p = Producer(
        wrapped({"version": "0.1", "format": "BSR", "shape": [4, 4], "number_of_stored_values": 2,
                 "data_types": {"pointers_to_1": "int32", "indices_1": "int32", "values": "float64"}}),
        {"pointers_to_1": np.array([0, 1, 2], np.int32), "indices_1": np.array([0, 1], np.int32), "values": np.ones(8)},
    )
    with pytest.raises(sb.DescriptorError, match="BSR"):
        sb.from_binsparse(p)


# 13: custom block without format (C reference / Finch).
def test_custom_without_format() -> None:
    p = Producer(
        wrapped({"version": "0.1", "shape": [2, 3], "number_of_stored_values": 3,
                 "custom": {"level": {"level_desc": "dense", "rank": 1,
                                      "level": {"level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}},
                 "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}),
        {"pointers_to_1": np.array([0, 2, 3]), "indices_1": np.array([0, 2, 1]), "values": np.array([1.0, 2.0, 3.0])},
    )
    a = sb.from_binsparse(p)
    assert a.format == "CSR"
    np.testing.assert_array_equal(a.todense(), RECT)


# 14: structural validation with the failing index.
def test_full_validation_names_the_failure() -> None:
    p = RawProducer("CSR", [2, 3], {"pointers_to_1": np.array([0, 2, 3]), "indices_1": np.array([0, 7, 1]),
                                    "values": np.array([1.0, 2.0, 3.0])})
    with pytest.raises(sb.StructureError, match="indices_1` at position 1: index 7 out of bounds"):
        sb.from_binsparse(p)  # third-party data is fully validated on import


# 16: DMATC read by content.
def test_dmatc_by_content() -> None:
    p = Producer(
        wrapped({"version": "0.1", "format": "DMATC", "shape": [2, 3], "number_of_stored_values": 6,
                 "data_types": {"values": "float64"}}),
        {"values": RECT.T.reshape(-1).copy()},
    )
    np.testing.assert_array_equal(sb.from_binsparse(p).todense(), RECT)


# 19: DVEC with a 2-D shape.
def test_dvec_with_2d_shape_is_rejected() -> None:
    p = Producer(
        wrapped({"version": "0.1", "format": "DVEC", "shape": [3, 1], "number_of_stored_values": 3,
                 "data_types": {"values": "float64"}}),
        {"values": np.ones(3)},
    )
    with pytest.raises(sb.DescriptorError):
        sb.from_binsparse(p)


def test_symmetric_structure_todense() -> None:
    # The spec's symmetric_lower example (binsparse-protocol.md §7).
    p = Producer(
        wrapped({"version": "0.1", "format": "CSR", "shape": [5, 5], "number_of_stored_values": 9,
                 "structure": "symmetric_lower",
                 "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "int8"}}),
        {"pointers_to_1": np.array([0, 1, 3, 5, 7, 9], np.uint64),
         "indices_1": np.array([0, 0, 1, 0, 2, 1, 3, 2, 4], np.uint64),
         "values": np.array([1, 2, 9, 7, 2, 2, 3, 3, 7], np.int8)},
    )
    a = sb.from_binsparse(p)
    lower = np.zeros((5, 5), np.int8)
    ptr = [0, 1, 3, 5, 7, 9]
    idx = [0, 0, 1, 0, 2, 1, 3, 2, 4]
    val = [1, 2, 9, 7, 2, 2, 3, 3, 7]
    for r in range(5):
        for k in range(ptr[r], ptr[r + 1]):
            lower[r, idx[k]] = val[k]
    full = lower + np.tril(lower, -1).T
    np.testing.assert_array_equal(a.todense(), full)
    with pytest.raises(sb.UnsupportedFormatError, match="structure"):
        sb.to_scipy(a)


# 18: CUDA constituents.
def test_cuda_constituents() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: CUDA constituents are tested only on a GPU (see docs/python.md)")
    t = torch.eye(4, device="cuda").to_sparse_csr()  # pragma: no cover - needs a GPU
    a = sb.asarray(t)  # pragma: no cover
    assert a.device == "cuda:0"  # pragma: no cover
    np.testing.assert_array_equal(sb.to_torch(a).to_dense().cpu().numpy(), np.eye(4))  # pragma: no cover


def test_a_huge_declared_dimension_is_a_memory_error() -> None:
    # Shapes come from the producer. A conversion that needs one pointer per row of 2**62 rows
    # raises Python's MemoryError (the allocator refuses), never an abort of the interpreter.
    big = 2**62
    arrays = {"indices_0": np.array([3, 3, big - 1], np.int64), "indices_1": np.array([0, 2, 1], np.int64),
              "values": np.array([1.0, 2.0, 3.0])}
    a = sb.from_binsparse(RawProducer("COOR", [big, 4], arrays))
    assert a.shape == (big, 4)
    with pytest.raises(MemoryError, match="out of memory allocating"):
        a.asformat("CSR")
    # The entries are untouched by the failed attempt.
    np.testing.assert_array_equal(np.from_dlpack(a.__binsparse__()["indices_0"]), arrays["indices_0"])


def test_a_hypersparse_scipy_coo_canonicalizes_in_o_nnz() -> None:
    # 2**40 rows and 5 entries: the canonicalizing sort must not count per row (8 TiB of
    # counters); scipy's own sum_duplicates is the oracle.
    rows = np.array([2**40 - 1, 7, 2**40 - 1, 7, 0], np.int64)
    cols = np.array([2, 1, 2, 0, 1], np.int64)
    m = sp.coo_array((np.array([1.5, 2.0, 0.25, -1.0, 4.0]), (rows, cols)), shape=(2**40, 3))
    a = sb.asarray(m)
    ref = m.copy()
    ref.sum_duplicates()
    parts = {k: np.from_dlpack(v) for k, v in a.__binsparse__().items()}
    order = np.lexsort((ref.coords[1], ref.coords[0]))
    np.testing.assert_array_equal(parts["indices_0"], ref.coords[0][order])
    np.testing.assert_array_equal(parts["indices_1"], ref.coords[1][order])
    np.testing.assert_array_equal(parts["values"], ref.data[order])

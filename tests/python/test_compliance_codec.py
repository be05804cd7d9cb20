"""The kit's decoder, encoder, descriptor parser and canonicality checker, against spec examples and scipy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sparsebridge.compliance import (
    DescriptorError,
    UnsupportedFormatError,
    canonical_problems,
    decode,
    encode,
    parse_descriptor,
)
from sparsebridge.compliance.formats import Level


def wrapped(fmt, shape, nnz, data_types, **extra):
    return {"binsparse": {"version": "0.1", "format": fmt, "shape": shape, "number_of_stored_values": nnz,
                          **extra, "data_types": data_types}}


def test_spec_iso_csr_example():  # binsparse-protocol §6
    d = wrapped("CSR", [5, 5], 6, {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "iso[int8]"})
    a = {"pointers_to_1": np.array([0, 1, 3, 3, 5, 6], np.uint64),
         "indices_1": np.array([3, 1, 4, 1, 2, 3], np.uint64), "values": np.array([7], np.int8)}
    out = decode(d, a, strict=True)
    exp = np.zeros((5, 5), np.int8)
    exp[[0, 1, 1, 3, 3, 4], [3, 1, 4, 1, 2, 3]] = 7
    assert out.dtype == np.int8 and np.array_equal(out, exp)


def test_spec_symmetric_lower_example():  # binsparse-protocol §7
    d = wrapped("CSR", [5, 5], 9, {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "int8"},
                structure="symmetric_lower")
    a = {"pointers_to_1": np.array([0, 1, 3, 5, 7, 9], np.uint64),
         "indices_1": np.array([0, 0, 1, 0, 2, 1, 3, 2, 4], np.uint64),
         "values": np.array([1, 2, 9, 7, 2, 2, 3, 3, 7], np.int8)}
    lower = sp.csr_array((a["values"], a["indices_1"].astype(np.int64), a["pointers_to_1"].astype(np.int64)),
                         shape=(5, 5)).toarray()
    exp = lower + lower.T - np.diag(np.diag(lower))
    assert np.array_equal(decode(d, a, strict=True), exp)


RNG = np.random.default_rng(8)
SHAPES = [(2, 3), (3, 2), (4, 4), (0, 3), (3, 0), (1, 1)]


def rand(shape):
    return (RNG.random(shape) < 0.5) * RNG.integers(1, 9, shape).astype(np.float64)


@pytest.mark.parametrize("shape", SHAPES)
def test_decode_scipy_built_arrays(shape):
    """Arrays built by scipy (an independent encoder) decode to scipy's dense matrix."""
    A = rand(shape)
    csr, csc = sp.csr_array(A), sp.csc_array(A)
    coo_r = csr.tocoo()
    coo_c = csc.tocoo()
    cases = [
        ("CSR", {"pointers_to_1": csr.indptr, "indices_1": csr.indices, "values": csr.data}),
        ("CSC", {"pointers_to_1": csc.indptr, "indices_1": csc.indices, "values": csc.data}),
        ("COOR", {"indices_0": coo_r.row, "indices_1": coo_r.col, "values": coo_r.data}),
        ("COOC", {"indices_0": coo_c.col, "indices_1": coo_c.row, "values": coo_c.data}),
        ("DMATR", {"values": A.reshape(-1)}),
        ("DMATC", {"values": A.T.reshape(-1)}),
    ]
    for fmt, arrays in cases:
        types = {k: arrays[k].dtype.name if k != "values" else "float64" for k in arrays}
        nnz = arrays["values"].shape[0]
        out = decode(wrapped(fmt, list(shape), nnz, types), arrays, strict=True)
        assert np.array_equal(out, A), fmt


@pytest.mark.parametrize("shape", SHAPES)
def test_encoder_matches_scipy(shape):
    A = rand(shape)
    for fmt, m in (("CSR", sp.csr_array(A)), ("CSC", sp.csc_array(A))):
        _, arr = encode(A, fmt)
        assert np.array_equal(arr["pointers_to_1"], m.indptr) and np.array_equal(arr["indices_1"], m.indices)
        assert np.array_equal(arr["values"], m.data)
    _, coo = encode(A, "COOC")
    c = sp.csc_array(A).tocoo()
    assert np.array_equal(coo["indices_0"], c.col) and np.array_equal(coo["indices_1"], c.row)
    for fmt in ("DCSR", "DCSC", "DMATR", "DMATC", "COOR", "CSR", "CSC", "COOC"):
        d, arr = encode(A, fmt, index_dtype="uint16")
        assert np.array_equal(decode(d, arr, strict=True), A)
        assert canonical_problems(d, arr) == []


def test_dcsr_stores_only_nonempty_rows():
    A = np.array([[0.0, 0.0], [0.0, 3.0], [0.0, 0.0], [4.0, 5.0]])
    _, arr = encode(A, "DCSR")
    assert arr["indices_0"].tolist() == [1, 3]
    assert arr["pointers_to_1"].tolist() == [0, 1, 3]
    assert arr["indices_1"].tolist() == [1, 0, 1]


def test_custom_3d_formats_against_hand_layout():
    T = np.zeros((2, 3, 4))
    T[0, 1, 2], T[1, 0, 0], T[1, 2, 3] = 1.5, 2.5, 3.5
    # CSF dense(1)->sparse(1)->sparse(1), written by hand from binsparse spec §5
    d = {"binsparse": {"version": "0.1", "format": "custom", "shape": [2, 3, 4], "number_of_stored_values": 3,
                       "custom": {"level": {"level_desc": "dense", "rank": 1, "level": {
                           "level_desc": "sparse", "rank": 1, "level": {
                               "level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}}},
                       "data_types": {"pointers_to_1": "int32", "indices_1": "int32", "pointers_to_2": "int32",
                                      "indices_2": "int32", "values": "float64"}}}
    a = {"pointers_to_1": np.array([0, 1, 3], np.int32), "indices_1": np.array([1, 0, 2], np.int32),
         "pointers_to_2": np.array([0, 1, 2, 3], np.int32), "indices_2": np.array([2, 0, 3], np.int32),
         "values": np.array([1.5, 2.5, 3.5])}
    assert np.array_equal(decode(d, a, strict=True), T)
    # transpose [2, 0, 1]: stored B[k, i, j] = A[i, j, k]
    d2, a2 = encode(T, ((Level("dense", 1), Level("sparse", 2)), (2, 0, 1)))
    assert d2["binsparse"]["custom"]["transpose"] == [2, 0, 1]
    assert a2["indices_1"].tolist() == [1, 0, 1]  # stored (k, i, j) sorted: k=0:(1,0) k=2:(0,1) k=3:(1,2)
    assert np.array_equal(decode(d2, a2, strict=True), T)


def test_complex_interleaved_and_native_and_bint8():
    vals = np.array([1 + 2j, -3j], np.complex64)
    base = wrapped("CVEC", [3], 2, {"indices_0": "int64", "values": "complex[float32]"})
    idx = np.array([0, 2])
    inter = decode(base, {"indices_0": idx, "values": vals.view(np.float32)}, strict=True)
    native = decode(base, {"indices_0": idx, "values": vals}, strict=True)
    assert inter.dtype == np.complex64 and np.array_equal(inter, [1 + 2j, 0, -3j]) and np.array_equal(native, inter)
    b = wrapped("DVEC", [3], 3, {"values": "bint8"})
    assert decode(b, {"values": np.array([1, 0, 1], np.uint8)}, strict=True).tolist() == [True, False, True]
    iso = wrapped("CVEC", [3], 2, {"indices_0": "int64", "values": "iso[complex[float64]]"})
    out = decode(iso, {"indices_0": idx, "values": np.array([1.0, -1.0])}, strict=True)
    assert out.tolist() == [1 - 1j, 0, 1 - 1j]


def test_fill_and_skew_and_hermitian():
    d = wrapped("CVEC", [4], 2, {"indices_0": "int64", "values": "float64", "fill_value": "float64"}, fill=True)
    out = decode(d, {"indices_0": np.array([1, 3]), "values": np.array([0.0, 5.0]), "fill_value": np.array([2.0])})
    assert out.tolist() == [2.0, 0.0, 2.0, 5.0]  # a stored zero is never overridden by the fill
    h = wrapped("COOR", [2, 2], 2, {"indices_0": "int8", "indices_1": "int8", "values": "complex[float64]"},
                structure="hermitian_lower")
    out = decode(h, {"indices_0": np.array([0, 1], np.int8), "indices_1": np.array([0, 0], np.int8),
                     "values": np.array([1.0, 0.0, 2.0, 3.0])}, strict=True)
    assert out.tolist() == [[1, 2 - 3j], [2 + 3j, 0]]
    s = wrapped("COOR", [2, 2], 1, {"indices_0": "int8", "indices_1": "int8", "values": "int16"},
                structure="skew_symmetric_upper")
    out = decode(s, {"indices_0": np.array([0], np.int8), "indices_1": np.array([1], np.int8),
                     "values": np.array([4], np.int16)}, strict=True)
    assert out.tolist() == [[0, 4], [-4, 0]]


def test_canonical_problems_name_the_violation():
    d = wrapped("CSR", [2, 3], 3, {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"})
    v = np.ones(3)
    assert "unsorted" in canonical_problems(d, {"pointers_to_1": np.array([0, 2, 3]),
                                                "indices_1": np.array([2, 0, 1]), "values": v})[0]
    assert "duplicate" in canonical_problems(d, {"pointers_to_1": np.array([0, 2, 3]),
                                                 "indices_1": np.array([1, 1, 0]), "values": v})[0]
    assert "outside" in canonical_problems(d, {"pointers_to_1": np.array([0, 2, 3]),
                                               "indices_1": np.array([0, 3, 0]), "values": v})[0]
    assert "decreases" in canonical_problems(d, {"pointers_to_1": np.array([0, 3, 2]),
                                                 "indices_1": np.array([0, 1, 2]), "values": v})[0]
    dc = wrapped("DCSR", [3, 3], 1, {"indices_0": "int64", "pointers_to_1": "int64", "indices_1": "int64",
                                     "values": "float64"})
    assert "repeated" in canonical_problems(dc, {"indices_0": np.array([0, 2]), "pointers_to_1": np.array([0, 1, 1]),
                                                 "indices_1": np.array([0]), "values": np.ones(1)})[0]
    with pytest.raises(ValueError, match="unsorted"):
        decode(d, {"pointers_to_1": np.array([0, 2, 3]), "indices_1": np.array([2, 0, 1]), "values": v},
               strict=True)


def test_parser_strict_and_lenient_variants():
    inner = {"version": "0.1.0", "format": "COO", "shape": [2, 2],
             "data_types": {"indices_0": "int64", "indices_1": "int64", "values": "bool"}}
    p = parse_descriptor(inner)
    assert p.format == "COOR" and p.nnz is None and p.value_type.base == "bint8"
    assert {c for c, _ in p.notes} == {"descriptor.wrapper", "descriptor.version", "descriptor.format",
                                       "descriptor.type_strings", "descriptor.nnz"}
    with pytest.raises(DescriptorError):
        parse_descriptor(inner, strict=True)
    with pytest.raises(DescriptorError, match="rank"):  # binsparse-reference-c dvec_shape_test (§13 row 19)
        parse_descriptor(wrapped("DVEC", [3, 1], 3, {"values": "float64"}))
    with pytest.raises(UnsupportedFormatError):  # §13 row 12
        parse_descriptor(wrapped("BSR", [2, 2], 1, {"values": "float64"}))
    with pytest.raises(DescriptorError, match="version"):
        parse_descriptor({"binsparse": {**wrapped("DVEC", [3], 3, {"values": "float64"})["binsparse"],
                                        "version": "0.2"}})


def test_parse_accepts_valid_version_strict():
    assert parse_descriptor(wrapped("DVEC", [3], 3, {"values": "float64"}), strict=True).format == "DVEC"

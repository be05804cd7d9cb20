"""Every format the conversion engine produces, requested from scipy-built arrays through
``__binsparse__(descriptor=...)`` and ``asformat``, compared with scipy's ``toarray()``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sb_helpers import reference

import sparsebridge as sb

# binsparse §4: the arrays of each predefined format, in descriptor order.
ARRAYS = {
    "DVEC": ["values"],
    "DMATR": ["values"],
    "DMATC": ["values"],
    "CVEC": ["indices_0", "values"],
    "CSR": ["pointers_to_1", "indices_1", "values"],
    "CSC": ["pointers_to_1", "indices_1", "values"],
    "DCSR": ["indices_0", "pointers_to_1", "indices_1", "values"],
    "DCSC": ["indices_0", "pointers_to_1", "indices_1", "values"],
    "COOR": ["indices_0", "indices_1", "values"],
    "COOC": ["indices_0", "indices_1", "values"],
}
DENSE = ("DVEC", "DMATR", "DMATC")


class Producer:
    """A minimal protocol producer around a descriptor and its arrays (what a consumer sees)."""

    def __init__(self, descriptor: dict[str, Any], arrays: dict[str, Any]) -> None:
        self.descriptor = descriptor
        self.arrays = arrays

    def __binsparse_descriptor__(self) -> dict[str, Any]:
        return self.descriptor

    def __binsparse__(self, *, descriptor: object = None) -> dict[str, Any]:
        assert descriptor is None
        return self.arrays


def request(fmt: str, shape: tuple[int, ...], nnz: int, values: str, index: str = "int32") -> dict[str, Any]:
    dense = fmt in DENSE
    types = {n: (values if n == "values" else index) for n in ARRAYS[fmt]}
    return {"binsparse": {
        "version": "0.1", "format": fmt, "shape": list(shape),
        "number_of_stored_values": int(np.prod(shape)) if dense else nnz, "data_types": types,
    }}


def via_protocol(a: sb.SparseArray, want: dict[str, Any]) -> np.ndarray:
    """Asks ``a`` for ``want`` and decodes what comes back as an independent consumer would."""
    arrays = a.__binsparse__(descriptor=want)
    assert sorted(arrays) == sorted(want["binsparse"]["data_types"])
    for name, t in want["binsparse"]["data_types"].items():
        if name != "values":
            assert np.from_dlpack(arrays[name]).dtype == np.dtype(t), name
    return sb.from_binsparse(Producer(want, arrays)).todense()


MATRICES = {
    "random": reference((9, 7), "float64", seed=5, density=0.3),
    "empty": np.zeros((4, 3)),
    "one_row": np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),
    "one_col": np.array([[0.0, 4.0], [0.0, 5.0], [0.0, 0.0]]),
    "zero_rows": np.zeros((0, 5)),
    "zero_cols": np.zeros((3, 0)),
    "one_by_one": np.array([[7.0]]),
}


@pytest.mark.parametrize("name", sorted(MATRICES))
@pytest.mark.parametrize("source", ["csr", "csc", "coo"])
@pytest.mark.parametrize("fmt", ["CSR", "CSC", "COOR", "COOC", "DCSR", "DCSC", "DMATR", "DMATC"])
def test_two_d_requests_match_scipy(name: str, source: str, fmt: str) -> None:
    m = getattr(sp, f"{source}_array")(MATRICES[name])
    expected = m.toarray()
    a = sb.asarray(m)
    want = request(fmt, m.shape, int(m.nnz), "float64", index="int64" if fmt.startswith("D") else "int32")
    np.testing.assert_array_equal(via_protocol(a, want), expected)
    b = a.asformat(fmt)
    assert b.format == fmt
    np.testing.assert_array_equal(b.todense(), expected)
    # And back from the new format to CSR.
    np.testing.assert_array_equal(b.asformat("CSR").todense(), expected)


@pytest.mark.parametrize("dtype", ["float32", "int16", "complex128", "bool"])
@pytest.mark.parametrize("fmt", ["DCSC", "DMATC", "DMATR", "DCSR"])
def test_value_dtypes(dtype: str, fmt: str) -> None:
    dense = reference((6, 5), dtype, seed=11, density=0.4)
    m = sp.csr_array(dense)
    a = sb.asarray(m)
    values = {"bool": "bint8", "complex128": "complex[float64]"}.get(dtype, dtype)
    want = request(fmt, m.shape, int(m.nnz), values, index="uint8")
    np.testing.assert_array_equal(via_protocol(a, want), m.toarray())
    np.testing.assert_array_equal(a.asformat(fmt, index_dtype="uint16").todense(), m.toarray())


def test_vectors() -> None:
    v = np.array([0.0, 3.0, 0.0, 0.0, -1.5, 0.0])
    a = sb.asarray(sp.coo_array(v))
    assert a.format == "CVEC"
    dv = a.asformat("DVEC")
    assert dv.format == "DVEC"
    np.testing.assert_array_equal(dv.todense(), v)
    np.testing.assert_array_equal(via_protocol(a, request("DVEC", v.shape, 2, "float64")), v)
    back = sb.asarray(v).asformat("CVEC", index_dtype="int8")
    assert back.format == "CVEC" and back.nnz == 2 and back.index_dtype == "int8"
    np.testing.assert_array_equal(back.todense(), v)
    np.testing.assert_array_equal(via_protocol(sb.asarray(v), request("CVEC", v.shape, 2, "float64")), v)


def test_three_d_coo_and_dense_as_custom_formats() -> None:
    x = np.zeros((2, 3, 4))
    x[0, 1, 2], x[1, 2, 3], x[1, 0, 0] = 1.0, 2.0, 3.0
    coo = {"binsparse": {
        "version": "0.1", "format": "custom", "shape": [2, 3, 4], "number_of_stored_values": 3,
        "data_types": {"indices_0": "int64", "indices_1": "int64", "indices_2": "int64", "values": "float64"},
        "custom": {"level": {"level_desc": "sparse", "rank": 3, "level": {"level_desc": "element"}}},
    }}
    d = sb.asarray(x)  # a custom format of dense levels
    np.testing.assert_array_equal(via_protocol(d, coo), x)
    c = sb.from_binsparse(d, descriptor=coo)
    assert c.nnz == 3 and c.ndim == 3
    dense = {"binsparse": {
        "version": "0.1", "format": "custom", "shape": [2, 3, 4], "number_of_stored_values": 24,
        "data_types": {"values": "float64"},
        "custom": {"level": {"level_desc": "dense", "rank": 3, "level": {"level_desc": "element"}}},
    }}
    np.testing.assert_array_equal(via_protocol(c, dense), x)


def test_index_that_does_not_fit_is_unsupported() -> None:
    m = sp.csr_array(([1.0], ([0], [300])), shape=(1, 301))
    with pytest.raises(sb.UnsupportedFormatError, match="uint8"):
        sb.asarray(m).asformat("DCSC", index_dtype="uint8")

"""sparsebridge.read / sparsebridge.write: binsparse HDF5, NPY directories and Matrix Market.

Oracles: scipy's own Matrix Market reader and writer (scipy.io.mmread / mmwrite), h5py reading
the HDF5 layout directly, numpy.load of the NPY arrays, and dense NumPy matrices built here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import sparsebridge as sb
from sb_helpers import reference

h5py = pytest.importorskip("h5py")

FILE_DTYPES = ["bool", "int8", "int32", "int64", "uint16", "float32", "float64", "complex64", "complex128"]
FORMATS = ["csr", "csc", "coo"]
SUFFIXES = {"hdf5": "a.bsp.h5", "npy-dir": "a.bsp", "mtx": "a.mtx"}


def scipy_of(fmt: str, dense: np.ndarray, index: str = "int64") -> sp.sparray:
    m = {"csr": sp.csr_array, "csc": sp.csc_array, "coo": sp.coo_array}[fmt](dense)
    if fmt == "coo":
        m.coords = tuple(c.astype(index) for c in m.coords)
    else:
        m.indices = m.indices.astype(index)
        m.indptr = m.indptr.astype(index)
    return m


@pytest.mark.parametrize("container", ["hdf5", "npy-dir"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", FILE_DTYPES)
def test_binsparse_round_trip(tmp_path: Path, container: str, fmt: str, dtype: str) -> None:
    dense = reference((7, 5), dtype, seed=3)
    m = scipy_of(fmt, dense, "int32")
    path = tmp_path / SUFFIXES[container]
    sb.write(path, m)
    back = sb.read(path)
    assert back.format == {"csr": "CSR", "csc": "CSC", "coo": "COOR"}[fmt]
    assert back.dtype == dtype
    assert back.index_dtype == "int32"
    assert back.shape == (7, 5)
    np.testing.assert_array_equal(back.todense(), dense)
    # No temporary left beside the output.
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_hdf5_layout_read_by_h5py(tmp_path: Path) -> None:
    dense = reference((6, 9), "float64", seed=1)
    m = scipy_of("csr", dense, "int64")
    path = tmp_path / "m.bsp.h5"
    sb.write(path, m)
    with h5py.File(path, "r") as f:
        desc = json.loads(f.attrs["binsparse"])
        assert desc["binsparse"]["format"] == "CSR"
        assert desc["binsparse"]["shape"] == [6, 9]
        np.testing.assert_array_equal(f["pointers_to_1"][...], m.indptr)
        np.testing.assert_array_equal(f["indices_1"][...], m.indices)
        np.testing.assert_array_equal(f["values"][...], m.data)


def test_hdf5_written_by_h5py_is_read(tmp_path: Path) -> None:
    """A file made by another writer (h5py, the layout the binsparse references use)."""
    m = sp.random_array((30, 20), density=0.2, format="coo", dtype=np.float32, rng=5)
    m.sum_duplicates()
    path = tmp_path / "ext.h5"
    desc = {
        "binsparse": {
            "version": "0.1",
            "format": "COOR",
            "shape": [30, 20],
            "number_of_stored_values": int(m.nnz),
            "data_types": {"indices_0": "uint32", "indices_1": "uint32", "values": "float32"},
        }
    }
    with h5py.File(path, "w") as f:
        f.attrs["binsparse"] = json.dumps(desc)
        f["indices_0"] = m.coords[0].astype(np.uint32)
        f["indices_1"] = m.coords[1].astype(np.uint32)
        f["values"] = m.data
    a = sb.read(path)
    assert a.format == "COOR" and a.index_dtype == "uint32"
    np.testing.assert_array_equal(a.todense(), m.toarray())


def test_npy_directory_arrays(tmp_path: Path) -> None:
    dense = reference((4, 8), "int16", seed=2)
    m = scipy_of("csc", dense, "int32")
    path = tmp_path / "d.bsp"
    sb.write(path, m)
    assert json.loads((path / "binsparse.json").read_text())["binsparse"]["format"] == "CSC"
    np.testing.assert_array_equal(np.load(path / "pointers_to_1.npy"), m.indptr)
    np.testing.assert_array_equal(np.load(path / "values.npy"), m.data)


@pytest.mark.parametrize("dtype", ["int64", "float64", "complex128"])
def test_matrix_market_against_scipy(tmp_path: Path, dtype: str) -> None:
    dense = reference((9, 6), dtype, seed=4)
    m = sp.coo_array(dense)
    # scipy writes, sparsebridge reads.
    theirs = tmp_path / "scipy.mtx"
    scipy.io.mmwrite(theirs, m)
    a = sb.read(theirs)
    assert a.format == "COOR"
    np.testing.assert_array_equal(a.todense(), dense)
    # sparsebridge writes (from CSR: converted), scipy reads.
    ours = tmp_path / "ours.mtx"
    sb.write(ours, sp.csr_array(dense))
    np.testing.assert_array_equal(scipy.io.mmread(ours).toarray(), dense)


def test_matrix_market_symmetric_keeps_structure(tmp_path: Path) -> None:
    path = tmp_path / "sym.mtx"
    path.write_text(
        "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 2.0\n3 1 -1.5\n3 3 4.0\n"
    )
    a = sb.read(path)
    assert a.__binsparse_descriptor__()["binsparse"].get("structure") == "symmetric_lower"
    sb.write(tmp_path / "sym2.mtx", a)
    expected = np.array([[2.0, 0, -1.5], [0, 0, 0], [-1.5, 0, 4.0]])
    np.testing.assert_array_equal(scipy.io.mmread(tmp_path / "sym2.mtx").toarray(), expected)


def test_explicit_format_and_pathlike(tmp_path: Path) -> None:
    dense = reference((3, 3), "float64", seed=6)
    path = tmp_path / "noext"
    sb.write(str(path), sp.csr_array(dense), format="hdf5")
    assert h5py.is_hdf5(path)
    np.testing.assert_array_equal(sb.read(path, format="hdf5").todense(), dense)
    with pytest.raises(sb.UnsupportedFormatError, match="unknown file format"):
        sb.read(path)
    with pytest.raises(ValueError, match="file format"):
        sb.read(path, format="parquet")


def test_overwrite_is_atomic_and_failure_leaves_old_file(tmp_path: Path) -> None:
    path = tmp_path / "x.mtx"
    sb.write(path, sp.csr_array(np.eye(3)))
    before = path.read_bytes()
    # A non-zero fill value cannot be written to Matrix Market: refused, old file untouched.
    import sparse

    filled = sparse.COO.from_numpy(np.eye(3)) + 1.0
    with pytest.raises(sb.UnsupportedFormatError, match="fill"):
        sb.write(path, filled)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mtx"]
    sb.write(path, sp.csr_array(2 * np.eye(3)))
    np.testing.assert_array_equal(sb.read(path).todense(), 2 * np.eye(3))


# -- malformed files: typed errors naming the file --------------------------------------------


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        sb.read(tmp_path / "nope.bsp.h5")
    with pytest.raises(FileNotFoundError):
        sb.write(tmp_path / "no" / "dir" / "a.mtx", sp.csr_array(np.eye(2)))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 x 1.0\n", 3),
        ("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.0\n", 4),
        ("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1.0\n", 3),
        ("%%MatrixMarket tensor coordinate real general\n2 2 1\n1 1 1.0\n", 1),
    ],
)
def test_malformed_matrix_market(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "bad.mtx"
    path.write_text(text)
    with pytest.raises(sb.FileFormatError, match=f"bad.mtx:{line}:"):
        sb.read(path)


def test_not_an_hdf5_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.h5"
    path.write_bytes(b"this is not HDF5" * 10)
    with pytest.raises(sb.FileFormatError, match="junk.h5"):
        sb.read(path)


def test_hdf5_without_descriptor_or_array(tmp_path: Path) -> None:
    path = tmp_path / "nodesc.h5"
    with h5py.File(path, "w") as f:
        f["values"] = np.arange(3.0)
    with pytest.raises(sb.FileFormatError, match="binsparse"):
        sb.read(path)
    path = tmp_path / "noarray.h5"
    desc = {"binsparse": {"version": "0.1", "format": "CSR", "shape": [2, 2],
                          "number_of_stored_values": 1,
                          "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}}
    with h5py.File(path, "w") as f:
        f.attrs["binsparse"] = json.dumps(desc)
        f["pointers_to_1"] = np.array([0, 1, 1])
        f["values"] = np.array([1.0])
    with pytest.raises(sb.FileFormatError, match="indices_1"):
        sb.read(path)


def test_hdf5_bad_descriptor_and_bad_indices(tmp_path: Path) -> None:
    path = tmp_path / "baddesc.h5"
    with h5py.File(path, "w") as f:
        f.attrs["binsparse"] = json.dumps({"binsparse": {"version": "0.1", "format": "NOPE"}})
    with pytest.raises(sb.DescriptorError, match="baddesc.h5"):
        sb.read(path)
    path = tmp_path / "badidx.h5"
    desc = {"binsparse": {"version": "0.1", "format": "CSR", "shape": [2, 2],
                          "number_of_stored_values": 2,
                          "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}}
    with h5py.File(path, "w") as f:
        f.attrs["binsparse"] = json.dumps(desc)
        f["pointers_to_1"] = np.array([0, 2, 2])
        f["indices_1"] = np.array([1, 7])  # column 7 of a 2-column matrix
        f["values"] = np.array([1.0, 2.0])
    with pytest.raises(sb.StructureError, match="badidx.h5"):
        sb.read(path)


def test_npy_directory_malformed(tmp_path: Path) -> None:
    good = tmp_path / "g.bsp"
    sb.write(good, sp.csr_array(np.eye(3)))
    (good / "values.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(sb.FileFormatError, match="values"):
        sb.read(good)
    (good / "binsparse.json").write_text("{not json")
    with pytest.raises((sb.FileFormatError, sb.DescriptorError)):
        sb.read(good)


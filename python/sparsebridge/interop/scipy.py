"""SciPy adapter: ``scipy.sparse`` arrays and matrices <-> binsparse.

=================  ==============================================================================
scipy              binsparse
=================  ==============================================================================
csr (2-D)          CSR, zero-copy (``indptr``, ``indices``, ``data``)
csr (1-D)          CVEC, zero-copy (``indices``, ``data``)
csc                CSC, zero-copy
coo (1-D, 2-D, n)  CVEC / COOR / root ``sparse(n)`` custom format, zero-copy (one array per axis)
dok, lil, bsr, dia ``tocsr()`` first: a documented copy (refused with ``copy=False``)
=================  ==============================================================================

Non-canonical input (unsorted indices, duplicates) is exported as it is and canonicalised on a
copy by the Rust engine (parallel sort; duplicates summed like scipy's ``sum_duplicates()``, or
refused with ``duplicates="reject"``); ``copy=False`` raises ``CopyRequiredError`` instead. scipy index arrays are
int32 or int64 (other index dtypes are cast on the way back), and scipy has no fill value, no
``structure``, no float16 in binsparse, and no DCSR/DCSC (converted to CSR on the way back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import CopyRequiredError, UnsupportedFormatError
from ._common import (
    as_index,
    coo_is_canonical,
    binsparse_type,
    check_structure_general,
    descriptor,
    host_arrays,
    require_zero_fill,
    sparse_root,
    values_of,
)

if TYPE_CHECKING:
    from .._core import SparseArray

SOURCE = "scipy.sparse"
# Whether the adapter depends on the object's type only: `asarray` may then cache it per type.
BY_TYPE = True
# Value dtypes the fast path (`parts`) hands over as they are: each has a binsparse type.
_FAST_TYPES = frozenset(
    ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float32", "float64", "complex64", "complex128")
)


def handles(obj: object) -> bool:
    """Whether ``obj`` is a scipy sparse array or matrix."""
    import scipy.sparse as sp

    return bool(sp.issparse(obj))


def parts(m: Any) -> Optional[tuple[str, tuple[int, ...], int, list[tuple[str, Any]]]]:
    """The hand-off fast path: the predefined format, shape, nnz and named constituents of a 2-D
    csr, csc or coo that scipy says is canonical, read straight from its attributes (no
    descriptor dict, no JSON). ``None`` for anything else, which takes :func:`export`.

    ``has_canonical_format`` only chooses this path: index bounds and order are still checked
    once, in Rust, before the first conversion reads them."""
    fmt = m.format
    if fmt not in ("csr", "csc", "coo") or m.ndim != 2:
        return None
    data = m.data
    if data.dtype.name not in _FAST_TYPES or not data.dtype.isnative or not m.has_canonical_format:
        return None
    if fmt == "coo":
        row, col = m.coords
        if not (row.dtype.isnative and col.dtype.isnative):
            return None
        return "COOR", m.shape, int(m.nnz), [("indices_0", row), ("indices_1", col), ("values", data)]
    indptr, indices = m.indptr, m.indices
    if not (indptr.dtype.isnative and indices.dtype.isnative):
        return None
    nnz = int(indptr[-1])
    if len(indices) != nnz:
        indices, data = indices[:nnz], data[:nnz]
    return fmt.upper(), m.shape, nnz, [("pointers_to_1", indptr), ("indices_1", indices), ("values", data)]


def export(m: Any, *, copy: Optional[bool]) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The descriptor and constituent arrays of a scipy sparse object, and whether they are
    known to be canonical (``False``: the caller canonicalises them in Rust)."""
    fmt = m.format
    if fmt not in ("csr", "csc", "coo"):
        if copy is False:
            raise CopyRequiredError(
                f"scipy {fmt} has no binsparse layout: converting it to CSR needs a copy"
            )
        m = m.tocsr()
        fmt = "csr"
    values_type = binsparse_type(m.dtype)
    canonical = True
    if fmt in ("csr", "csc"):
        if not m.has_canonical_format:
            if copy is False:
                raise CopyRequiredError(
                    f"the scipy {fmt} matrix is not canonical (unsorted indices or duplicates): "
                    "canonicalising it needs a copy"
                )
            canonical = False
        nnz = int(m.indptr[-1])
        indptr, indices, data = m.indptr, m.indices[:nnz], m.data[:nnz]
        if m.ndim == 1:
            return (
                descriptor("CVEC", m.shape, nnz, {"indices_0": indices.dtype.name, "values": values_type}, source=SOURCE),
                {"indices_0": indices, "values": data},
                canonical,
            )
        types = {"pointers_to_1": indptr.dtype.name, "indices_1": indices.dtype.name, "values": values_type}
        return (
            descriptor(fmt.upper(), m.shape, nnz, types, source=SOURCE),
            {"pointers_to_1": indptr, "indices_1": indices, "values": data},
            canonical,
        )
    coords = tuple(getattr(m, "coords", None) or (m.row, m.col))
    if not m.has_canonical_format:
        if copy is False:
            if not coo_is_canonical(coords, m.shape):
                raise CopyRequiredError(
                    "the scipy coo array is not canonical (unsorted or duplicated coordinates): "
                    "canonicalising it needs a copy"
                )
        else:
            # The engine's own O(nnz) check decides: shared buffers when already canonical.
            canonical = False
    ndim = len(m.shape)
    types = {f"indices_{k}": c.dtype.name for k, c in enumerate(coords)}
    types["values"] = values_type
    arrays: dict[str, Any] = {f"indices_{k}": c for k, c in enumerate(coords)}
    arrays["values"] = m.data
    if ndim == 1:
        return descriptor("CVEC", m.shape, m.nnz, types, source=SOURCE), arrays, canonical
    if ndim == 2:
        return descriptor("COOR", m.shape, m.nnz, types, source=SOURCE), arrays, canonical
    return (
        descriptor("custom", m.shape, m.nnz, types, custom=sparse_root(ndim), source=SOURCE),
        arrays,
        canonical,
    )


def sum_duplicates(m: Any) -> Any:
    """A canonical copy by scipy itself: only for more entries than positions (see asarray)."""
    m = m.copy()
    m.sum_duplicates()
    return m


def _compressed_indices(ptr: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy needs int32/int64 index arrays of one dtype."""
    ptr = as_index(ptr, ("int32", "int64"), "int64")
    idx = as_index(idx, ("int32", "int64"), "int64")
    if ptr.dtype != idx.dtype:
        ptr, idx = ptr.astype(np.int64), idx.astype(np.int64)
    return ptr, idx


def to_scipy(sa: SparseArray) -> Any:
    """A scipy sparse array (csr/csc/coo ``*_array``), sharing memory where scipy allows."""
    import scipy.sparse as sp

    check_structure_general(sa, "scipy.sparse")
    arrays = host_arrays(sa)
    require_zero_fill(sa, arrays, "scipy.sparse")
    fmt = sa.format
    shape = sa.shape
    if fmt in ("CSR", "CSC"):
        ptr, idx = _compressed_indices(arrays["pointers_to_1"], arrays["indices_1"])
        cls = sp.csr_array if fmt == "CSR" else sp.csc_array
        return cls((values_of(sa, arrays), idx, ptr), shape=shape, copy=False)
    if fmt in ("DCSR", "DCSC"):
        counts = np.diff(arrays["pointers_to_1"].astype(np.int64)).astype(np.int64)
        major = np.repeat(arrays["indices_0"], counts)
        minor = arrays["indices_1"]
        rows, cols = (major, minor) if fmt == "DCSR" else (minor, major)
        coo = sp.coo_array((values_of(sa, arrays), (rows, cols)), shape=shape)
        return coo.tocsr() if fmt == "DCSR" else coo.tocsc()
    ndim = len(shape)
    if fmt in ("COOR", "COOC", "CVEC") or sa._a.format_summary == f"sparse({ndim})→element":
        coords = [as_index(arrays[f"indices_{k}"], ("int32", "int64"), "int64") for k in range(ndim)]
        if fmt == "COOC":
            coords = coords[::-1]
        return sp.coo_array((values_of(sa, arrays), tuple(coords)), shape=shape, copy=False)
    dense = sa.todense()
    if dense.ndim == 2:
        return sp.csr_array(dense)
    if dense.ndim == 1:
        return sp.coo_array(dense)
    raise UnsupportedFormatError(f"to_scipy(): no scipy layout for {fmt} with {ndim} dimensions")

"""PyData/Sparse adapter: ``sparse.COO`` and ``sparse.GCXS`` <-> binsparse.

==============================  =================================================================
PyData/Sparse                   binsparse
==============================  =================================================================
COO (1-D, 2-D, n-d)             CVEC / COOR / root ``sparse(n)`` custom; each row of the stacked
                                ``(ndim, nnz)`` ``coords`` is a zero-copy 1-D view
GCXS 2-D, compressed_axes=(0,)  CSR, zero-copy
GCXS 2-D, compressed_axes=(1,)  CSC, zero-copy
fill_value != 0                 ``"fill": true`` plus a one-element ``fill_value`` array
==============================  =================================================================

Non-canonical COO input (unsorted or duplicated coordinates) is exported as it is and
canonicalised on a copy by the Rust engine (duplicates summed, or refused with
``duplicates="reject"``); ``copy=False`` raises ``CopyRequiredError`` instead.

Not supported: GCXS with more than 2 dimensions (binsparse 0.1 cannot express its index map),
DOK (convert with ``.asformat("coo")``), float16 values. Back to PyData, COO coordinates must
be stacked into one array (a copy); CSR/CSC become GCXS sharing the three buffers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import CopyRequiredError, UnsupportedFormatError
from ._common import (
    binsparse_type,
    check_structure_general,
    coo_is_canonical,
    descriptor,
    host_arrays,
    sparse_root,
    values_of,
)

if TYPE_CHECKING:
    from .._core import SparseArray

_SOURCE = "sparse"


def handles(obj: object) -> bool:
    """Whether ``obj`` is a PyData/Sparse COO or GCXS array."""
    import sparse

    return isinstance(obj, (sparse.COO, sparse.GCXS))


def _fill(x: Any, types: dict[str, str], arrays: dict[str, Any]) -> bool:
    fill = np.asarray(x.fill_value, dtype=x.dtype)
    if fill == 0:
        return False
    types["fill_value"] = types["values"]
    arrays["fill_value"] = fill.reshape(1)
    return True


def export(x: Any, *, copy: Optional[bool]) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The descriptor and constituent arrays of a PyData/Sparse array, and whether they are
    known to be canonical (``False``: the caller canonicalises them in Rust)."""
    import sparse

    values_type = binsparse_type(x.dtype)
    shape = tuple(x.shape)
    if isinstance(x, sparse.GCXS):
        if x.ndim != 2:
            raise UnsupportedFormatError(
                f"{x.ndim}-d GCXS has no binsparse 0.1 format (its index map needs spec PR #63)"
            )
        fmt = "CSR" if tuple(x.compressed_axes) == (0,) else "CSC"
        nnz = int(x.indptr[-1])
        types = {"pointers_to_1": x.indptr.dtype.name, "indices_1": x.indices.dtype.name, "values": values_type}
        arrays: dict[str, Any] = {"pointers_to_1": x.indptr, "indices_1": x.indices[:nnz], "values": x.data[:nnz]}
        fill = _fill(x, types, arrays)
        return descriptor(fmt, shape, nnz, types, fill=fill, source=_SOURCE), arrays, True
    coords = tuple(x.coords)
    canonical = coo_is_canonical(coords, shape)
    if not canonical and copy is False:
        raise CopyRequiredError("the COO array is not canonical: canonicalising it needs a copy")
    ndim = len(shape)
    types = {f"indices_{k}": c.dtype.name for k, c in enumerate(coords)}
    types["values"] = values_type
    arrays = {f"indices_{k}": c for k, c in enumerate(coords)}
    arrays["values"] = x.data
    fill = _fill(x, types, arrays)
    nnz = int(x.nnz)
    if ndim == 1:
        return descriptor("CVEC", shape, nnz, types, fill=fill, source=_SOURCE), arrays, canonical
    if ndim == 2:
        return descriptor("COOR", shape, nnz, types, fill=fill, source=_SOURCE), arrays, canonical
    return (
        descriptor("custom", shape, nnz, types, fill=fill, custom=sparse_root(ndim), source=_SOURCE),
        arrays,
        canonical,
    )


def sum_duplicates(x: Any) -> Any:
    """A canonical copy by PyData/Sparse itself: only for more entries than positions (see
    asarray)."""
    import sparse

    return sparse.COO(x.coords, x.data, shape=x.shape, fill_value=x.fill_value)


def to_sparse(sa: SparseArray) -> Any:
    """A PyData/Sparse array keeping the fill value: GCXS for CSR/CSC (zero-copy), COO otherwise."""
    import sparse

    check_structure_general(sa, "sparse")
    arrays = host_arrays(sa)
    values = values_of(sa, arrays)
    fill = arrays["fill_value"][0] if "fill_value" in arrays else None
    fmt = sa.format
    shape = sa.shape
    if fmt in ("CSR", "CSC"):
        return sparse.GCXS(
            (values, arrays["indices_1"], arrays["pointers_to_1"]),
            shape=shape,
            compressed_axes=(0,) if fmt == "CSR" else (1,),
            fill_value=fill,
        )
    ndim = len(shape)
    if fmt in ("COOR", "COOC", "CVEC") or sa._a.format_summary == f"sparse({ndim})→element":
        coords = [arrays[f"indices_{k}"] for k in range(ndim)]
        if fmt == "COOC":
            return sparse.COO(np.stack(coords[::-1]), values, shape=shape, fill_value=fill)
        return sparse.COO(
            np.stack(coords), values, shape=shape, has_duplicates=False, sorted=True, fill_value=fill
        )
    dense = sa.todense()
    return sparse.COO.from_numpy(dense, fill_value=fill)

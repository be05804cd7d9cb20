"""JAX adapter: ``jax.experimental.sparse`` BCOO and BCSR <-> binsparse.

=============  ===================================================================================
JAX            binsparse
=============  ===================================================================================
BCSR           CSR, zero-copy on the CPU (``indptr``, ``indices``, ``data``)
BCOO           CVEC / COOR / root ``sparse(n)`` custom: JAX stores indices as ``(nnz, ndim)``, so
               each column is copied into a 1-D array (refused with ``copy=False``)
=============  ===================================================================================

Not supported: batched or block (``n_batch > 0`` or ``n_dense > 0``) arrays, float16/bfloat16.
64-bit values and indices need ``jax_enable_x64`` (JAX otherwise narrows them). Back to JAX, CSC
and COOC become BCOO (JAX has no column-major sparse layout).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import CopyRequiredError, UnsupportedFormatError
from ._common import (
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

_SOURCE = "jax"


def handles(obj: object) -> bool:
    """Whether ``obj`` is a JAX BCOO or BCSR array."""
    from jax.experimental import sparse as jsparse

    return isinstance(obj, (jsparse.BCOO, jsparse.BCSR))


def export(x: Any, *, copy: Optional[bool]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The descriptor and constituent arrays of a JAX sparse array."""
    from jax.experimental import sparse as jsparse

    if x.n_batch or x.n_dense:
        raise UnsupportedFormatError("batched or block JAX sparse arrays have no binsparse format")
    values_type = binsparse_type(x.dtype)
    shape = tuple(x.shape)
    if isinstance(x, jsparse.BCSR):
        types = {"pointers_to_1": str(x.indptr.dtype), "indices_1": str(x.indices.dtype), "values": values_type}
        return (
            descriptor("CSR", shape, int(x.nse), types, source=_SOURCE),
            {"pointers_to_1": x.indptr, "indices_1": x.indices, "values": x.data},
        )
    if copy is False:
        raise CopyRequiredError("JAX BCOO stores indices as (nnz, ndim): exporting them needs a copy")
    if not (x.indices_sorted and x.unique_indices):
        x = x.sum_duplicates(nse=x.nse)
        x = jsparse.BCOO((x.data, x.indices), shape=shape, indices_sorted=True, unique_indices=True)
    indices = np.asarray(x.indices)
    data = np.asarray(x.data)
    ndim = len(shape)
    nnz = int(data.shape[0])
    # sum_duplicates pads with out-of-range indices when nse shrinks: drop them.
    keep = np.all(indices < np.asarray(shape), axis=1) if nnz else np.zeros(0, dtype=bool)
    if not keep.all():
        indices, data = indices[keep], data[keep]
        nnz = int(data.shape[0])
    cols = {f"indices_{k}": np.ascontiguousarray(indices[:, k]) for k in range(ndim)}
    types = {k: v.dtype.name for k, v in cols.items()}
    types["values"] = values_type
    arrays: dict[str, Any] = dict(cols)
    arrays["values"] = data
    if ndim == 1:
        return descriptor("CVEC", shape, nnz, types, source=_SOURCE), arrays
    if ndim == 2:
        return descriptor("COOR", shape, nnz, types, source=_SOURCE), arrays
    return descriptor("custom", shape, nnz, types, custom=sparse_root(ndim), source=_SOURCE), arrays


def to_jax(sa: SparseArray) -> Any:
    """BCSR for CSR (sharing buffers where JAX accepts them), BCOO otherwise."""
    import jax
    from jax.experimental import sparse as jsparse

    check_structure_general(sa, "jax")
    arrays = host_arrays(sa)
    require_zero_fill(sa, arrays, "JAX sparse arrays")
    values = values_of(sa, arrays)
    shape = sa.shape
    fmt = sa.format
    if fmt == "CSR":
        cons = dict(sa._a.constituents(native_complex=True))
        ptr = jax.dlpack.from_dlpack(cons["pointers_to_1"])
        idx = jax.dlpack.from_dlpack(cons["indices_1"])
        data = jax.numpy.asarray(values) if sa._a.is_iso or sa.dtype == "bool" else jax.dlpack.from_dlpack(cons["values"])
        return jsparse.BCSR((data, idx, ptr), shape=shape)
    ndim = len(shape)
    if fmt in ("COOR", "CVEC") or sa._a.format_summary == f"sparse({ndim})→element":
        indices = np.stack([arrays[f"indices_{k}"] for k in range(ndim)], axis=1)
        return jsparse.BCOO(
            (jax.numpy.asarray(values), jax.numpy.asarray(indices)),
            shape=shape,
            indices_sorted=True,
            unique_indices=True,
        )
    if fmt in ("CSC", "COOC"):
        return to_jax(sa.asformat("COOR"))
    return jsparse.BCOO.fromdense(jax.numpy.asarray(sa.todense()))

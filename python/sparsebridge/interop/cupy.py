"""CuPy adapter: ``cupyx.scipy.sparse`` csr/csc/coo matrices <-> binsparse, on CUDA devices.

The layouts are scipy's (see :mod:`sparsebridge.interop.scipy`): CSR and CSC share the three
buffers, COO shares ``row``/``col``/``data`` when canonical. This path needs CuPy and a CUDA
device; the tests skip it, with the reason printed, where neither exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..errors import CopyRequiredError, UnsupportedFormatError
from ._common import binsparse_type, check_structure_general, descriptor

if TYPE_CHECKING:
    from .._core import SparseArray

_SOURCE = "cupyx.scipy.sparse"


def handles(obj: object) -> bool:
    """Whether ``obj`` is a cupyx sparse matrix."""
    try:
        import cupyx.scipy.sparse as csp
    except ImportError:  # pragma: no cover - CuPy absent
        return False
    return bool(csp.issparse(obj))


def export(m: Any, *, copy: Optional[bool]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The descriptor and constituent (device) arrays of a cupyx sparse matrix."""
    fmt = m.format
    if fmt not in ("csr", "csc", "coo"):
        if copy is False:
            raise CopyRequiredError(f"cupyx {fmt} has no binsparse layout: converting it needs a copy")
        m = m.tocsr()
        fmt = "csr"
    values_type = binsparse_type(m.dtype)
    if not m.has_canonical_format:
        if copy is False:
            raise CopyRequiredError("the cupyx matrix is not canonical: canonicalising it needs a copy")
        m = m.copy()
        m.sum_duplicates()
    if fmt == "coo":
        types = {"indices_0": m.row.dtype.name, "indices_1": m.col.dtype.name, "values": values_type}
        return (
            descriptor("COOR", m.shape, m.nnz, types, source=_SOURCE),
            {"indices_0": m.row, "indices_1": m.col, "values": m.data},
        )
    types = {"pointers_to_1": m.indptr.dtype.name, "indices_1": m.indices.dtype.name, "values": values_type}
    return (
        descriptor(fmt.upper(), m.shape, m.nnz, types, source=_SOURCE),
        {"pointers_to_1": m.indptr, "indices_1": m.indices, "values": m.data},
    )


def to_cupy(sa: SparseArray) -> Any:
    """A cupyx sparse matrix (csr/csc/coo) on the array's CUDA device."""
    import cupy
    import cupyx.scipy.sparse as csp

    check_structure_general(sa, "cupyx.scipy.sparse")
    if not sa.device.startswith("cuda"):
        sa = sa.to_device("cuda:0")
    arrays = {n: cupy.from_dlpack(c) for n, c in sa._a.constituents(native_complex=True)}
    if "fill_value" in arrays:
        raise UnsupportedFormatError("cupyx sparse matrices cannot hold a fill value")
    values = arrays["values"]
    if sa._a.is_iso:
        values = cupy.full(sa.nnz, values[0])
    fmt = sa.format
    if fmt == "CSR":
        return csp.csr_matrix((values, arrays["indices_1"], arrays["pointers_to_1"]), shape=sa.shape)
    if fmt == "CSC":
        return csp.csc_matrix((values, arrays["indices_1"], arrays["pointers_to_1"]), shape=sa.shape)
    if fmt in ("COOR", "COOC"):
        rows, cols = arrays["indices_0"], arrays["indices_1"]
        if fmt == "COOC":
            rows, cols = cols, rows
        return csp.coo_matrix((values, (rows, cols)), shape=sa.shape)
    raise UnsupportedFormatError(f"to_cupy(): no cupyx layout for {fmt}")

"""PyTorch adapter: sparse COO / CSR / CSC tensors <-> binsparse.

==============  ==================================================================================
torch layout    binsparse
==============  ==================================================================================
sparse_csr      CSR, zero-copy (``crow_indices``, ``col_indices``, ``values``); int32 or int64
sparse_csc      CSC, zero-copy (``ccol_indices``, ``row_indices``, ``values``)
sparse_coo      COOR (2-D), CVEC (1-D), root ``sparse(n)`` custom (n-d): each row of the stacked
                ``(ndim, nnz)`` int64 ``indices()`` is exported as a zero-copy 1-D view
==============  ==================================================================================

Not supported: batched CSR/CSC and hybrid tensors (values with dense dimensions: binsparse has
no batch or block concept), BSR/BSC layouts, float16/bfloat16 values (no binsparse 0.1 type).
An uncoalesced COO tensor, or CSR/CSC with unsorted columns, is canonicalised on a copy
(``copy=False`` raises ``CopyRequiredError``). Back to torch, COO indices must be stacked into one
int64 tensor (a copy), and CSR/CSC pointers and indices must share an int32/int64 dtype.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Optional

from ..errors import CopyRequiredError, UnsupportedFormatError
from ._common import binsparse_type, check_structure_general, descriptor, sparse_root

if TYPE_CHECKING:
    from .._core import SparseArray

_SOURCE = "torch"
_BETA = "Sparse (CSR|CSC) tensor support is in beta state"
_INVARIANTS = "Sparse invariant checks are implicitly disabled"
# Whether a CSR/CSC tensor was built here already (torch's beta warning has then been shown).
_CSR_WARNED = False


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hides torch's sparse beta and invariant-check warnings inside the block."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_BETA, category=UserWarning)
        warnings.filterwarnings("ignore", message=_INVARIANTS, category=UserWarning)
        yield


def handles(obj: object) -> bool:
    """Whether ``obj`` is a torch sparse COO, CSR or CSC tensor."""
    import torch

    return isinstance(obj, torch.Tensor) and obj.layout in (
        torch.sparse_coo,
        torch.sparse_csr,
        torch.sparse_csc,
    )


def _sorted_within(ptr: Any, idx: Any) -> bool:
    import torch

    if idx.numel() < 2:
        return True
    major = torch.repeat_interleave(
        torch.arange(ptr.numel() - 1, device=idx.device), ptr.diff().to(torch.int64)
    )
    ok = (idx[1:] > idx[:-1]) | (major[1:] != major[:-1])
    return bool(ok.all())


def export(t: Any, *, copy: Optional[bool]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The descriptor and constituent tensors of a torch sparse tensor."""
    import torch

    if t.layout == torch.sparse_coo:
        if t.dense_dim() > 0:
            raise UnsupportedFormatError("hybrid torch COO tensors (dense value dimensions) have no binsparse format")
        if not t.is_coalesced():
            if copy is False:
                raise CopyRequiredError("the torch COO tensor is not coalesced: coalescing it needs a copy")
            t = t.coalesce()
        indices, values = t.indices(), t.values()
        ndim = t.sparse_dim()
        nnz = int(values.shape[0])
        types = {f"indices_{k}": binsparse_type(indices.dtype, "index") for k in range(ndim)}
        types["values"] = binsparse_type(values.dtype)
        arrays: dict[str, Any] = {f"indices_{k}": indices[k] for k in range(ndim)}
        arrays["values"] = values
        shape = tuple(t.shape)
        if ndim == 1:
            return descriptor("CVEC", shape, nnz, types, source=_SOURCE), arrays
        if ndim == 2:
            return descriptor("COOR", shape, nnz, types, source=_SOURCE), arrays
        return descriptor("custom", shape, nnz, types, custom=sparse_root(ndim), source=_SOURCE), arrays
    csr = t.layout == torch.sparse_csr
    if t.layout not in (torch.sparse_csr, torch.sparse_csc):
        raise UnsupportedFormatError(f"torch layout {t.layout} has no binsparse format")
    ptr = t.crow_indices() if csr else t.ccol_indices()
    idx = t.col_indices() if csr else t.row_indices()
    values = t.values()
    if ptr.ndim != 1 or values.ndim != 1:
        raise UnsupportedFormatError(
            "batched or hybrid torch CSR/CSC tensors have no binsparse format (binsparse 0.1 has "
            "no batch dimensions, and its pointers are global)"
        )
    if not _sorted_within(ptr, idx):
        if copy is False:
            raise CopyRequiredError("the torch tensor has unsorted indices: sorting them needs a copy")
        with _quiet():
            # torch marks the COO of a CSR tensor coalesced without sorting it: rebuild it as
            # uncoalesced so that coalesce() really sorts and sums duplicates.
            raw = t.to_sparse_coo()
            coo = torch.sparse_coo_tensor(
                raw.indices(), raw.values(), tuple(t.shape), is_coalesced=False, check_invariants=False
            ).coalesce()
            t = coo.to_sparse_csr() if csr else coo.to_sparse_csc()
        return export(t, copy=copy)
    fmt = "CSR" if csr else "CSC"
    types = {
        "pointers_to_1": binsparse_type(ptr.dtype, "index"),
        "indices_1": binsparse_type(idx.dtype, "index"),
        "values": binsparse_type(values.dtype),
    }
    return (
        descriptor(fmt, tuple(t.shape), int(values.shape[0]), types, source=_SOURCE),
        {"pointers_to_1": ptr, "indices_1": idx, "values": values},
    )


def _tensors(sa: SparseArray) -> dict[str, Any]:
    import torch

    out = {name: torch.from_dlpack(con) for name, con in sa._a.constituents(native_complex=True)}
    if sa.dtype == "bool":
        for name in ("values", "fill_value"):
            if name in out:
                out[name] = out[name].view(torch.bool)
    return out


def to_torch(sa: SparseArray, *, device: Optional[str] = None) -> Any:
    """A torch sparse tensor: CSR/CSC zero-copy (int32/int64 indices), COO with stacked int64
    indices (a copy). ``device`` moves the result (``tensor.to(device)``)."""
    import torch

    check_structure_general(sa, "torch")
    ts = _tensors(sa)
    if "fill_value" in ts and bool(ts["fill_value"][0] != 0):
        raise UnsupportedFormatError(
            f"torch sparse tensors cannot hold the fill value {ts['fill_value'][0].item()!r}"
        )
    values = ts["values"]
    if sa._a.is_iso:
        values = values.expand(sa.nnz).contiguous()
    fmt = sa.format
    shape = sa.shape
    if fmt in ("CSR", "CSC"):
        ptr, idx = ts["pointers_to_1"], ts["indices_1"]
        ok = (torch.int32, torch.int64)
        if ptr.dtype != idx.dtype or ptr.dtype not in ok:
            ptr, idx = ptr.to(torch.int64), idx.to(torch.int64)
        make = torch.sparse_csr_tensor if fmt == "CSR" else torch.sparse_csc_tensor
        global _CSR_WARNED
        if _CSR_WARNED:
            out = make(ptr, idx, values, size=shape, check_invariants=False)
        else:
            # torch warns about its CSR/CSC beta once per process: only the first construction
            # pays for the warning filters (4 µs a call, a fifth of the hand-off).
            with _quiet():
                out = make(ptr, idx, values, size=shape, check_invariants=False)
            _CSR_WARNED = True
        return out.to(device) if device is not None else out
    with _quiet():
        ndim = len(shape)
        if fmt in ("COOR", "COOC", "CVEC") or sa._a.format_summary == f"sparse({ndim})→element":
            coords = [ts[f"indices_{k}"] for k in range(ndim)]
            if fmt == "COOC":
                coords = coords[::-1]
            indices = torch.stack([c.to(torch.int64) for c in coords])
            out = torch.sparse_coo_tensor(
                indices, values, size=shape, is_coalesced=fmt != "COOC", check_invariants=False
            )
            if fmt == "COOC":
                out = out.coalesce()
        else:
            import numpy as np

            dense = torch.from_numpy(np.ascontiguousarray(sa.todense()))
            out = dense.to_sparse()
    if device is not None:
        out = out.to(device)
    return out

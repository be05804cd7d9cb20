"""Shared helpers of the sparsebridge Python tests (tests/python/test_*.py, not compliance).

Oracles are independent of sparsebridge: dense NumPy matrices built here and each library's own
``toarray()`` / ``to_dense()`` / ``todense()``.
"""

from __future__ import annotations

import os
from typing import Any

# JAX narrows 64-bit values and indices unless x64 is on; set it before JAX is imported.
os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np

DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128",
]
INDEX_DTYPES = ["int32", "int64"]
# The value dtypes each library can hold (and binsparse 0.1 can describe).
TORCH_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64", "complex64", "complex128"]
# JAX sparse has no bool support (its todense is a scatter-add, which refuses bool).
JAX_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "complex64", "complex128"]


def reference(shape: tuple[int, ...], dtype: str, seed: int = 0, density: float = 0.4) -> np.ndarray:
    """A random dense array with no explicit zeros among its stored positions."""
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < density
    vals = rng.integers(1, 100, size=shape)
    if dtype == "bool":
        return mask.copy()
    out = (vals * mask).astype(dtype)
    if dtype.startswith("complex"):
        out = out + 1j * (rng.integers(1, 50, size=shape) * mask).astype(dtype)
        out = out.astype(dtype)
    return out


def dense_of(obj: Any) -> np.ndarray:
    """The dense value of a scipy / torch / PyData / JAX / sparsebridge / NumPy array."""
    import sparsebridge as sb

    mod = type(obj).__module__.split(".")[0]
    if isinstance(obj, sb.SparseArray):
        return obj.todense()
    if mod == "scipy":
        return obj.toarray()
    if mod == "torch":
        return obj.to_dense().numpy()
    if mod == "sparse":
        return obj.todense()
    if mod in ("jax", "jaxlib"):
        return np.asarray(obj.todense())
    return np.asarray(obj)


def make(lib: str, fmt: str, dense: np.ndarray, index: str) -> Any:
    """``dense`` as a ``lib`` sparse object of format ``fmt`` with ``index`` index dtypes."""
    if lib == "scipy":
        import scipy.sparse as sp

        coo = sp.coo_array(dense)
        coo.sum_duplicates()
        if fmt == "coo":
            coords = tuple(c.astype(index) for c in coo.coords)
            return sp.coo_array((coo.data, coords), shape=dense.shape)
        m = coo.tocsr() if fmt == "csr" else coo.tocsc()
        cls = sp.csr_array if fmt == "csr" else sp.csc_array
        return cls((m.data, m.indices.astype(index), m.indptr.astype(index)), shape=dense.shape)
    if lib == "torch":
        import torch

        t = torch.from_numpy(np.ascontiguousarray(dense))
        if fmt == "coo":
            return t.to_sparse().coalesce()
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            s = t.to_sparse_csr() if fmt == "csr" else t.to_sparse_csc()
            tdt = getattr(torch, index)
            if fmt == "csr":
                return torch.sparse_csr_tensor(s.crow_indices().to(tdt), s.col_indices().to(tdt), s.values(), size=s.shape)
            return torch.sparse_csc_tensor(s.ccol_indices().to(tdt), s.row_indices().to(tdt), s.values(), size=s.shape)
    if lib == "sparse":
        import sparse

        if fmt == "coo":
            c = sparse.COO.from_numpy(dense)
            return sparse.COO(c.coords.astype(index), c.data, shape=dense.shape, sorted=True, has_duplicates=False)
        axes = (0,) if fmt == "csr" else (1,)
        return sparse.GCXS.from_numpy(dense, compressed_axes=axes, idx_dtype=np.dtype(index))
    if lib == "jax":
        import jax.numpy as jnp
        from jax.experimental import sparse as jsparse

        cls = jsparse.BCOO if fmt == "coo" else jsparse.BCSR
        return cls.fromdense(jnp.asarray(dense), index_dtype=getattr(jnp, index))
    raise ValueError(lib)


def cpu_ptr(arr: Any) -> int:
    """The data address of a NumPy array or torch tensor."""
    if hasattr(arr, "data_ptr"):
        return int(arr.data_ptr())
    return int(arr.ctypes.data)

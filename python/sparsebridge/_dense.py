"""``SparseArray.todense()``: every binsparse format to a NumPy array, on the host."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import UnsupportedFormatError
from .interop._common import fill_value, host_arrays, values_of

if TYPE_CHECKING:
    from ._core import SparseArray


def _expand(ptr: np.ndarray, major: np.ndarray) -> np.ndarray:
    counts: np.ndarray = np.diff(ptr.astype(np.int64))
    return np.repeat(major, counts)


def todense(sa: SparseArray) -> np.ndarray:
    """A dense NumPy array with ``fill_value`` (or 0) where nothing is stored."""
    arrays = host_arrays(sa)
    shape = sa.shape
    fmt = sa.format
    values = values_of(sa, arrays)
    dtype = values.dtype
    if fmt == "DVEC" or fmt == "DMATR":
        return values.reshape(shape).copy()
    if fmt == "DMATC":
        return values.reshape(shape[::-1]).T.copy()
    out = np.full(shape, fill_value(sa, arrays), dtype=dtype)
    if fmt == "CVEC":
        out[arrays["indices_0"]] = values
    elif fmt in ("CSR", "CSC"):
        major = _expand(arrays["pointers_to_1"], np.arange(shape[0 if fmt == "CSR" else 1]))
        minor = arrays["indices_1"]
        out[(major, minor) if fmt == "CSR" else (minor, major)] = values
    elif fmt in ("DCSR", "DCSC"):
        major = _expand(arrays["pointers_to_1"], arrays["indices_0"])
        minor = arrays["indices_1"]
        out[(major, minor) if fmt == "DCSR" else (minor, major)] = values
    elif fmt == "COOR":
        out[arrays["indices_0"], arrays["indices_1"]] = values
    elif fmt == "COOC":
        out[arrays["indices_1"], arrays["indices_0"]] = values
    else:
        summary = sa._a.format_summary
        n = len(shape)
        if summary == f"sparse({n})→element":
            out[tuple(arrays[f"indices_{k}"] for k in range(n))] = values
        elif summary == "→".join(["dense(1)"] * n + ["element"]):
            return values.reshape(shape).copy()
        else:
            raise UnsupportedFormatError(f"todense(): custom format {summary} is not supported")
    structure = sa._a.structure
    if structure is not None:
        out = _mirror(out, structure)
    return out


def _mirror(out: np.ndarray, structure: str) -> np.ndarray:
    """Fills the other triangle of a symmetric, Hermitian or skew-symmetric matrix."""
    lower = structure.endswith("_lower")
    tri = np.tril(np.ones(out.shape, dtype=bool), -1) if lower else np.triu(np.ones(out.shape, dtype=bool), 1)
    stored = out.copy()
    other = stored.T
    if structure.startswith("hermitian"):
        other = np.conj(other)
    elif structure.startswith("skew"):
        other = -other
    mirror_mask = tri.T
    stored[mirror_mask] = other[mirror_mask]
    return stored

"""Helpers shared by the per-library adapters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import DeviceError, UnsupportedFormatError

if TYPE_CHECKING:
    from .._core import SparseArray

# NumPy dtype name -> binsparse type string.
_BINSPARSE = {
    "bool": "bint8",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "float32": "float32",
    "float64": "float64",
    "complex64": "complex[float32]",
    "complex128": "complex[float64]",
}


def binsparse_type(dtype: Any, what: str = "values") -> str:
    """The binsparse type string of a NumPy/torch/JAX dtype name; raises for types binsparse 0.1
    does not have (float16, bfloat16, ...)."""
    name = str(dtype).removeprefix("torch.")
    t = _BINSPARSE.get(name)
    if t is None:
        raise UnsupportedFormatError(
            f"{what} dtype {name} has no binsparse 0.1 type (binsparse-protocol.md §6: "
            "float16 and bfloat16 are not in the spec)"
        )
    return t


def descriptor(
    format: str,
    shape: tuple[int, ...],
    nnz: int,
    data_types: dict[str, str],
    *,
    fill: bool = False,
    custom: Optional[dict[str, Any]] = None,
    source: Optional[str] = None,
) -> dict[str, Any]:
    """A wrapped binsparse 0.1 descriptor."""
    inner: dict[str, Any] = {
        "version": "0.1",
        "format": format,
        "shape": [int(s) for s in shape],
        "number_of_stored_values": int(nnz),
    }
    if fill:
        inner["fill"] = True
    if custom is not None:
        inner["custom"] = custom
    inner["data_types"] = data_types
    out: dict[str, Any] = {"binsparse": inner}
    if source is not None:
        out["original_source"] = source
    return out


def sparse_root(ndim: int) -> dict[str, Any]:
    """The custom block of an n-d COO (a root ``sparse(ndim)`` level)."""
    return {"level": {"level_desc": "sparse", "rank": ndim, "level": {"level_desc": "element"}}}


def dense_levels(ndim: int) -> dict[str, Any]:
    """The custom block of an n-d row-major dense array."""
    level: dict[str, Any] = {"level_desc": "element"}
    for _ in range(ndim):
        level = {"level_desc": "dense", "rank": 1, "level": level}
    return {"level": level}


def host_arrays(sa: SparseArray) -> dict[str, np.ndarray]:
    """The constituents as NumPy arrays (zero-copy; read-only when shared). ``bint8`` arrays are
    viewed as ``bool``; complex arrays keep their complex dtype."""
    if sa.device not in ("cpu", "cuda_host"):
        raise DeviceError(
            f"the array is on {sa.device}; NumPy-based targets need host memory: "
            "call .to_device('cpu') first"
        )
    out: dict[str, np.ndarray] = {}
    value_is_bool = sa.dtype == "bool"
    for name, con in sa._a.constituents(native_complex=True):
        arr = np.from_dlpack(con)
        if value_is_bool and name in ("values", "fill_value"):
            arr = arr.view(np.bool_)
        out[name] = arr
    return out


def values_of(sa: SparseArray, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """``values`` with an iso value broadcast to ``nnz`` (a copy only when iso)."""
    values = arrays["values"]
    if sa._a.is_iso:
        values = np.full(sa.nnz, values[0], dtype=values.dtype)
    return values


def fill_value(sa: SparseArray, arrays: dict[str, np.ndarray]) -> Any:
    """The fill value (``0`` of the value dtype when absent)."""
    if "fill_value" in arrays:
        return arrays["fill_value"][0]
    return np.zeros((), dtype=np.dtype(sa.dtype))[()]


def require_zero_fill(sa: SparseArray, arrays: dict[str, np.ndarray], target: str) -> None:
    """Raises when a non-zero fill value would be lost (binsparse-protocol.md §12.11)."""
    if "fill_value" in arrays and arrays["fill_value"][0] != 0:
        raise UnsupportedFormatError(
            f"{target} cannot hold the fill value {arrays['fill_value'][0]!r}: "
            "refusing to drop it (use to_sparse() or todense())"
        )


def as_index(arr: np.ndarray, allowed: tuple[str, ...], prefer: str) -> np.ndarray:
    """``arr`` unchanged when its dtype is allowed, else cast to ``prefer`` (a copy)."""
    if arr.dtype.name in allowed:
        return arr
    return arr.astype(prefer)


def check_structure_general(sa: SparseArray, target: str) -> None:
    """Targets without symmetry support refuse arrays that declare a ``structure``."""
    if sa._a.structure is not None:
        raise UnsupportedFormatError(
            f"{target} has no `structure` ({sa._a.structure}); expand it with todense() first"
        )


def coo_is_canonical(coords: tuple[np.ndarray, ...], shape: tuple[int, ...]) -> bool:
    """Row-major sorted with no duplicate coordinates (an O(nnz) check)."""
    n = coords[0].shape[0] if coords else 0
    if n < 2:
        return True
    keys = np.zeros(n, dtype=np.uint64)
    total = 1
    for c, extent in zip(reversed(coords), reversed(shape)):
        keys += c.astype(np.uint64) * np.uint64(total)
        total *= int(extent)
        if total >= 2**63:
            # Fall back to a lexicographic comparison (no overflow-free linear key).
            order = np.lexsort(tuple(reversed(coords)))
            if not np.array_equal(order, np.arange(n)):
                return False
            stacked = np.stack(coords)
            return bool(np.all(np.any(stacked[:, 1:] != stacked[:, :-1], axis=0)))
    return bool(np.all(keys[1:] > keys[:-1]))

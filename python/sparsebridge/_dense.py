"""``SparseArray.todense()``: every binsparse format to a NumPy array, on the host."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._formats import PREDEFINED_LEVELS
from .errors import StructureError, UnsupportedFormatError
from .interop._common import fill_value, host_arrays, values_of

if TYPE_CHECKING:
    from ._core import SparseArray


def _expand(ptr: np.ndarray, major: np.ndarray) -> np.ndarray:
    counts: np.ndarray = np.diff(ptr.astype(np.int64))
    return np.repeat(major, counts)


def coordinates(sa: SparseArray) -> np.ndarray:
    """The logical coordinates of every stored value of ``sa`` (host arrays), any format."""
    inner = sa.__binsparse_descriptor__()["binsparse"]
    custom = inner.get("custom") or PREDEFINED_LEVELS.get(inner["format"])
    if not isinstance(custom, dict):
        raise UnsupportedFormatError(f"format {inner['format']} is not supported")
    return _level_coordinates(custom, host_arrays(sa), tuple(sa.shape))


def check_structure(sa: SparseArray) -> None:
    """A declared ``*_lower`` (``*_upper``) structure stores no entry above (below) the diagonal."""
    structure = sa._a.structure
    if structure is None:
        return
    c = coordinates(sa)
    bad = np.flatnonzero(c[:, 0] < c[:, 1]) if structure.endswith("_lower") else np.flatnonzero(c[:, 0] > c[:, 1])
    if len(bad):
        i, j = c[bad[0]]
        side = "above" if structure.endswith("_lower") else "below"
        raise StructureError(
            f"structure {structure}: stored entry ({i}, {j}) at position {bad[0]} lies {side} the diagonal"
        )


def _level_coordinates(custom: dict, arrays: dict, shape: tuple) -> np.ndarray:
    """The logical coordinates (one row per stored value) of any level format (binsparse §5).

    Walks the levels outer to inner: a ``dense(r)`` level repeats every position over its
    extents (row-major); a ``sparse(r)`` level gives each position the index tuples of its
    pointer range (the root has one range and no pointers). ``transpose[k]`` names the logical
    dimension of stored dimension ``k``.
    """
    n = len(shape)
    transpose = list(custom.get("transpose") or range(n))
    stored_shape = [shape[t] for t in transpose]
    coords = np.zeros((1, 0), dtype=np.int64)
    depth = 0
    level = custom["level"]
    while level["level_desc"] != "element":
        rank = int(level.get("rank", 1))
        if level["level_desc"] == "dense":
            grid = np.indices(stored_shape[depth : depth + rank]).reshape(rank, -1).T
            coords = np.concatenate(
                [np.repeat(coords, len(grid), axis=0), np.tile(grid, (len(coords), 1))], axis=1
            )
        else:
            idx = np.stack(
                [np.asarray(arrays[f"indices_{d}"], dtype=np.int64) for d in range(depth, depth + rank)],
                axis=1,
            )
            if depth == 0:
                parent = np.zeros(len(idx), dtype=np.int64)
            else:
                ptr = np.asarray(arrays[f"pointers_to_{depth}"], dtype=np.int64)
                parent = np.repeat(np.arange(len(coords)), np.diff(ptr))
            coords = np.concatenate([coords[parent], idx], axis=1)
        depth += rank
        level = level["level"]
    logical = np.empty_like(coords)
    logical[:, transpose] = coords
    return logical


def todense(sa: SparseArray) -> np.ndarray:
    """A dense NumPy array with ``fill_value`` (or 0) where nothing is stored."""
    arrays = host_arrays(sa)
    shape = sa.shape
    fmt = sa.format
    values = values_of(sa, arrays)
    dtype = values.dtype
    if len(shape) == 0:
        return np.asarray(values).reshape(()).copy()
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
        inner = sa.__binsparse_descriptor__()["binsparse"]
        custom = inner.get("custom")
        if not isinstance(custom, dict):
            raise UnsupportedFormatError(f"todense(): format {fmt} is not supported")
        coords = _level_coordinates(custom, arrays, shape)
        out[tuple(coords.T)] = values
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

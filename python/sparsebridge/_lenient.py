"""Producer variants that need the arrays to be read (binsparse-protocol.md §11).

The descriptor-only variants (``"0.1.0"``, bare inner objects, custom-block placements,
``"bool"``, aliases, legacy keys) are read by the Rust descriptor parser. This module handles
the ones that depend on the arrays themselves:

- ``COOR`` (or a root ``sparse(ndim)`` custom format) with a dummy ``pointers_to_1 = [0, nnz]``
  and a 2-D ``indices_1`` of shape ``(ndim, nnz)`` (sparse PR #764, CuPy PR #8622, whose uint8
  pointers overflow: they are checked, then ignored). Each row becomes a zero-copy 1-D
  ``indices_k``;
- ``"CSR"`` with a 1-D shape and ``pointers_to_1 = [0, nnz]`` (scipy PR): read as ``CVEC``;
- ``data_types`` labels that disagree with the arrays' own integer DLPack dtypes (scipy and
  sparse PRs swap ``pointers_to_1`` and ``indices_1``): each array's own dtype is trusted.

Each fix-up is reported as a note (a :class:`~sparsebridge.errors.BinsparseWarning` in lenient
mode).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from ._formats import ALIASES
from .errors import DescriptorError, StructureError

if TYPE_CHECKING:
    from ._sparsebridge import Constituent

Importer = Callable[[str, object], "tuple[Constituent, list[int]]"]

_INTEGER = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def _inner(descriptor: dict[str, Any]) -> dict[str, Any]:
    inner = descriptor.get("binsparse")
    if isinstance(inner, dict):
        return inner
    return descriptor


def _host_ints(con: Constituent) -> list[int] | None:
    """The values of a small host integer constituent (``None`` for device data)."""
    if con.device not in ("cpu", "cuda_host"):
        return None
    import numpy as np

    return [int(v) for v in np.from_dlpack(con)]


def _check_dummy_pointers(con: Constituent, nnz: int) -> None:
    values = _host_ints(con)
    if values is not None and values != [0, nnz]:
        raise StructureError(
            f"array `pointers_to_1` of the stacked COO variant must be [0, {nnz}], found "
            f"{values[:4]}{'...' if len(values) > 4 else ''} (a narrow pointer dtype such as "
            "uint8 overflows above 255 stored values)"
        )


def _sparse_root(ndim: int) -> dict[str, Any]:
    return {
        "level": {"level_desc": "sparse", "rank": ndim, "level": {"level_desc": "element"}}
    }


def normalise(
    descriptor: Mapping[str, Any],
    arrays: Mapping[str, object],
    importer: Importer,
) -> tuple[dict[str, Any], dict[str, Constituent], list[str]]:
    """Imports ``arrays`` with ``importer`` and rewrites the array-dependent variants.

    Returns the descriptor to parse, the constituents by name and the notes on what changed.
    """
    # Copy exactly what the rewrites below mutate (the top level, the `binsparse` object and its
    # `data_types`): the caller's descriptor stays untouched. A deep copy cost about a third of
    # a whole scipy -> torch hand-off.
    desc = dict(descriptor)
    if isinstance(desc.get("binsparse"), dict):
        desc["binsparse"] = dict(desc["binsparse"])
    inner = _inner(desc)
    if isinstance(inner.get("data_types"), dict):
        inner["data_types"] = dict(inner["data_types"])
    data_types = inner.get("data_types")
    if not isinstance(data_types, dict):
        raise DescriptorError("`binsparse.data_types`: required key is missing or not an object")
    if set(arrays) != set(data_types):
        missing = sorted(set(data_types) - set(arrays))
        unexpected = sorted(set(arrays) - set(data_types))
        raise DescriptorError(
            "the constituent arrays do not match `binsparse.data_types`: "
            f"missing {missing}, unexpected {unexpected}"
        )
    imported = {name: importer(name, obj) for name, obj in arrays.items()}
    notes: list[str] = []
    fmt = inner.get("format")
    fmt = ALIASES.get(fmt, fmt) if isinstance(fmt, str) else fmt
    shape = inner.get("shape")
    two_d = sorted(n for n, (_, s) in imported.items() if len(s) == 2)
    if two_d:
        allowed = {"pointers_to_1", "indices_1", "values", "fill_value"}
        if two_d != ["indices_1"] or not set(imported) <= allowed:
            raise DescriptorError(
                f"constituent arrays {two_d} are 2-D: only the stacked COO variant (a 2-D "
                "`indices_1` of shape (ndim, nnz)) is accepted"
            )
        con, (ndim, nnz) = imported.pop("indices_1")
        if isinstance(shape, list) and len(shape) != ndim:
            raise DescriptorError(
                f"`binsparse.shape`: {shape} has {len(shape)} dimensions, but the stacked "
                f"`indices_1` has {ndim} rows"
            )
        if "pointers_to_1" in imported:
            _check_dummy_pointers(imported.pop("pointers_to_1")[0], nnz)
            data_types.pop("pointers_to_1", None)
        data_types.pop("indices_1", None)
        new_types: dict[str, Any] = {}
        for k in range(ndim):
            imported[f"indices_{k}"] = (con.slice(k * nnz, nnz), [nnz])
            new_types[f"indices_{k}"] = con.dtype
        new_types.update(data_types)
        inner["data_types"] = new_types
        inner.pop("custom", None)
        if ndim == 2:
            inner["format"] = "COOR"
        elif ndim == 1:
            inner["format"] = "CVEC"
        else:
            inner["format"] = "custom"
            inner["custom"] = _sparse_root(ndim)
        notes.append(
            f"stacked ({ndim}, {nnz}) COO `indices_1` read as {ndim} index arrays "
            f"(format {inner['format']})"
        )
    elif (
        fmt == "CSR"
        and isinstance(shape, list)
        and len(shape) == 1
        and "pointers_to_1" in imported
        and "indices_1" in imported
    ):
        # Without indices_1 it is no 1-D CSR variant: left as it is, the descriptor check names
        # what is missing.
        ptr, _ = imported.pop("pointers_to_1")
        con, (nnz,) = imported.pop("indices_1")
        _check_dummy_pointers(ptr, nnz)
        new_types = {"indices_0": con.dtype}
        new_types.update({k: v for k, v in data_types.items() if k not in ("pointers_to_1", "indices_1")})
        inner["data_types"] = new_types
        inner["format"] = "CVEC"
        imported["indices_0"] = (con, [nnz])
        notes.append("1-D `CSR` read as `CVEC`")
    types = inner["data_types"]
    for name, (con, _) in imported.items():
        label = types.get(name)
        is_index = name.startswith(("indices_", "pointers_to_"))
        if is_index and label in _INTEGER and con.dtype in _INTEGER and label != con.dtype:
            types[name] = con.dtype
            notes.append(
                f"`binsparse.data_types.{name}` says {label!r} but the array is {con.dtype}: "
                "the array's own dtype is used"
            )
    return desc, {n: c for n, (c, _) in imported.items()}, notes


def same_layout(native: Mapping[str, Any], requested: Mapping[str, Any]) -> bool:
    """Whether ``requested`` asks for the producer's stored layout (format, shape, dtypes)."""

    def key(d: Mapping[str, Any]) -> tuple[Any, ...]:
        inner = _inner(dict(d))
        fmt = inner.get("format")
        fmt = ALIASES.get(fmt, fmt) if isinstance(fmt, str) else fmt
        return (fmt, inner.get("shape"), inner.get("custom"), inner.get("data_types"))

    try:
        return key(native) == key(requested)
    except Exception:  # noqa: BLE001 - an unreadable descriptor is "not the same"
        return False

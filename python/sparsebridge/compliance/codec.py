"""A deliberately simple decoder and encoder: binsparse descriptor + constituent arrays ↔ dense NumPy array.

Written from binsparse spec §4–§5 and binsparse-protocol §4–§8 only, with plain loops, so that it can serve as an
independent oracle. It is meant for small test matrices, not for speed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from .formats import (
    ALIASES,
    PREDEFINED,
    Descriptor,
    DescriptorError,
    Level,
    alias_of,
    level_arrays,
    parse_descriptor,
)
from .types import ValueType, logical_dtype, storage_from_values, storage_matches, type_string_of, values_from_storage


class DecodeError(ValueError):
    """Arrays that do not form a valid instance of their descriptor; ``check`` names the compliance check."""

    def __init__(self, message: str, check: str = "canonical") -> None:
        super().__init__(message)
        self.check = check


def import_array(obj: object) -> np.ndarray:
    """Import one constituent through DLPack, as NumPy does (versioned ``max_version`` first, legacy fallback).

    Non-CPU constituents are copied to the host with ``device="cpu", copy=True`` when NumPy cannot read them.
    """
    if isinstance(obj, np.ndarray):
        return obj
    try:
        return np.from_dlpack(obj)
    except (BufferError, RuntimeError, ValueError):
        dev = obj.__dlpack_device__()
        if tuple(dev)[0] in (1, 3, 13):  # host-readable already; the failure was real
            raise
        return np.from_dlpack(obj, device="cpu", copy=True)


def _one_d(name: str, arr: np.ndarray, shape_ok: bool = False) -> np.ndarray:
    if arr.ndim != 1 and not shape_ok:
        raise DecodeError(f"array {name!r} has ndim {arr.ndim}; constituents are 1-D (binsparse-protocol §12 "
                          "rule 5)", "descriptor.format")
    return arr


def _index_array(desc: Descriptor, name: str, arr: np.ndarray, strict: bool) -> np.ndarray:
    if arr.dtype.kind not in "iu":
        raise DecodeError(f"{name} has dtype {arr.dtype}, not an integer type (binsparse spec §4)",
                          "descriptor.type_strings")
    label = desc.data_types.get(name)
    if label is not None and np.dtype(label) != arr.dtype:
        msg = (f"data_types[{name!r}] = {label!r} but the array's DLPack dtype is {arr.dtype} "
               "(binsparse-protocol §12 rule 7, §13 row 10)")
        if strict:
            raise DecodeError(msg, "descriptor.type_strings")
        desc.notes.append(("descriptor.type_strings", msg))
    return arr.astype(np.int64) if arr.dtype != np.uint64 else arr


def _values(desc: Descriptor, name: str, arr: np.ndarray, count: int, trust: bool, iso: bool) -> np.ndarray:
    vt = desc.value_type
    n = 1 if iso else count
    if storage_matches(vt.base, arr.dtype, arr.shape[0], n):
        return values_from_storage(vt.base, arr)
    # Lenient: trust the array's own DLPack dtype when it is a valid binsparse type of the right length.
    try:
        actual = type_string_of(arr.dtype)
    except ValueError:
        actual = None
    msg = (f"data_types[{name!r}] = {desc.data_types[name]!r} does not match the array (dtype {arr.dtype}, "
           f"length {arr.shape[0]}, expected {n} values) (binsparse spec §4; binsparse-protocol §6)")
    if trust and actual is not None and arr.shape[0] == n:
        desc.notes.append(("descriptor.type_strings", msg))
        desc.value_type = ValueType(actual, vt.iso)
        return values_from_storage(actual, arr)
    check = "descriptor.type_strings" if arr.shape[0] in (n, 2 * n) else "descriptor.format"
    raise DecodeError(msg, check)


def stored_entries(desc: Descriptor, arrays: Mapping[str, np.ndarray], *, strict: bool = True,
                   canonical: bool | None = None, trust_values: bool = False):
    """Walk the levels; returns (list of (logical coordinate, position), logical values array).

    Raises DecodeError for length, pointer and range violations, and for order and duplicate violations when
    ``canonical`` (default: ``strict``); otherwise those are recorded in ``desc.notes`` under ``canonical``.
    ``trust_values`` reads a values array whose dtype contradicts its label by the array's own dtype (a note).
    """
    if canonical is None:
        canonical = strict
    arrays = dict(arrays)
    for k in desc.data_types:
        if k not in arrays:
            raise DecodeError(f"array {k!r} listed in data_types is missing (binsparse-protocol §10.1)",
                              "descriptor.data_types_keys")
    if desc.remap.get("cvec_from_csr"):
        ptr = _index_array(desc, "pointers_to_1", _one_d("pointers_to_1", arrays["pointers_to_1"]), strict)
        n = arrays["indices_1"].shape[0]
        if ptr.shape[0] != 2 or ptr[0] != 0 or ptr[1] != n:
            raise DecodeError(f"1-D CSR pointers_to_1 {ptr.tolist()} is not [0, {n}] (binsparse-protocol §11)",
                              "descriptor.format")
        arrays["indices_0"] = arrays["indices_1"]
        desc.data_types = {"indices_0": desc.data_types["indices_1"], "values": desc.data_types["values"],
                           **({"fill_value": desc.data_types["fill_value"]} if desc.fill else {})}
    if desc.remap.get("stacked_coo"):
        stacked = arrays["indices_1"]
        ptr = arrays["pointers_to_1"]
        if stacked.ndim != 2 or stacked.shape[0] != desc.rank:
            raise DecodeError(f"stacked indices_1 has shape {stacked.shape}, expected ({desc.rank}, nnz) "
                              "(binsparse-protocol §11)", "descriptor.format")
        nnz = stacked.shape[1]
        if ptr.ndim != 1 or ptr.shape[0] != 2 or int(ptr[0]) != 0 or int(ptr[1]) != nnz:
            raise DecodeError(f"dummy pointers_to_1 {ptr.tolist()} is not [0, {nnz}] (binsparse-protocol §11, "
                              "§13 row 11)", "canonical")
        label = desc.data_types["indices_1"]
        desc.data_types = {f"indices_{k}": label for k in range(desc.rank)}
        desc.data_types["values"] = desc.value_type.__str__()
        for k in range(desc.rank):
            arrays[f"indices_{k}"] = np.ascontiguousarray(stacked[k])

    stored_shape = desc.shape if desc.transpose is None else tuple(desc.shape[t] for t in desc.transpose)
    entries: list[tuple[tuple[int, ...], int]] = [((), 0)]
    npos = 1
    depth = 0
    for lv in desc.levels:
        dims = stored_shape[depth:depth + lv.rank]
        if lv.kind == "dense":
            block = int(np.prod(dims, dtype=np.int64)) if dims else 1
            new = []
            for prefix, p in entries:
                for lin, idx in enumerate(itertools.product(*(range(d) for d in dims))):
                    new.append((prefix + idx, p * block + lin))
            entries, npos = new, npos * block
        else:
            names = [f"indices_{depth + k}" for k in range(lv.rank)]
            idx = [_index_array(desc, nm, _one_d(nm, arrays[nm]), strict) for nm in names]
            n = idx[0].shape[0]
            for nm, a in zip(names, idx, strict=True):
                if a.shape[0] != n:
                    raise DecodeError(f"{nm} has length {a.shape[0]}, {names[0]} has {n} (binsparse spec §5)",
                                      "descriptor.format")
            if depth == 0:
                ptr = np.array([0, n], dtype=np.int64)
                if npos != 1:  # a root level always has exactly one position
                    raise DecodeError("internal: root with several positions", "descriptor.format")
            else:
                pname = f"pointers_to_{depth}"
                ptr = _index_array(desc, pname, _one_d(pname, arrays[pname]), strict)
                if ptr.shape[0] != npos + 1:
                    raise DecodeError(f"{pname} has length {ptr.shape[0]}, expected {npos + 1} (binsparse spec "
                                      "§4–§5; binsparse-protocol §13 rows 1–2)", "descriptor.format")
                if npos + 1 > 0 and int(ptr[0]) != 0:
                    raise DecodeError(f"{pname}[0] = {int(ptr[0])}, must be 0 (binsparse spec §4)")
                if np.any(np.diff(ptr.astype(np.int64)) < 0):
                    raise DecodeError(f"{pname} = {ptr.tolist()} decreases (binsparse spec §4)")
                if int(ptr[-1]) != n:
                    raise DecodeError(f"{pname}[-1] = {int(ptr[-1])} but the indices hold {n} entries (binsparse "
                                      "spec §4; binsparse-protocol §13 row 11)")
            for k, (nm, a) in enumerate(zip(names, idx, strict=True)):
                if n and (int(a.min()) < 0 or int(a.max()) >= dims[k]):
                    bad = int(a.min()) if int(a.min()) < 0 else int(a.max())
                    raise DecodeError(f"{nm} holds {bad}, outside [0, {dims[k]}) (binsparse spec §4; "
                                      "binsparse-protocol §13 row 14)")
            new = []
            for prefix, p in entries:
                lo, hi = int(ptr[p]), int(ptr[p + 1])
                prev = None
                for q in range(lo, hi):
                    t = tuple(int(a[q]) for a in idx)
                    if prev is not None and t <= prev:
                        what = "duplicate" if t == prev else "unsorted"
                        msg = (f"{what} index {t} after {prev} in {', '.join(names)} at position {q} "
                               "(binsparse spec §4: sorted and unique; binsparse-protocol §13 rows 5, 14)")
                        if canonical:
                            raise DecodeError(msg)
                        desc.notes.append(("canonical", msg))
                    prev = t
                    new.append((prefix + t, q))
            entries, npos = new, n
        depth += lv.rank
    # Empty pointer ranges are forbidden in DCSR/DCSC (pointers_to_1 without repeated values).
    if desc.format in ("DCSR", "DCSC"):
        ptr = arrays.get("pointers_to_1")
        if ptr is not None and ptr.shape[0] > 1 and np.any(np.diff(ptr.astype(np.int64)) == 0):
            msg = (f"{desc.format} pointers_to_1 = {ptr.tolist()} has repeated values (empty rows/columns stored; "
                   "binsparse-protocol §4)")
            if canonical:
                raise DecodeError(msg)
            desc.notes.append(("canonical", msg))

    varr = _one_d("values", arrays["values"])
    iso = desc.value_type.iso
    values = _values(desc, "values", varr, npos, trust_values and not strict, iso)
    if iso:
        values = np.broadcast_to(values, (npos,))
    # logical coordinates: a[transpose[k]] = s[k]
    coords = []
    for s, p in entries:
        if desc.transpose is None:
            a = s
        else:
            lst = [0] * len(s)
            for k, t in enumerate(desc.transpose):
                lst[t] = s[k]
            a = tuple(lst)
        coords.append((a, p))
    return coords, values


def decode(descriptor: object, arrays: Mapping[str, object], *, strict: bool = False,
           canonical: bool | None = None) -> np.ndarray:
    """Decode a descriptor and its constituent arrays (anything with ``__dlpack__``) to a dense NumPy array.

    ``strict=False`` reads every lenient variant of binsparse-protocol §11. ``canonical`` (default: ``strict``)
    rejects unsorted or duplicated indices; when False, duplicates are summed (scipy's convention). Raises
    DescriptorError/DecodeError (ValueError) or UnsupportedFormatError (TypeError).
    """
    desc = descriptor if isinstance(descriptor, Descriptor) else parse_descriptor(descriptor, strict=strict)
    np_arrays = {k: import_array(v) for k, v in arrays.items()}
    walked = stored_entries(desc, np_arrays, strict=strict, canonical=canonical)
    if desc.nnz is not None and desc.nnz != len(walked[0]):
        raise DecodeError(f"number_of_stored_values = {desc.nnz} but the arrays store {len(walked[0])} entries "
                          "(binsparse spec §3; binsparse-protocol §8)", "descriptor.nnz")
    return decode_parsed(desc, np_arrays, strict=strict, entries=walked)


def decode_parsed(desc: Descriptor, arrays: Mapping[str, np.ndarray], *, strict: bool = False,
                  entries: tuple | None = None) -> np.ndarray:
    """Decode with an already parsed descriptor and NumPy arrays (``entries``: a prior stored_entries result)."""
    coords, values = entries if entries is not None else stored_entries(desc, arrays, strict=strict)
    dtype = desc.value_type.dtype
    out = np.zeros(desc.shape, dtype=dtype)
    if desc.fill:
        farr = _one_d("fill_value", arrays["fill_value"])
        fv = _fill_value(desc, farr)
        out[...] = fv
    seen: set[tuple[int, ...]] = set()
    for a, p in coords:
        v = values[p]
        if a in seen:  # only reachable when not strict: sum duplicates (scipy's convention)
            out[a] = out[a] + v
        else:
            out[a] = v
            seen.add(a)
    if desc.structure is not None:
        lower = desc.structure.endswith("_lower")
        for (i, j), _ in coords:
            if (lower and i < j) or (not lower and i > j):
                raise DecodeError(f"stored entry ({i}, {j}) is outside the {desc.structure} triangle "
                                  "(binsparse-protocol §7)")
        for (i, j), _ in coords:
            if i == j:
                continue
            v = out[i, j]
            if desc.structure.startswith("symmetric"):
                out[j, i] = v
            elif desc.structure.startswith("hermitian"):
                out[j, i] = np.conj(v)
            else:
                out[j, i] = -v
    return out


def _fill_value(desc: Descriptor, farr: np.ndarray):
    base = desc.value_type.base
    if not storage_matches(base, farr.dtype, farr.shape[0], 1):
        raise DecodeError(f"fill_value (dtype {farr.dtype}, length {farr.shape[0]}) is not one {base} value "
                          "(binsparse-protocol §7)", "descriptor.type_strings")
    return values_from_storage(base, farr)[0]


def canonical_problems(descriptor: object, arrays: Mapping[str, object]) -> list[str]:
    """Every canonicality violation (pointer rules, range, order, duplicates) of a lenient-readable instance."""
    desc = descriptor if isinstance(descriptor, Descriptor) else parse_descriptor(descriptor, strict=False)
    before = len(desc.notes)
    try:
        stored_entries(desc, {k: import_array(v) for k, v in arrays.items()}, strict=False)
    except DecodeError as e:
        return [str(e)]
    return [m for c, m in desc.notes[before:] if c == "canonical"]


# ----------------------------------------------------------------------------------------------------------------
# Encoder


def resolve_format(fmt: object) -> tuple[str, tuple[Level, ...], tuple[int, ...] | None]:
    """(name, levels, transpose) for a predefined name, or for a ``(levels, transpose)`` custom format."""
    if isinstance(fmt, str):
        name = ALIASES.get(fmt, fmt)
        if name not in PREDEFINED:
            raise DescriptorError(f"unknown format {fmt!r}")
        levels, tr = PREDEFINED[name]
        return name, levels, tr
    levels, tr = fmt
    levels = tuple(lv if isinstance(lv, Level) else Level(*lv) for lv in levels)
    tr = tuple(tr) if tr is not None else None
    alias = alias_of(levels, tr)
    return (alias or "custom"), levels, tr


def custom_block(levels: tuple[Level, ...], transpose: tuple[int, ...] | None) -> dict:
    """The spec ``custom`` object of a level format."""
    node: dict = {"level_desc": "element"}
    for lv in reversed(levels):
        node = {"level_desc": lv.kind, "rank": lv.rank, "level": node}
    out = {"level": node}
    if transpose is not None:
        out["transpose"] = list(transpose)
    return out


def encode(
    dense: np.ndarray,
    fmt: object,
    *,
    index_dtype: object = np.int64,
    pointer_dtype: object = None,
    value_type: str | None = None,
    iso: bool = False,
    complex_layout: str = "interleaved",
    fill_value: object = None,
    structure: str | None = None,
    stored: np.ndarray | None = None,
    force_custom: bool = False,
) -> tuple[dict, dict[str, np.ndarray]]:
    """Encode a dense array into the strict form of ``fmt``: returns (wrapped descriptor, arrays).

    ``stored`` is a boolean mask of the logical entries to store (default: entries different from the fill value,
    restricted to the declared ``structure`` triangle); it allows explicit zeros. ``fmt`` is a predefined name or
    ``(levels, transpose)``.
    """
    dense = np.asarray(dense)
    name, levels, tr = resolve_format(fmt)
    if sum(lv.rank for lv in levels) != dense.ndim:
        raise DescriptorError(f"format {name} has rank {sum(lv.rank for lv in levels)}, dense has {dense.ndim}")
    base = value_type or type_string_of(dense.dtype)
    fill = fill_value is not None
    fv = fill_value if fill else 0
    if stored is None:
        stored = dense != fv
        if structure is not None:
            i, j = np.indices(dense.shape)
            stored &= (i >= j) if structure.endswith("_lower") else (i <= j)
    B = np.transpose(dense, tr) if tr is not None else dense
    M = np.transpose(stored, tr) if tr is not None else stored
    pdt = np.dtype(pointer_dtype if pointer_dtype is not None else index_dtype)
    idt = np.dtype(index_dtype)
    arrays: dict[str, np.ndarray] = {}
    positions: list[tuple[int, ...]] = [()]
    depth = 0
    for lv in levels:
        dims = B.shape[depth:depth + lv.rank]
        if lv.kind == "dense":
            positions = [p + i for p in positions for i in itertools.product(*(range(d) for d in dims))]
        else:
            ptr = [0]
            cols: list[list[int]] = [[] for _ in range(lv.rank)]
            new = []
            for p in positions:
                sub = M[p] if p else M
                red = sub.any(axis=tuple(range(lv.rank, sub.ndim))) if sub.ndim > lv.rank else sub
                for t in np.argwhere(red):
                    t = tuple(int(x) for x in t)
                    new.append(p + t)
                    for k in range(lv.rank):
                        cols[k].append(t[k])
                ptr.append(len(new))
            if depth > 0:
                arrays[f"pointers_to_{depth}"] = np.array(ptr, dtype=pdt)
            for k in range(lv.rank):
                arrays[f"indices_{depth + k}"] = np.array(cols[k], dtype=idt)
            positions = new
        depth += lv.rank
    vals = np.array([B[p] for p in positions], dtype=dense.dtype).reshape(len(positions))
    nnz = len(positions)
    if iso:
        if nnz and not np.all(vals == vals[0]):
            raise ValueError("iso requested but the stored values differ")
        vals = vals[:1] if nnz else np.zeros(1, dtype=dense.dtype)
    arrays["values"] = storage_from_values(base, vals.astype(logical_dtype(base)), complex_layout=complex_layout)
    if fill:
        arrays["fill_value"] = storage_from_values(base, np.array([fv], dtype=logical_dtype(base)),
                                                   complex_layout=complex_layout)
    p_names, i_names = level_arrays(levels)
    order = sorted(p_names + i_names, key=lambda n: (int(n.rsplit("_", 1)[1]), n.startswith("indices")))
    data_types = {k: arrays[k].dtype.name for k in order}
    data_types["values"] = f"iso[{base}]" if iso else base
    if fill:
        data_types["fill_value"] = base
    inner: dict = {"version": "0.1", "format": "custom" if (name == "custom" or force_custom) else name,
                   "shape": list(dense.shape), "number_of_stored_values": nnz}
    if fill:
        inner["fill"] = True
    if structure is not None:
        inner["structure"] = structure
    if name == "custom" or force_custom:
        inner["custom"] = custom_block(levels, tr)
        if force_custom:
            inner["format"] = name
    inner["data_types"] = data_types
    return {"binsparse": inner, "original_source": "sparsebridge.compliance reference producer"}, arrays

"""Format table and descriptor parsing (binsparse spec §3–§5; binsparse-protocol §2–§9, §11).

:func:`parse_descriptor` reads the wrapped strict form and the lenient variants of binsparse-protocol §11. Every
deviation from the strict form is recorded in :attr:`Descriptor.notes` under the name of the compliance check it
breaks, so that a producer check can report it while a consumer-side decoder still reads the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import INDEX_TYPES, TypeStringError, ValueType, parse_value_type


class DescriptorError(ValueError):
    """An invalid descriptor (binsparse-protocol §10.2: invalid descriptors raise ValueError).

    ``check`` names the compliance check the problem belongs to (see :data:`report.CHECKS`).
    """

    def __init__(self, message: str, check: str = "descriptor.format") -> None:
        super().__init__(message)
        self.check = check


class UnsupportedFormatError(TypeError):
    """A format name that is not a binsparse 0.1 format (binsparse-protocol §10.2: unsupported → TypeError)."""


@dataclass(frozen=True)
class Level:
    """One level of a level format: ``kind`` is ``"dense"`` or ``"sparse"``; ``rank`` its number of dimensions."""

    kind: str
    rank: int


def _fmt(levels: str, transpose: tuple[int, ...] | None = None) -> tuple[tuple[Level, ...], tuple[int, ...] | None]:
    out = []
    for part in levels.split():
        kind, rank = part.split(":")
        out.append(Level(kind, int(rank)))
    return tuple(out), transpose


#: Predefined formats as levels (outer → inner, element implied) and transpose (binsparse-protocol §5 table).
PREDEFINED: dict[str, tuple[tuple[Level, ...], tuple[int, ...] | None]] = {
    "DVEC": _fmt("dense:1"),
    "DMATR": _fmt("dense:1 dense:1"),
    "DMATC": _fmt("dense:1 dense:1", (1, 0)),
    "CVEC": _fmt("sparse:1"),
    "CSR": _fmt("dense:1 sparse:1"),
    "CSC": _fmt("dense:1 sparse:1", (1, 0)),
    "DCSR": _fmt("sparse:1 sparse:1"),
    "DCSC": _fmt("sparse:1 sparse:1", (1, 0)),
    "COOR": _fmt("sparse:2"),
    "COOC": _fmt("sparse:2", (1, 0)),
}
#: Aliases of binsparse spec §4, read as their target.
ALIASES = {"COO": "COOR", "DMAT": "DMATR"}
#: Matrix (rank 2) and vector (rank 1) predefined formats.
MATRIX_FORMATS = ("DMATR", "DMATC", "CSR", "CSC", "DCSR", "DCSC", "COOR", "COOC")
VECTOR_FORMATS = ("DVEC", "CVEC")
STRUCTURES = (
    "symmetric_lower",
    "symmetric_upper",
    "hermitian_lower",
    "hermitian_upper",
    "skew_symmetric_lower",
    "skew_symmetric_upper",
)
SUPPORTED_VERSIONS = ("0.1", "0.1.0")


def level_arrays(levels: tuple[Level, ...]) -> tuple[list[str], list[str]]:
    """(pointer array names, index array names) of a level format, by the §5 naming rule."""
    pointers, indices = [], []
    depth = 0
    for lv in levels:
        if lv.kind == "sparse":
            if depth > 0:
                pointers.append(f"pointers_to_{depth}")
            indices.extend(f"indices_{depth + k}" for k in range(lv.rank))
        depth += lv.rank
    return pointers, indices


def alias_of(levels: tuple[Level, ...], transpose: tuple[int, ...] | None) -> str | None:
    """The predefined name of a level format, or None (identity transposes compare equal to none)."""
    rank = sum(lv.rank for lv in levels)
    norm = None if transpose is None or tuple(transpose) == tuple(range(rank)) else tuple(transpose)
    for name, (lv, tr) in PREDEFINED.items():
        if lv == tuple(levels) and tr == norm:
            return name
    return None


@dataclass
class Descriptor:
    """A parsed descriptor, normalised: levels and transpose are explicit even for predefined formats."""

    format: str
    shape: tuple[int, ...]
    nnz: int | None
    levels: tuple[Level, ...]
    transpose: tuple[int, ...] | None
    data_types: dict[str, str]
    value_type: ValueType
    fill: bool = False
    structure: str | None = None
    version: str = "0.1"
    #: (check name, message) for each deviation from the strict form that lenient reading tolerated.
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: Lenient array remapping: ``{"CVEC from 1-D CSR"|"stacked COO": ...}`` (see decode).
    remap: dict[str, str] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def pointer_names(self) -> list[str]:
        """Pointer array names in level order."""
        return level_arrays(self.levels)[0]

    @property
    def index_names(self) -> list[str]:
        """Index array names in level order."""
        return level_arrays(self.levels)[1]

    def required_arrays(self) -> list[str]:
        """Every array the format needs, in strict order (binsparse-protocol §12 rule 3)."""
        p, i = level_arrays(self.levels)
        order = sorted(p + i, key=lambda n: (int(n.rsplit("_", 1)[1]), n.startswith("indices")))
        return order + ["values"] + (["fill_value"] if self.fill else [])


def _levels_from_custom(node: object, notes: list[tuple[str, str]], lenient: bool) -> tuple[Level, ...]:
    out: list[Level] = []
    while True:
        if not isinstance(node, dict):
            raise DescriptorError(f"custom level must be an object, got {node!r} (binsparse spec §5)")
        kind = node.get("level_desc")
        if kind is None and lenient and "level_kind" in node:
            kind = node["level_kind"]
            notes.append(("descriptor.format", "'level_kind' is the pre-2025 key for 'level_desc' (§11)"))
        if kind == "element":
            return tuple(out)
        if kind not in ("dense", "sparse"):
            raise DescriptorError(f"level_desc {kind!r} is not element/dense/sparse (binsparse spec §5)")
        rank = node.get("rank", 1)
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            raise DescriptorError(f"level rank {rank!r} must be a positive integer (binsparse spec §5)")
        out.append(Level(kind, rank))
        node = node.get("level")


def _parse_custom(block: object, notes: list[tuple[str, str]], lenient: bool):
    if not isinstance(block, dict):
        raise DescriptorError(f"custom must be an object, got {block!r} (binsparse spec §5)")
    key = "level"
    if "level" not in block and lenient and "tensor" in block:
        key = "tensor"
        notes.append(("descriptor.format", "'tensor' is the pre-2025 key for 'level' (§11)"))
    if key not in block:
        raise DescriptorError("custom block has no 'level' (binsparse spec §5)")
    levels = _levels_from_custom(block[key], notes, lenient)
    tr = block.get("transpose")
    if tr is not None:
        if not isinstance(tr, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in tr):
            raise DescriptorError(f"transpose {tr!r} must be a list of integers (binsparse spec §5)")
        tr = tuple(tr)
    return levels, tr


def parse_descriptor(desc: object, *, strict: bool = False) -> Descriptor:
    """Parse a descriptor dict. ``strict=True`` raises DescriptorError on any deviation from the strict form.

    Raises DescriptorError (a ValueError) for invalid descriptors and UnsupportedFormatError (a TypeError) for
    format names that are not binsparse 0.1 formats, such as ``"BSR"``.
    """
    notes: list[tuple[str, str]] = []
    lenient = not strict

    def note(check: str, msg: str) -> None:
        if strict:
            raise DescriptorError(msg, check)
        notes.append((check, msg))

    if not isinstance(desc, dict):
        raise DescriptorError(f"descriptor must be a dict, got {type(desc).__name__} (binsparse-protocol §10.1)",
                              "descriptor.wrapper")
    inner = desc.get("binsparse")
    if not isinstance(inner, dict):
        if ("format" in desc or "custom" in desc) and "data_types" in desc:
            note("descriptor.wrapper", "descriptor is not wrapped in {'binsparse': ...} (binsparse spec §3)")
            inner = desc
        else:
            raise DescriptorError("descriptor has no 'binsparse' object (binsparse spec §3)", "descriptor.wrapper")
    for k in ("attrs", "attributes"):
        if k in inner:
            note("descriptor.wrapper", f"{k!r} inside the namespace is not 0.1 (binsparse-protocol §12 rule 13)")
    known = {"version", "format", "shape", "number_of_stored_values", "data_types", "fill", "structure", "custom"}
    for k in inner:
        if k not in known | {"attrs", "attributes"}:
            note("descriptor.wrapper", f"unknown key {k!r} inside 'binsparse' (binsparse spec §3)")

    version = inner.get("version")
    if version is None:
        note("descriptor.version", "no 'version' (legacy writer; binsparse-protocol §11)")
        version = "0.1"
    elif version not in SUPPORTED_VERSIONS:
        raise DescriptorError(f"version {version!r} is not 0.1 (binsparse spec §3; binsparse-protocol §11)",
                              "descriptor.version")
    elif version != "0.1":
        note("descriptor.version", f"version {version!r}: the strict form writes '0.1' (binsparse-protocol §12 rule 2)")

    # format / custom
    fmt = inner.get("format")
    custom = inner.get("custom")
    if isinstance(fmt, dict) and "custom" in fmt and custom is None:
        note("descriptor.format", "'format': {'custom': ...} is the sparse PR #764 form (binsparse-protocol §11)")
        custom, fmt = fmt["custom"], "custom"
    if custom is not None:
        levels, transpose = _parse_custom(custom, notes, lenient)
        alias = alias_of(levels, transpose)
        if fmt is None:
            note("descriptor.format", "custom format without 'format' (binsparse spec §3 says it must be present)")
        elif fmt == "custom":
            if alias is not None:
                note("descriptor.format", f"custom levels equal {alias}: write the predefined name (§12 rule 4)")
        elif isinstance(fmt, str) and ALIASES.get(fmt, fmt) in PREDEFINED:
            if ALIASES.get(fmt, fmt) != alias:
                raise DescriptorError(f"format {fmt!r} disagrees with its custom block (binsparse-protocol §11)")
        else:
            raise DescriptorError(f"format {fmt!r} with a custom block (binsparse spec §3)")
        name = alias if alias is not None else "custom"
    else:
        if not isinstance(fmt, str):
            raise DescriptorError(f"format {fmt!r} is missing or not a string (binsparse spec §3)")
        if fmt in ALIASES:
            note("descriptor.format", f"alias {fmt!r}: the strict form writes {ALIASES[fmt]!r} (§12 rule 4)")
            fmt = ALIASES[fmt]
        if fmt not in PREDEFINED:
            raise UnsupportedFormatError(f"format {fmt!r} is not a binsparse 0.1 format (binsparse spec §4; "
                                         "binsparse-protocol §13 row 12)")
        name = fmt
        levels, transpose = PREDEFINED[fmt]

    shape = inner.get("shape")
    if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in shape):
        raise DescriptorError(f"shape {shape!r} must be a list of integers (binsparse spec §3)")
    if any(s < 0 for s in shape):
        raise DescriptorError(f"shape {shape!r} has a negative extent (binsparse-protocol §9 step 10)")
    shape_t = tuple(shape)
    remap: dict[str, str] = {}
    rank = sum(lv.rank for lv in levels)
    data_types = inner.get("data_types")
    if not isinstance(data_types, dict):
        raise DescriptorError(f"data_types {data_types!r} must be an object (binsparse spec §3)")
    if name == "CSR" and len(shape_t) == 1 and lenient:
        note("descriptor.format", "1-D data labelled CSR; read as CVEC (binsparse-protocol §11, §13 row 6)")
        name, (levels, transpose) = "CVEC", PREDEFINED["CVEC"]
        remap["cvec_from_csr"] = "1"
        rank = 1
    if name == "COOR" and lenient and "pointers_to_1" in data_types and "indices_0" not in data_types:
        note("descriptor.format", "COO with dummy pointers_to_1 and a stacked 2-D indices_1 (§11)")
        remap["stacked_coo"] = "1"
        levels = (Level("sparse", len(shape_t)),)
        rank = len(shape_t)
    if rank != len(shape_t):
        raise DescriptorError(f"shape {shape!r} has rank {len(shape_t)} but format {name} has rank {rank} "
                              "(binsparse-protocol §9 step 5, §13 row 19)")
    if transpose is not None and sorted(transpose) != list(range(rank)):
        raise DescriptorError(f"transpose {list(transpose)!r} is not a permutation of 0..{rank - 1} "
                              "(binsparse spec §5)")

    fill = inner.get("fill", False)
    if not isinstance(fill, bool):
        raise DescriptorError(f"fill {fill!r} must be a boolean (binsparse spec §3)")
    structure = inner.get("structure")
    if structure is not None:
        if structure not in STRUCTURES:
            raise DescriptorError(f"structure {structure!r} is not one of {STRUCTURES} (binsparse spec §3)")
        if len(shape_t) != 2 or shape_t[0] != shape_t[1]:
            raise DescriptorError(f"structure {structure!r} needs a square 2-D shape, got {shape!r} "
                                  "(binsparse-protocol §7, §9 step 9)")

    parsed = Descriptor(name, shape_t, None, levels, transpose, dict(data_types), ValueType("float64"), fill,
                        structure, version, notes, remap)
    # data_types keys and type strings
    if remap.get("cvec_from_csr"):
        required = ["pointers_to_1", "indices_1", "values"]
    elif remap.get("stacked_coo"):
        required = ["pointers_to_1", "indices_1", "values"]
    else:
        required = parsed.required_arrays()[: -1 if fill else None]
    if fill:
        required = required + ["fill_value"]
    missing = [k for k in required if k not in data_types]
    extra = [k for k in data_types if k not in required]
    if missing or extra:
        raise DescriptorError(f"data_types keys {sorted(data_types)} do not match format {name}: missing {missing}, "
                              f"extra {extra} (binsparse-protocol §9 step 7)")
    for k in required:
        if k in ("values", "fill_value"):
            continue
        if data_types[k] not in INDEX_TYPES:
            raise DescriptorError(f"data_types[{k!r}] = {data_types[k]!r} is not an integer type "
                                  "(binsparse spec §4; binsparse-protocol §6)", "descriptor.type_strings")
    try:
        vt, vnotes = parse_value_type(data_types["values"], lenient=lenient)
    except TypeStringError as e:
        raise DescriptorError(str(e), "descriptor.type_strings") from e
    for n in vnotes:
        note("descriptor.type_strings", n)
    if fill:
        try:
            fvt, _ = parse_value_type(data_types["fill_value"], lenient=lenient)
        except TypeStringError as e:
            raise DescriptorError(str(e), "descriptor.type_strings") from e
        if fvt.iso or fvt.base != vt.base:
            raise DescriptorError(f"fill_value type {data_types['fill_value']!r} differs from values type "
                                  f"{data_types['values']!r} (binsparse-protocol §7)", "descriptor.type_strings")
    if structure is not None and structure.startswith("hermitian") and not vt.base.startswith("complex"):
        raise DescriptorError(f"structure {structure!r} needs complex values, got {vt} (binsparse-protocol §7)")
    parsed.value_type = vt

    nnz = inner.get("number_of_stored_values")
    if nnz is None:
        note("descriptor.nnz", "no number_of_stored_values (legacy writer; binsparse-protocol §11)")
    elif not isinstance(nnz, int) or isinstance(nnz, bool) or nnz < 0:
        raise DescriptorError(f"number_of_stored_values {nnz!r} must be a non-negative integer (binsparse spec §3)",
                              "descriptor.nnz")
    parsed.nnz = nnz
    return parsed

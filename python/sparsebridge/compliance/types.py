"""binsparse type strings (binsparse spec §4 "Data types"; binsparse-protocol §6) and their NumPy dtypes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Integer type strings: the only types allowed for index and pointer arrays.
INDEX_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
#: Plain (non-modified) value type strings of the spec.
PLAIN_TYPES = INDEX_TYPES + ("float32", "float64")
#: Every value base type the kit handles, as a spec type string.
VALUE_TYPES = PLAIN_TYPES + ("bint8", "complex[float32]", "complex[float64]")

_COMPLEX = {"complex[float32]": np.dtype(np.complex64), "complex[float64]": np.dtype(np.complex128)}


class TypeStringError(ValueError):
    """A type string is not one of the spec's (binsparse spec §4; binsparse-protocol §6)."""


@dataclass(frozen=True)
class ValueType:
    """A parsed value type string: ``base`` is a spec string without ``iso[...]``; ``iso`` says it was wrapped."""

    base: str
    iso: bool = False

    @property
    def dtype(self) -> np.dtype:
        """The logical NumPy dtype of the values (bool for bint8, complex for complex[...])."""
        return logical_dtype(self.base)

    def __str__(self) -> str:
        return f"iso[{self.base}]" if self.iso else self.base


def logical_dtype(base: str) -> np.dtype:
    """NumPy dtype of the logical values of spec base type ``base``."""
    if base == "bint8":
        return np.dtype(np.bool_)
    if base in _COMPLEX:
        return _COMPLEX[base]
    if base in PLAIN_TYPES:
        return np.dtype(base)
    raise TypeStringError(f"unknown value type {base!r} (binsparse spec §4)")


def parse_value_type(text: object, *, lenient: bool = False) -> tuple[ValueType, list[str]]:
    """Parse a value type string; returns the type and notes on lenient deviations (e.g. ``"bool"``)."""
    notes: list[str] = []
    if not isinstance(text, str):
        raise TypeStringError(f"type string must be a string, got {text!r} (binsparse spec §4)")
    iso = False
    s = text
    if s.startswith("iso[") and s.endswith("]"):
        iso, s = True, s[4:-1]
    if s == "bool" and lenient:
        notes.append(f"type string {text!r}: 'bool' is not a spec type, read as bint8 (binsparse-protocol §11)")
        s = "bint8"
    if s not in VALUE_TYPES:
        raise TypeStringError(f"unknown type string {text!r} (binsparse spec §4; binsparse-protocol §6)")
    return ValueType(s, iso), notes


def type_string_of(dtype: np.dtype) -> str:
    """The spec base type string of a NumPy dtype (bool → bint8, complex128 → complex[float64])."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "bint8"
    if dtype == np.complex64:
        return "complex[float32]"
    if dtype == np.complex128:
        return "complex[float64]"
    name = dtype.name
    if name in PLAIN_TYPES:
        return name
    raise TypeStringError(f"dtype {dtype} has no binsparse type string (binsparse spec §4)")


def storage_matches(base: str, storage: np.dtype, length: int, count: int) -> bool:
    """Whether an array of ``storage`` dtype and ``length`` holds ``count`` values of spec type ``base``.

    Accepts exactly the in-memory forms of binsparse-protocol §6: bint8 as uint8 or bool, complex as interleaved
    floats of length ``2*count`` or as a complex array of length ``count``; other types need the exact dtype.
    """
    storage = np.dtype(storage)
    if base == "bint8":
        return storage in (np.dtype(np.uint8), np.dtype(np.bool_)) and length == count
    if base in _COMPLEX:
        cdt = _COMPLEX[base]
        if storage == cdt:
            return length == count
        return storage == np.dtype(cdt.char.lower()) and length == 2 * count
    return storage == np.dtype(base) and length == count


def values_from_storage(base: str, arr: np.ndarray) -> np.ndarray:
    """Logical values from a storage array already checked by :func:`storage_matches`."""
    if base == "bint8":
        return arr.astype(np.bool_)
    if base in _COMPLEX:
        cdt = _COMPLEX[base]
        if arr.dtype == cdt:
            return arr
        return np.ascontiguousarray(arr).view(cdt)
    return arr


def storage_from_values(base: str, values: np.ndarray, *, complex_layout: str = "interleaved") -> np.ndarray:
    """The storage array for logical ``values`` (bint8 → uint8; complex → interleaved floats or native)."""
    if base == "bint8":
        return np.ascontiguousarray(values, dtype=np.bool_).view(np.uint8)
    if base in _COMPLEX:
        cdt = _COMPLEX[base]
        arr = np.ascontiguousarray(values, dtype=cdt)
        if complex_layout == "native":
            return arr
        if complex_layout != "interleaved":
            raise ValueError(f"complex_layout must be 'interleaved' or 'native', got {complex_layout!r}")
        return arr.view(cdt.char.lower())
    return np.ascontiguousarray(values, dtype=np.dtype(base))

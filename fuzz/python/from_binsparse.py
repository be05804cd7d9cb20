"""atheris target (`make fuzz-py`): the Python consumer on arbitrary producers.

Each input builds a producer object: a descriptor dict decoded from JSON-ish bytes (or a
non-dict), and constituent arrays of arbitrary dtypes, lengths, strides and contents (or objects
that are not arrays at all). ``from_binsparse`` must either return an array that passes the full
structural check and decodes to a dense array, or raise one of the documented exceptions:
``BinsparseError`` and its subclasses, ``TypeError``, ``ValueError``, ``BufferError``. Anything
else (a Rust panic surfacing as ``PanicException``, ``SystemError``, a crash) is a finding.
"""

from __future__ import annotations

import json
import sys
import warnings

import atheris

with atheris.instrument_imports():
    import numpy as np

    import sparsebridge as sb

warnings.simplefilter("ignore")

DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
          "complex64", "complex128", "bool"]
NAMES = ["pointers_to_1", "indices_0", "indices_1", "values", "fill_value", "pointers_to_0"]
FORMATS = ["CSR", "CSC", "COO", "COOR", "COOC", "DCSR", "DCSC", "DVEC", "DMAT", "DMATR", "DMATC", "CVEC", "csr",
           "BSR", ""]
TYPES = DTYPES + ["iso[float64]", "bint8", "complex[float64]", "float16", "iso[int8]", "int128", "x"]
ALLOWED = (sb.errors.BinsparseError, TypeError, ValueError, BufferError)


class Producer:
    def __init__(self, desc: object, arrays: object) -> None:
        self.desc, self.arrays = desc, arrays

    def __binsparse_descriptor__(self) -> object:
        return self.desc

    def __binsparse__(self, *, descriptor: object = None) -> object:
        return self.arrays


def build(fdp: atheris.FuzzedDataProvider) -> Producer:
    if fdp.ConsumeIntInRange(0, 15) == 0:
        raw = fdp.ConsumeUnicodeNoSurrogates(200)
        try:
            desc: object = json.loads(raw)
        except ValueError:
            desc = raw
    else:
        rank = fdp.ConsumeIntInRange(1, 3)
        inner: dict[str, object] = {
            "version": fdp.PickValueInList(["0.1", "0.1.0", "1.0", 0.1]),
            "format": fdp.PickValueInList(FORMATS),
            "shape": [fdp.ConsumeIntInRange(-1, 9) for _ in range(rank)],
            "number_of_stored_values": fdp.ConsumeIntInRange(-1, 30),
        }
        names = [n for n in NAMES if fdp.ConsumeBool()]
        inner["data_types"] = {n: fdp.PickValueInList(TYPES) for n in names}
        if fdp.ConsumeBool():
            inner["fill"] = fdp.ConsumeBool()
        if fdp.ConsumeIntInRange(0, 7) == 0:
            inner["structure"] = fdp.PickValueInList(["symmetric_lower", "hermitian_upper", "nope"])
        desc = {"binsparse": inner} if fdp.ConsumeIntInRange(0, 7) else inner
    arrays: dict[str, object] = {}
    names = list(desc.get("binsparse", desc).get("data_types", {})) if isinstance(desc, dict) and isinstance(
        desc.get("binsparse", desc), dict) and isinstance(desc.get("binsparse", desc).get("data_types"), dict) else []
    for n in names + ([fdp.PickValueInList(NAMES)] if fdp.ConsumeIntInRange(0, 7) == 0 else []):
        kind = fdp.ConsumeIntInRange(0, 15)
        if kind == 0:
            arrays[n] = fdp.PickValueInList([None, 3, "x", [1, 2], object()])
            continue
        dt = np.dtype(fdp.PickValueInList(DTYPES))
        length = fdp.ConsumeIntInRange(0, 24)
        raw = fdp.ConsumeBytes(length * dt.itemsize)
        raw = raw + bytes(length * dt.itemsize - len(raw))
        a = np.frombuffer(raw, dtype=dt).copy() if dt != np.bool_ else np.frombuffer(raw, np.uint8).astype(bool)
        if dt.kind in "iu" and fdp.ConsumeBool():
            a = a % max(1, fdp.ConsumeIntInRange(1, 10)) if dt.kind == "u" else np.abs(a) % 10
        if kind == 1 and a.size > 1:
            a = a[::2]
        elif kind == 2:
            a = a.reshape(1, -1)
        arrays[n] = a
    return Producer(desc, arrays)


def test_one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    p = build(fdp)
    copy = fdp.PickValueInList([None, True, False])
    try:
        a = sb.from_binsparse(p, copy=copy)
    except ALLOWED:
        return
    a.validate()
    a.todense()


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()

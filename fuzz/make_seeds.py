#!/usr/bin/env python3
"""Writes the committed seed corpora in fuzz/seeds/<target>/ (small, hand-picked valid and
near-valid inputs). Run from the repository root after `cargo build -p sparsebridge-cli`:

    .venv/bin/python fuzz/make_seeds.py

Matrix Market seeds are written here; the NPY and HDF5 seeds are the same matrices converted by
the CLI (target/debug/sparsebridge), so they follow exactly the layout our writers produce.
"""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
SEP = b"\x00SBFUZZ\x00"
CLI = ROOT / "target" / "debug" / "sparsebridge"
NPY_NAMES = ["pointers_to_1", "indices_0", "indices_1", "values"]

MTX = {
    "real_general": "%%MatrixMarket matrix coordinate real general\n3 4 4\n1 1 1.5\n2 3 -2\n3 1 4e10\n3 4 0.25\n",
    "integer_general": "%%MatrixMarket matrix coordinate integer general\n% comment\n2 2 3\n1 1 7\n1 2 -1\n2 2 3\n",
    "pattern_symmetric": "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 3\n1 1\n2 1\n3 2\n",
    "complex_hermitian": "%%MatrixMarket matrix coordinate complex hermitian\n2 2 2\n1 1 1 0\n2 1 0.5 -0.5\n",
    "real_skew": "%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 2\n2 1 1\n3 1 -2\n",
    "array_real": "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
    "empty": "%%MatrixMarket matrix coordinate real general\n5 5 0\n",
    "vector": "%%MatrixMarket vector coordinate real general\n6 2\n2 1.0\n5 -1.0\n",
}

DESCRIPTORS = [
    {"binsparse": {"version": "0.1", "format": "CSR", "shape": [3, 4], "number_of_stored_values": 4,
                   "data_types": {"pointers_to_1": "uint64", "indices_1": "int32", "values": "float64"}}},
    {"binsparse": {"version": "0.1", "format": "COOR", "shape": [2, 2], "number_of_stored_values": 1,
                   "data_types": {"indices_0": "int64", "indices_1": "int64", "values": "iso[bint8]"}}},
    {"binsparse": {"version": "0.1", "format": "DVEC", "shape": [5], "number_of_stored_values": 5,
                   "fill": True, "data_types": {"values": "complex[float32]", "fill_value": "complex[float32]"}}},
    {"binsparse": {"version": "0.1", "format": {"custom": {"level": {"level_desc": "dense", "rank": 1,
                   "level": {"level_desc": "sparse", "rank": 1, "level": {"element": {}}}}}},
                   "shape": [3, 3], "number_of_stored_values": 2, "structure": "symmetric_lower",
                   "data_types": {"pointers_to_1": "int32", "indices_1": "int32", "values": "int8"}}},
    {"binsparse": {"version": "0.1.0", "format": "DCSC", "shape": [10, 10], "nnz": 3,
                   "data_types": {"indices_0": "uint16", "pointers_to_1": "uint16", "indices_1": "uint16",
                                  "values": "float16"}}, "user": {"k": [1, 2]}},
]


def write(target: str, name: str, data: bytes) -> None:
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def npy(dtype_descr: str, shape: tuple[int, ...], payload: bytes) -> bytes:
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        dtype_descr, "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")")
    header = header.ljust((len(header) + 11 + 63) // 64 * 64 - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def dlpack_seed(ndim: int, shape: list[int], strides_code: int, dtype: int, device: int, copy: int) -> bytes:
    # Matches fuzz_targets/dlpack_import.rs's reading order (small, mostly valid tensors).
    out = bytearray([0, 3])           # versioned, version (1, 3)
    out += bytes(8)                   # flags
    out += bytes([ndim])              # ndim = n % 4 (n != 0)
    out += bytes([1, 1])              # shape and strides pointers non-NULL
    for s in shape:
        out += bytes([2, s])          # small extent
    for _ in shape:
        out += bytes([strides_code])  # 1: compact stride
    out += bytes([1, dtype])          # one of the valid dtypes
    out += bytes([device])            # 4: CPU
    out += bytes([2, 0, 1, copy, 0])  # byte_offset 0, skew 0, data, copy option, 1-D
    return bytes(out)


def main() -> int:
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
    for name, text in MTX.items():
        write("mtx_read", f"{name}.mtx", b"\x00" + text.encode())
    for i, d in enumerate(DESCRIPTORS):
        write("descriptor", f"d{i}.json", json.dumps(d).encode())
    for i, (nd, shape, st, dt, dev, cp) in enumerate([
        (1, [4], 1, 6, 4, 0), (2, [2, 3], 1, 2, 4, 1), (1, [0], 1, 0, 4, 2), (1, [3], 1, 8, 2, 0),
        (2, [3, 1], 1, 4, 3, 0), (1, [5], 1, 7, 1, 1),
    ]):
        write("dlpack_import", f"t{i}.bin", dlpack_seed(nd, shape, st, dt, dev, cp))
    # convert: m, n (u16 each), index type, nnz, hostile flag, entries (u16 row, u16 col, i8), steps.
    for i, (m, n, entries, steps) in enumerate([
        (3, 4, [(0, 1, 5), (2, 3, -1), (0, 1, 2), (1, 0, 7)], [2, 0, 3, 1]),
        (5, 5, [(4, 4, 1), (0, 0, 1), (2, 2, -3)], [4, 1, 6, 0]),
        (1, 7, [(0, 6, 9), (0, 0, 9)], [7, 3, 5, 2]),
        (0, 3, [], [2, 1, 3, 0]),
    ]):
        b = struct.pack(">HHBBB", m, n, i % 4, len(entries), 1)
        for r, c, v in entries:
            b += struct.pack(">HHb", r, c, v)
        write("convert", f"c{i}.bin", b + bytes(steps))
    # NPY: single files, then directories via the CLI.
    write("npy_read", "f64.npy", npy("<f8", (3,), struct.pack("<3d", 1.0, 2.5, -3.0)))
    write("npy_read", "i32.npy", npy("<i4", (4,), struct.pack("<4i", 0, 1, 2, 3)))
    write("npy_read", "c64.npy", npy("<c8", (1,), struct.pack("<2f", 1.0, -1.0)))
    write("npy_read", "bool.npy", npy("|b1", (2,), b"\x01\x00"))
    if not CLI.exists():
        print(f"{CLI} not built: NPY-directory and HDF5 seeds skipped", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for name, text in MTX.items():
            src = t / f"{name}.mtx"
            src.write_text(text)
            for fmt in ["CSR", "COO", "DCSC"] if not name.startswith(("array", "vector")) else [None]:
                stem = f"{name}_{fmt or 'keep'}"
                args = [str(CLI), "convert", str(src)]
                if fmt:
                    args += ["--format", fmt, "--index-type", "int32"]
                h5 = t / f"{stem}.bsp.h5"
                d = t / stem
                for out in (h5, d):
                    r = subprocess.run(args + [str(out) + ("/" if out == d else "")], capture_output=True, text=True)
                    if r.returncode != 0:
                        print(f"seed {stem}: {r.stderr.strip()}", file=sys.stderr)
                        break
                else:
                    write("h5_read", f"{stem}.bsp.h5", h5.read_bytes())
                    parts = [(d / "binsparse.json").read_bytes()]
                    for f in sorted(d.glob("*.npy")):
                        parts.append(bytes([NPY_NAMES.index(f.stem)]) + f.read_bytes())
                    write("npy_read", f"{stem}.dir", SEP.join(parts))
    total = sum(f.stat().st_size for f in SEEDS.rglob("*") if f.is_file())
    print(f"seeds: {sum(1 for f in SEEDS.rglob('*') if f.is_file())} files, {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

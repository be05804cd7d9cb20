"""The Python CUDA path: under the emulated driver (target/emu/libcuda.so.1, `make emu`, with NVRTC
from the pinned wheels in .venv-cuda, `make cuda-tools`) where it is built, on a real GPU where one
exists, and skipped with the reason printed anywhere else. `make py-cuda-test` (part of `make
test`) sets SPARSEBRIDGE_REQUIRE_CUDA=1, which turns the skip into a failure.

Each case runs in a subprocess: the driver is loaded once per process, and the emulator must be
on LD_LIBRARY_PATH before it is. scipy, on the host, is the oracle of every device result."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMU = ROOT / "target" / "emu" / "libcuda.so.1"

PATH_SCRIPT = r"""
import numpy as np, scipy.sparse as sp, sparsebridge as sb
dense = np.array([[1.0, 0, 2], [0, 0, 3]])
m = sp.csr_array(dense)
a = sb.asarray(m)
g = a.to_device("cuda:0")
assert g.device == "cuda:0", g.device
cons = g.__binsparse__()
assert all(c.__dlpack_device__() == (2, 0) for c in cons.values())
# Back to the host through the device move, through from_binsparse(device=) and through DLPack.
np.testing.assert_array_equal(g.to_device("cpu").todense(), dense)
np.testing.assert_array_equal(sb.from_binsparse(g, device="cpu").todense(), dense)
np.testing.assert_array_equal(np.from_dlpack(cons["values"], device="cpu"), m.data)
# A CUDA array consumed by a foreign-style consumer keeps its device.
class Fwd:
    def __binsparse_descriptor__(self): return g.__binsparse_descriptor__()
    def __binsparse__(self, *, descriptor=None): return g.__binsparse__()
h = sb.from_binsparse(Fwd())
assert h.device == "cuda:0"
np.testing.assert_array_equal(h.to_device("cpu").todense(), dense)
# Host-only consumers get a typed error, not a crash.
try:
    g.todense()
except sb.DeviceError:
    pass
else:
    raise AssertionError("todense() of a CUDA array must raise DeviceError")
try:
    sb.from_binsparse(g, device="cuda:0", copy=False)
    sb.from_binsparse(a, device="cuda:0", copy=False)
except sb.CopyRequiredError:
    pass
else:
    raise AssertionError("a device move with copy=False must raise CopyRequiredError")
print("CUDA path OK")
"""

# Every ordered pair of the 8 predefined matrix formats, converted on the device in three request
# forms, for the value and index dtypes of issue 14; then CVEC <-> DVEC.
FORMATS_SCRIPT = r"""
import itertools
import numpy as np, scipy.sparse as sp, sparsebridge as sb

DEVICE_FORMATS = ["DMATR", "DMATC", "CSR", "CSC", "DCSR", "DCSC", "COOR", "COOC"]
INDEX_ARRAYS = {
    "COOR": ["indices_0", "indices_1"], "COOC": ["indices_0", "indices_1"],
    "CSR": ["pointers_to_1", "indices_1"], "CSC": ["pointers_to_1", "indices_1"],
    "DCSR": ["indices_0", "pointers_to_1", "indices_1"],
    "DCSC": ["indices_0", "pointers_to_1", "indices_1"],
    "DMATR": [], "DMATC": [],
}

def matrix(dtype, seed):
    rng = np.random.default_rng(seed)
    m = sp.random_array((7, 5), density=0.45, format="coo", rng=rng)
    if dtype == np.bool_:
        data = np.ones(m.nnz, np.bool_)
    elif np.issubdtype(dtype, np.complexfloating):
        data = (m.data + 1j * rng.standard_normal(m.nnz)).astype(dtype)
    elif np.issubdtype(dtype, np.integer):
        data = rng.integers(-9, 9, m.nnz).astype(dtype)
        data[data == 0] = 5
    else:
        data = m.data.astype(dtype)
    return sp.coo_array((data, m.coords), shape=m.shape).tocsr()

def source(m, fmt, idx):
    # The source in `fmt`, built on the host, then moved to the device.
    a = sb.asarray(m).asformat(fmt, index_dtype=idx)
    return a.to_device("cuda:0")

def host_parts(x):
    return {k: np.from_dlpack(v, device="cpu") for k, v in x.__binsparse__().items()}

def expected(m, fmt, idx):
    # scipy's canonical arrays for `fmt` (COOC: scipy's CSC expanded), with `idx` indices.
    if fmt == "COOR":
        c = m.tocoo()
        return {"indices_0": c.coords[0], "indices_1": c.coords[1], "values": c.data}
    if fmt in ("DMATR", "DMATC"):
        return {"values": m.toarray().ravel(order="C" if fmt == "DMATR" else "F")}
    if fmt in ("DCSR", "DCSC"):
        # The non-empty rows (columns) of scipy's CSR (CSC), and their pointers.
        c = m.tocsr() if fmt == "DCSR" else m.tocsc()
        c.sort_indices()
        stored = np.flatnonzero(np.diff(c.indptr))
        return {"indices_0": stored, "pointers_to_1": np.append(c.indptr[stored], c.indptr[-1]),
                "indices_1": c.indices, "values": c.data}
    if fmt == "COOC":
        # Stored in the transposed order: indices_0 are the columns, indices_1 the rows.
        c = m.tocsc()
        c.sort_indices()
        cols = np.repeat(np.arange(m.shape[1]), np.diff(c.indptr))
        return {"indices_0": cols, "indices_1": c.indices, "values": c.data}
    c = m.tocsr() if fmt == "CSR" else m.tocsc()
    c.sort_indices()
    return {"pointers_to_1": c.indptr, "indices_1": c.indices, "values": c.data}

def check(got, m, fmt, idx, what):
    assert got.device == "cuda:0", (what, got.device)
    assert got.format == fmt, (what, got.format)
    back = got.to_device("cpu")
    np.testing.assert_array_equal(back.todense(), m.toarray(), err_msg=what)
    parts = host_parts(back)
    for name, want in expected(m, fmt, idx).items():
        have = parts[name]
        if np.iscomplexobj(want) and not np.iscomplexobj(have):
            # binsparse complex values travel as interleaved (real, imaginary) pairs.
            have = have.view(want.dtype)
        if want.dtype == np.bool_:
            # NumPy bool is binsparse bint8: one byte, 0 or 1.
            assert have.dtype == np.uint8 and set(np.unique(have)) <= {0, 1}, (what, have.dtype)
            have = have.astype(np.bool_)
        np.testing.assert_array_equal(have, want, err_msg=f"{what}: {name}")
        assert have.dtype == (np.dtype(idx) if name != "values" else m.data.dtype), (what, name, have.dtype)

class Forward:
    # A producer whose arrays live on the device: fulfils requests through the device array.
    def __init__(self, x): self.x = x
    def __binsparse_descriptor__(self): return self.x.__binsparse_descriptor__()
    def __binsparse__(self, *, descriptor=None): return self.x.__binsparse__(descriptor=descriptor)

def request(x, m, fmt, idx):
    # The descriptor a consumer sends: the array's own, in `fmt`, with `idx` for every index and
    # the number of values `fmt` stores (every element for a dense format).
    d = x.__binsparse_descriptor__()
    inner = dict(d["binsparse"])
    inner["number_of_stored_values"] = int(np.prod(m.shape)) if fmt in ("DMATR", "DMATC") else m.nnz
    types = {n: idx for n in INDEX_ARRAYS[fmt]}
    types["values"] = inner["data_types"]["values"]
    inner["format"] = fmt
    inner["data_types"] = types
    return {"binsparse": inner}

n = 0
for dtype, idx in itertools.product(
    [np.float64, np.float32, np.int64, np.complex64, np.bool_], ["int32", "int64"]
):
    m = matrix(dtype, n)
    for src, dst in itertools.product(DEVICE_FORMATS, DEVICE_FORMATS):
        g = source(m, src, idx)
        what = f"{np.dtype(dtype).name} {idx} {src}->{dst}"
        check(g.asformat(dst, index_dtype=idx), m, dst, idx, what + " asformat")
        req = request(g, m, dst, idx)
        cons = g.__binsparse__(descriptor=req)
        assert all(c.__dlpack_device__() == (2, 0) for c in cons.values()), what
        check(sb.from_binsparse(Forward(g), descriptor=req), m, dst, idx, what + " from_binsparse(descriptor=)")
        n += 1
print(f"CUDA formats OK: {n} ordered pairs x 3 request forms")

# Vectors: DVEC <-> CVEC on the device, against NumPy.
rng = np.random.default_rng(7)
for dtype, idx in itertools.product([np.float64, np.float32, np.int64, np.complex64, np.bool_], ["int32", "int64"]):
    v = np.zeros(40, dtype)
    at = np.sort(rng.choice(40, 11, replace=False))
    v[at] = 1 if dtype == np.bool_ else (rng.integers(1, 9, 11) * (1 + 1j if np.iscomplexobj(v) else 1))
    d = sb.asarray(v).to_device("cuda:0")
    c = d.asformat("CVEC", index_dtype=idx)
    assert c.device == "cuda:0" and c.format == "CVEC", (c.device, c.format)
    parts = host_parts(c.to_device("cpu"))
    np.testing.assert_array_equal(parts["indices_0"], at)
    assert parts["indices_0"].dtype == np.dtype(idx), parts["indices_0"].dtype
    back = c.asformat("DVEC")
    assert back.device == "cuda:0"
    np.testing.assert_array_equal(back.to_device("cpu").todense(), v)
# n-d formats convert on the host only: an n-d dense array on the device asked for an n-d COO
# is a typed refusal that leaves it there (the host answers the same request).
g3 = sb.asarray(np.ones((2, 3, 4))).to_device("cuda:0")
inner = dict(g3.__binsparse_descriptor__()["binsparse"])
inner["custom"] = {"level": {"level_desc": "sparse", "rank": 3, "level": {"level_desc": "element"}}}
inner["data_types"] = {"indices_0": "int64", "indices_1": "int64", "indices_2": "int64", "values": "float64"}
nd_coo = {"binsparse": inner}
assert sorted(sb.asarray(np.ones((2, 3, 4))).__binsparse__(descriptor=nd_coo)) == ["indices_0", "indices_1", "indices_2", "values"]
try:
    g3.__binsparse__(descriptor=nd_coo)
except sb.UnsupportedFormatError as e:
    assert "cuda:0" in str(e) and "n-d" in str(e), str(e)
else:
    raise AssertionError("an n-d conversion on the device must be a typed refusal, not a host fallback")
assert g3.device == "cuda:0"
print("CUDA vectors OK")
"""

# DLPack on the device: stream values, device tags, and the copy/device rules of a foreign
# kDLCUDA capsule.
DLPACK_SCRIPT = r"""
import numpy as np, scipy.sparse as sp, sparsebridge as sb

m = sp.csr_array(np.array([[0, 1.5, 0], [2.5, 0, -1.0]]))
g = sb.asarray(m).to_device("cuda:0")
cons = g.__binsparse__()
# __dlpack_device__: (kDLCUDA, ordinal) for every constituent.
assert {c.__dlpack_device__() for c in cons.values()} == {(2, 0)}
v = cons["values"]
# The DLPack stream values for CUDA: None and 1 (legacy default), 2 (per-thread default), -1 (no
# synchronization), any other integer (a stream handle); 0 is disallowed as ambiguous.
for s in (None, 1, 2, -1):
    cap = v.__dlpack__(stream=s)
    assert type(cap).__name__ == "PyCapsule", (s, type(cap))
try:
    v.__dlpack__(stream=0)
except ValueError as e:
    assert "stream 0" in str(e), str(e)
else:
    raise AssertionError("stream=0 must be refused for a CUDA tensor")
# Versioned and legacy capsules both name the device.
v.__dlpack__(stream=None, max_version=(1, 0))

class Foreign:
    # A kDLCUDA tensor of another library: only the DLPack protocol, no sparsebridge type.
    def __init__(self, c): self.c = c
    def __dlpack__(self, **kw): return self.c.__dlpack__(**kw)
    def __dlpack_device__(self): return self.c.__dlpack_device__()

class Producer:
    def __init__(self, x): self.x = x
    def __binsparse_descriptor__(self): return self.x.__binsparse_descriptor__()
    def __binsparse__(self, *, descriptor=None):
        return {k: Foreign(c) for k, c in self.x.__binsparse__().items()}

p = Producer(g)
for copy in (None, False, True):
    h = sb.from_binsparse(p, copy=copy)
    assert h.device == "cuda:0", (copy, h.device)
    np.testing.assert_array_equal(h.to_device("cpu").todense(), m.toarray())
h = sb.from_binsparse(p, device="cpu")
assert h.device == "cpu"
np.testing.assert_array_equal(h.todense(), m.toarray())
try:
    sb.from_binsparse(p, device="cpu", copy=False)
except sb.CopyRequiredError:
    pass
else:
    raise AssertionError("a device move with copy=False must raise CopyRequiredError")
# copy=True gives fresh device memory: the imported array is unchanged after the source goes.
h = sb.from_binsparse(p, copy=True)
del g, p, cons, v
np.testing.assert_array_equal(h.to_device("cpu").todense(), m.toarray())
# Host-only operations on a device array are typed errors.
for op in (lambda: h.todense(), lambda: sb.to_scipy(h)):
    try:
        op()
    except sb.DeviceError:
        pass
    else:
        raise AssertionError("a host-only operation on a CUDA array must raise DeviceError")
print("CUDA DLPack OK")
"""


def _gpu_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:  # pragma: no cover
        return False


def _nvrtc_dir() -> str | None:
    found = glob.glob(str(ROOT / ".venv-cuda" / "lib" / "python*" / "site-packages" / "nvidia" / "cu13" / "lib"))
    return found[0] if found else None


def _run(script: str, marker: str) -> None:
    env = dict(os.environ)
    nvrtc = _nvrtc_dir()
    if _gpu_available():  # pragma: no cover - needs a GPU
        where = "a real GPU"
    elif EMU.exists() and nvrtc is not None:
        env["LD_LIBRARY_PATH"] = f"{EMU.parent}:{nvrtc}:{env.get('LD_LIBRARY_PATH', '')}"
        env.setdefault("SBEMU_QUIET", "1")
        # Small blocks: many blocks and partial tiles from small inputs.
        env.setdefault("SPARSEBRIDGE_CUDA_BLOCK", "32")
        where = "the emulated driver"
    else:
        reason = (
            f"no CUDA device and no emulated driver with NVRTC ({EMU.relative_to(ROOT)}, .venv-cuda; "
            "run `make emu cuda-tools`)"
        )
        if os.environ.get("SPARSEBRIDGE_REQUIRE_CUDA") == "1":
            pytest.fail(f"SPARSEBRIDGE_REQUIRE_CUDA=1 but {reason}")
        print(f"SKIPPED CUDA path: {reason}")
        pytest.skip(reason)
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=900)
    print(f"CUDA path under {where}:\n{r.stdout}{r.stderr}")
    assert r.returncode == 0, r.stderr
    assert marker in r.stdout


def test_cuda_path() -> None:
    _run(PATH_SCRIPT, "CUDA path OK")


def test_every_device_format_pair_matches_scipy() -> None:
    _run(FORMATS_SCRIPT, "CUDA vectors OK")


def test_dlpack_streams_tags_and_foreign_cuda_capsules() -> None:
    _run(DLPACK_SCRIPT, "CUDA DLPack OK")

"""CUDA cases: under the emulated driver (target/emu/libcuda.so.1, `make emu`) where it is built, on
a real GPU where one exists, and skipped with the reason printed anywhere else.
SPARSEBRIDGE_REQUIRE_CUDA=1 turns the skip into a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMU = ROOT / "target" / "emu" / "libcuda.so.1"

SCRIPT = r"""
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


def _gpu_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:  # pragma: no cover
        return False


def test_cuda_path() -> None:
    env = dict(os.environ)
    if _gpu_available():  # pragma: no cover - needs a GPU
        where = "a real GPU"
    elif EMU.exists():
        env["LD_LIBRARY_PATH"] = f"{EMU.parent}:{env.get('LD_LIBRARY_PATH', '')}"
        where = "the emulated driver"
    else:
        reason = f"no CUDA device and no emulated driver ({EMU.relative_to(ROOT)}; run `make emu`)"
        if os.environ.get("SPARSEBRIDGE_REQUIRE_CUDA") == "1":
            pytest.fail(f"SPARSEBRIDGE_REQUIRE_CUDA=1 but {reason}")
        print(f"SKIPPED CUDA path: {reason}")
        pytest.skip(reason)
    r = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    print(f"CUDA path under {where}:\n{r.stdout}{r.stderr}")
    assert r.returncode == 0, r.stderr
    assert "CUDA path OK" in r.stdout

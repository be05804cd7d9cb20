"""Pickle (protocols 0-5, protocol 5 out of band) and copy.copy / copy.deepcopy of SparseArray.

Oracles: the dense NumPy matrix each array was built from, and the addresses of the buffers
themselves (``Constituent.data_ptr`` against the ``PickleBuffer`` / ``memoryview`` memory).
"""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import sparsebridge as sb
from sb_helpers import DTYPES, reference

ROOT = Path(__file__).resolve().parents[2]
EMU = ROOT / "target" / "emu" / "libcuda.so.1"

FORMATS_2D = ["CSR", "CSC", "DCSR", "DCSC", "COOR", "COOC", "DMATR", "DMATC"]
FORMATS_1D = ["CVEC", "DVEC"]


def address(buf: object) -> int:
    """The address of a buffer's first byte, through NumPy's buffer-protocol import."""
    return int(np.frombuffer(buf, dtype=np.uint8).ctypes.data)  # type: ignore[call-overload]


def build(fmt: str, dtype: str, seed: int = 0) -> tuple[sb.SparseArray, np.ndarray]:
    shape = (9,) if fmt in FORMATS_1D else (6, 7)
    dense = reference(shape, dtype, seed=seed)
    base = sb.asarray(sp.coo_array(dense) if len(shape) == 1 else sp.csr_array(dense))
    return base.asformat(fmt), dense


def ptrs(a: sb.SparseArray) -> list[int]:
    return [c.data_ptr for c in a.__binsparse__().values()]


@pytest.mark.parametrize("fmt", FORMATS_2D + FORMATS_1D)
@pytest.mark.parametrize("dtype", DTYPES)
def test_protocol5_out_of_band_round_trip(fmt: str, dtype: str) -> None:
    a, dense = build(fmt, dtype)
    bufs: list[pickle.PickleBuffer] = []
    data = pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
    cons = a.__binsparse__()
    # One buffer per constituent, each the constituent's own memory, and a small in-band part.
    assert len(bufs) == len(cons)
    assert [address(b) for b in bufs if b.raw().nbytes] == [p for p in ptrs(a) if p]
    assert len(data) < 4096
    back = pickle.loads(data, buffers=bufs)
    assert back.format == a.format and back.dtype == dtype and back.shape == a.shape
    assert back.index_dtype == a.index_dtype
    assert back.__binsparse_descriptor__() == a.__binsparse_descriptor__()
    np.testing.assert_array_equal(back.todense(), dense)
    # loads shares the buffers: no copy on either side.
    assert ptrs(back) == ptrs(a)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("fmt", ["CSR", "COOC", "DCSC", "DMATR", "CVEC"])
def test_in_band_every_protocol(protocol: int, fmt: str) -> None:
    a, dense = build(fmt, "complex128", seed=protocol)
    data = pickle.dumps(a, protocol=protocol)
    assert len(data) > sum(c.nbytes for c in a.__binsparse__().values())
    back = pickle.loads(data)
    np.testing.assert_array_equal(back.todense(), dense)
    assert back.__binsparse_descriptor__() == a.__binsparse_descriptor__()
    # In-band data is a copy: the result does not alias the original.
    assert not set(ptrs(back)) & set(p for p in ptrs(a) if p)


def test_read_only_buffers_are_shared() -> None:
    """pickle hands read-only memoryviews back unless the PickleBuffer was writable."""
    a, dense = build("CSR", "float64")
    bufs: list[pickle.PickleBuffer] = []
    data = pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
    received = [memoryview(bytes(b.raw())) for b in bufs]  # as if from a socket
    assert all(m.readonly for m in received)
    back = pickle.loads(data, buffers=received)
    np.testing.assert_array_equal(back.todense(), dense)
    assert ptrs(back) == [address(m) for m in received]
    # Conversions of the read-only array allocate their own memory and work.
    np.testing.assert_array_equal(back.asformat("COOC").todense(), dense)
    np.testing.assert_array_equal(back.to_scipy().toarray(), dense)


def test_in_band_size_independent_of_nnz() -> None:
    sizes = []
    for n in (10, 200_000):
        m = sp.random_array((n, n), density=min(1.0, 2.0 / n) if n > 10 else 0.5, format="csr", rng=2)
        bufs: list[pickle.PickleBuffer] = []
        sizes.append(len(pickle.dumps(sb.asarray(m), protocol=5, buffer_callback=bufs.append)))
        assert sum(b.raw().nbytes for b in bufs) >= m.data.nbytes + m.indices.nbytes
    assert max(sizes) < 4096
    assert abs(sizes[1] - sizes[0]) < 64  # only the digits of shape and nnz differ


def test_scipy_buffers_travel_as_they_are() -> None:
    m = sp.random_array((40, 30), density=0.2, format="csr", dtype=np.float32, rng=3)
    a = sb.asarray(m)
    bufs: list[pickle.PickleBuffer] = []
    pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
    assert [address(b) for b in bufs] == [m.indptr.ctypes.data, m.indices.ctypes.data, m.data.ctypes.data]


def test_iso_fill_and_custom_formats() -> None:
    import sparse

    x = sparse.COO.from_numpy(np.arange(12.0).reshape(3, 4)) + 2.5  # fill value 2.5
    cases = [sb.asarray(x)]
    t = np.zeros((3, 4, 5))
    t[1, 2, 3], t[2, 0, 4] = 5.0, -1.0
    cases.append(sb.asarray(sp.coo_array(t)))  # 3-D: a custom sparse(3) format
    for a in cases:
        bufs: list[pickle.PickleBuffer] = []
        back = pickle.loads(pickle.dumps(a, protocol=5, buffer_callback=bufs.append), buffers=bufs)
        assert back.__binsparse_descriptor__() == a.__binsparse_descriptor__()
        np.testing.assert_array_equal(back.todense(), a.todense())
    np.testing.assert_array_equal(sb.to_sparse(pickle.loads(pickle.dumps(cases[0]))).todense(), x.todense())


def test_copy_and_deepcopy_like_numpy() -> None:
    a, dense = build("CSC", "int64")
    for c in (copy.copy(a), copy.deepcopy(a)):
        np.testing.assert_array_equal(c.todense(), dense)
        assert c.__binsparse_descriptor__() == a.__binsparse_descriptor__()
        for x, y in zip(c.__binsparse__().values(), a.__binsparse__().values()):
            assert not x.shares_memory_with(y)
    # The memo keeps aliasing inside a container, as for NumPy arrays.
    pair = copy.deepcopy([a, a])
    assert pair[0] is pair[1] and pair[0] is not a
    nd = np.arange(3)
    assert not np.shares_memory(copy.copy(nd), nd)  # the behaviour copied


def test_wrong_buffers_raise_typed_errors() -> None:
    a, _ = build("CSR", "float64")
    bufs: list[pickle.PickleBuffer] = []
    data = pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
    with pytest.raises(sb.StructureError, match="not a whole number"):
        pickle.loads(data, buffers=[bufs[0], memoryview(bytes(bufs[1].raw())[:-1]), bufs[2]])
    with pytest.raises(sb.BinsparseError):
        pickle.loads(data, buffers=[bufs[0], bufs[1], memoryview(bytes(bufs[2].raw())[:-8])])


def test_cuda_array_refuses_pickle() -> None:
    import torch

    env = dict(os.environ)
    if not torch.cuda.is_available():
        if not EMU.exists():
            reason = f"no CUDA device and no emulated driver ({EMU.relative_to(ROOT)}; run `make emu`)"
            if os.environ.get("SPARSEBRIDGE_REQUIRE_CUDA") == "1":
                pytest.fail(f"SPARSEBRIDGE_REQUIRE_CUDA=1 but {reason}")
            pytest.skip(reason)
        env["LD_LIBRARY_PATH"] = f"{EMU.parent}:{env.get('LD_LIBRARY_PATH', '')}"
    script = (
        "import pickle, numpy as np, scipy.sparse as sp, sparsebridge as sb\n"
        "g = sb.asarray(sp.csr_array(np.eye(3))).to_device('cuda:0')\n"
        "for p in (2, 5):\n"
        "    try:\n"
        "        pickle.dumps(g, protocol=p)\n"
        "    except sb.DeviceError as e:\n"
        "        assert 'cuda:0' in str(e)\n"
        "    else:\n"
        "        raise AssertionError('pickling a CUDA array must raise DeviceError')\n"
        "print('CUDA pickle OK')\n"
    )
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "CUDA pickle OK" in r.stdout

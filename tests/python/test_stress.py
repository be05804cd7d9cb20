"""Load and lifetime: threads converting and exporting shared arrays while others drop the last
references, and DLPack deleters counted exactly once (hand-built capsules with a counting C
deleter, through ctypes).

The oracle for the threaded test is scipy's own reading of each array, computed before any
thread starts; every thread checks what it reads against it (checksums of every constituent).
"""

from __future__ import annotations

import ctypes
import gc
import random
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import sparsebridge as sb
from sparsebridge.errors import BinsparseError, BinsparseWarning

FORMATS = ["COOR", "COOC", "CSR", "CSC", "DCSR", "DCSC"]


def _checksum(a: sb.SparseArray) -> tuple[float, int]:
    """Sum of values and of every index constituent, read through NumPy's DLPack import."""
    cons = a.__binsparse__()
    vals = float(np.from_dlpack(cons["values"]).sum())
    idx = sum(int(np.from_dlpack(v).astype(np.int64).sum()) for k, v in cons.items() if k != "values")
    return vals, idx


def test_threads_convert_export_and_drop_concurrently() -> None:
    rng = np.random.default_rng(7)
    sources = [
        sp.random_array((300, 200), density=0.05, format="csr", rng=rng, dtype=np.float64)
        for _ in range(4)
    ]
    # Oracle: the checksum of every (source, format) pair, from a fresh single-threaded run
    # validated against scipy's dense view.
    expected = {}
    for i, m in enumerate(sources):
        for f in FORMATS:
            a = sb.asarray(m).asformat(f)
            np.testing.assert_array_equal(a.todense(), m.toarray())
            expected[i, f] = _checksum(a)
    slots = [sb.asarray(m) for m in sources]
    lock = threading.Lock()
    errors: list[BaseException] = []
    iterations = 400

    def convert_worker(seed: int) -> None:
        r = random.Random(seed)
        try:
            for _ in range(iterations):
                i = r.randrange(len(slots))
                with lock:
                    a = slots[i]  # our own reference; the slot may be replaced meanwhile
                f = r.choice(FORMATS)
                b = a.asformat(f)
                got = _checksum(b)
                want = expected[i, f]
                assert abs(got[0] - want[0]) <= 1e-9 * max(1.0, abs(want[0])) and got[1] == want[1], (i, f)
                del a, b
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    def dropper(seed: int) -> None:
        r = random.Random(seed)
        try:
            for _ in range(iterations):
                i = r.randrange(len(slots))
                fresh = sb.asarray(sources[i]).asformat(r.choice(FORMATS))
                with lock:
                    slots[i] = fresh  # drops what may be the last reference to the old array
                del fresh
                gc.collect(0)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=convert_worker, args=(s,)) for s in range(6)]
    threads += [threading.Thread(target=dropper, args=(100 + s,)) for s in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


# -- hand-built DLPack capsules with a counting deleter --------------------------------------------


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    pass


DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensorVersioned))
DLManagedTensorVersioned._fields_ = [
    ("version", DLPackVersion),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", DELETER),
    ("flags", ctypes.c_uint64),
    ("dl_tensor", DLTensor),
]

_PyCapsule_New = ctypes.pythonapi.PyCapsule_New
_PyCapsule_New.restype = ctypes.py_object
_PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]

# Tensors handed out and not yet deleted, by address; and those whose deleter has run.
_LIVE: dict[int, tuple] = {}
_RELEASED: list[tuple] = []

_DTYPES = {np.dtype(np.float64): (2, 64), np.dtype(np.int32): (0, 32), np.dtype(np.int64): (0, 64)}


class Counted:
    """A DLPack producer of one NumPy array whose C-level deleter counts its calls."""

    def __init__(self, arr: np.ndarray, counter: list[int], *, itemsize_lie: int | None = None) -> None:
        self.arr = np.ascontiguousarray(arr)
        self.counter = counter
        self.itemsize_lie = itemsize_lie

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):  # noqa: ANN001
        arr = self.arr
        shape = (ctypes.c_int64 * 1)(arr.shape[0])
        strides = (ctypes.c_int64 * 1)(1)
        m = DLManagedTensorVersioned()
        m.version = DLPackVersion(1, 1)
        code, bits = _DTYPES[arr.dtype]
        m.dl_tensor = DLTensor(
            arr.ctypes.data, DLDevice(1, 0), 1, DLDataType(code, self.itemsize_lie or bits, 1),
            shape, strides, 0,
        )
        counter = self.counter
        key = ctypes.addressof(m)

        def deleter(_p):  # noqa: ANN001
            counter[0] += 1
            # The producer's memory lives until its deleter runs, not as long as the producer
            # object (a consumer may outlive it); the entry is parked, not freed, because this
            # very callback is among the objects it holds.
            _RELEASED.append(_LIVE.pop(key))

        cb = DELETER(deleter)
        m.deleter = cb
        _LIVE[key] = (m, shape, strides, cb, arr)
        return _PyCapsule_New(key, b"dltensor_versioned", None)


class CountedProducer:
    def __init__(self, m: sp.csr_array, counter: list[int], **kw) -> None:  # noqa: ANN003
        self.m = m
        self.arrays = {
            "pointers_to_1": Counted(m.indptr, counter, **kw),
            "indices_1": Counted(m.indices, counter),
            "values": Counted(m.data, counter),
        }

    def __binsparse_descriptor__(self) -> dict:
        return sb.asarray(self.m).__binsparse_descriptor__()

    def __binsparse__(self, *, descriptor=None):  # noqa: ANN001
        return dict(self.arrays)


def _csr() -> sp.csr_array:
    return sp.random_array((40, 30), density=0.2, format="csr", rng=np.random.default_rng(3))


@pytest.mark.parametrize("copy", [None, True])
def test_deleters_run_exactly_once_after_the_last_view(copy) -> None:  # noqa: ANN001
    m, counter = _csr(), [0]
    a = sb.from_binsparse(CountedProducer(m, counter), copy=copy)
    if copy:
        assert counter[0] == 3, "copied: the producer's tensors are released at once"
    else:
        assert counter[0] == 0, "zero-copy: released only when the array is"
    b = a.asformat("CSC")
    exported = [np.from_dlpack(c) for c in a.__binsparse__().values()]
    np.testing.assert_array_equal(b.todense(), m.toarray())
    del a, b
    gc.collect()
    assert counter[0] == (3 if copy else 0) or exported, "a NumPy view still holds the data"
    del exported
    gc.collect()
    assert counter[0] == 3


def test_deleters_run_exactly_once_when_the_import_is_rejected() -> None:
    m, counter = _csr(), [0]
    # pointers_to_1 claims 8-bit elements of a 64-bit array: the assembled array is refused.
    # (The lenient reader first warns that the descriptor's int32 differs from the array's int8,
    # then the int8 pointers fail the structural check.)
    with pytest.raises((BinsparseError, BufferError)), warnings.catch_warnings():
        warnings.simplefilter("ignore", BinsparseWarning)
        sb.from_binsparse(CountedProducer(m, counter, itemsize_lie=8))
    gc.collect()
    assert counter[0] == 3, counter

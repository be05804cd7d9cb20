"""sparsebridge.to_capsule / from_capsule: the C ABI's SBSparseTensor through a PyCapsule, read
with ctypes as a C consumer would (names, flags, DLPack data pointers), then consumed back."""

from __future__ import annotations

import ctypes
import gc

import numpy as np
import pytest
import scipy.sparse as sp

import sparsebridge

NAME = b"sparsebridge.sparse_tensor"


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device_type", ctypes.c_int32),
        ("device_id", ctypes.c_int32),
        ("ndim", ctypes.c_int32),
        ("code", ctypes.c_uint8),
        ("bits", ctypes.c_uint8),
        ("lanes", ctypes.c_uint16),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [
        ("major", ctypes.c_uint32),
        ("minor", ctypes.c_uint32),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


class SBSparseTensor(ctypes.Structure):
    _fields_ = [
        ("major", ctypes.c_uint32),
        ("minor", ctypes.c_uint32),
        ("flags", ctypes.c_uint64),
        ("descriptor", ctypes.c_char_p),
        ("num_arrays", ctypes.c_int32),
        ("names", ctypes.POINTER(ctypes.c_char_p)),
        ("arrays", ctypes.POINTER(ctypes.POINTER(DLManagedTensorVersioned))),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
    ]


_api = ctypes.pythonapi
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetName.restype = ctypes.c_char_p
_api.PyCapsule_GetName.argtypes = [ctypes.py_object]


def _matrix() -> sp.csr_array:
    rng = np.random.default_rng(16)
    return sp.random_array((40, 30), density=0.1, format="csr", random_state=rng, dtype=np.float64)


def test_capsule_pointers_and_round_trip() -> None:
    m = _matrix()
    x = sparsebridge.asarray(m)
    source = {name: np.from_dlpack(c).ctypes.data for name, c in x._a.constituents()}
    cap = sparsebridge.to_capsule(x)
    assert _api.PyCapsule_GetName(cap) == NAME
    t = SBSparseTensor.from_address(_api.PyCapsule_GetPointer(cap, NAME))
    assert (t.major, t.minor) == (1, 0)
    assert t.flags & 1  # SB_FLAG_READ_ONLY
    assert b'"CSR"' in t.descriptor
    names = [t.names[i].decode() for i in range(t.num_arrays)]
    assert names == ["pointers_to_1", "indices_1", "values"]
    for i, name in enumerate(names):
        dl = t.arrays[i].contents
        assert (dl.major, dl.dl_tensor.ndim, dl.dl_tensor.device_type) == (1, 1, 1)
        assert dl.dl_tensor.data == source[name], name  # zero copy
    y = sparsebridge.from_capsule(cap)
    assert _api.PyCapsule_GetName(cap) == b"used_" + NAME
    with pytest.raises(ValueError, match="consumed only once"):
        sparsebridge.from_capsule(cap)
    del cap
    gc.collect()
    back = {name: np.from_dlpack(c).ctypes.data for name, c in y._a.constituents()}
    assert back == source
    got = y.to_scipy()
    assert got.format == "csr"
    np.testing.assert_array_equal(got.toarray(), m.toarray())


def test_unconsumed_capsule_and_wrong_objects() -> None:
    x = sparsebridge.asarray(_matrix().tocsc())
    cap = sparsebridge.to_capsule(x)
    del cap  # the destructor releases the tensor; x is unaffected
    gc.collect()
    np.testing.assert_array_equal(x.to_scipy().toarray(), _matrix().toarray())
    with pytest.raises(TypeError, match="PyCapsule"):
        sparsebridge.from_capsule(object())
    dl = np.arange(3.0).__dlpack__()
    with pytest.raises(ValueError, match="sparsebridge.sparse_tensor"):
        sparsebridge.from_capsule(dl)

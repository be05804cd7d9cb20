"""A ``SparseArray`` as wire parts: its descriptor (JSON text) plus one raw host buffer per
constituent, and back. Pickle (``SparseArray.__reduce_ex__``) and the distributed serializers
(:mod:`sparsebridge.dask`) both use it.

The parts are the binsparse protocol's own split: the descriptor names every constituent and
its binsparse type, and each buffer is a constituent's memory as it is (complex values as
interleaved floats, as ``__binsparse__`` exports them). Nothing is copied either way: the
buffers are NumPy views of the constituents, and :func:`rebuild` imports whatever buffer
objects arrive (``memoryview``, ``bytes``, ``bytearray``, ``pickle.PickleBuffer``) through
DLPack, read-only ones included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DeviceError, StructureError

if TYPE_CHECKING:
    from ._core import SparseArray

__all__ = ["parts", "rebuild"]


def parts(sa: SparseArray, what: str = "serialize") -> tuple[str, list[str], list[str], list[np.ndarray]]:
    """``(descriptor_json, names, dtypes, arrays)`` of a host array: ``arrays`` are zero-copy
    NumPy views of the constituents, in the descriptor's order."""
    device = sa.device
    if device != "cpu":
        raise DeviceError(
            f"cannot {what} a SparseArray on {device}: its buffers are device memory. Move it "
            "with .to_device('cpu') first, or send it through a CUDA-aware transport "
            "(sparsebridge.dask registers distributed's cuda_serialize family)"
        )
    cons = sa._a.constituents()
    names = [n for n, _ in cons]
    dtypes = [c.dtype for _, c in cons]
    arrays = [np.from_dlpack(c) for _, c in cons]
    return sa._a.descriptor_json(), names, dtypes, arrays


def rebuild(descriptor_json: str, names: Sequence[str], dtypes: Sequence[str], buffers: Sequence[Any]) -> SparseArray:
    """A ``SparseArray`` whose constituents share ``buffers`` (any objects with the buffer
    protocol, read-only or not), with the O(1) checks of ``from_binsparse``."""
    from ._core import SparseArray, _extension, _import_one

    if not (len(names) == len(dtypes) == len(buffers)):
        raise StructureError(
            f"{len(names)} constituent names, {len(dtypes)} dtypes and {len(buffers)} buffers: "
            "the serialized array is incomplete"
        )
    cons = []
    for name, dtype, buf in zip(names, dtypes, buffers):
        try:
            arr = np.frombuffer(buf, dtype=np.dtype(dtype))
        except ValueError as e:
            raise StructureError(f"constituent `{name}`: its buffer is not a whole number of {dtype}: {e}") from e
        con, _shape = _import_one(name, arr, None)
        cons.append((name, con))
    a, _warnings = _extension()._Array.assemble(descriptor_json, cons, lenient=False)
    return SparseArray(a)


def _unpickle(descriptor_json: str, names: Sequence[str], dtypes: Sequence[str], buffers: Sequence[Any]) -> SparseArray:
    """The reconstructor ``SparseArray.__reduce_ex__`` names (stable: old pickles load)."""
    return rebuild(descriptor_json, names, dtypes, buffers)

"""Dask and distributed: sparse arrays across processes and machines (``pip install sparsebridge[dask]``).

Importing this module registers, with ``distributed.protocol``, a ``dask`` serializer family
entry for :class:`sparsebridge.SparseArray` and for the sparse types sparsebridge adapts:
scipy ``csr``/``csc``/``coo`` arrays and matrices, PyData/Sparse ``COO`` and ``GCXS``, and torch
sparse COO/CSR/CSC tensors (dense torch tensors keep distributed's own serializer). The header
is the binsparse descriptor plus the type to rebuild; the frames are the constituent buffers as
memoryviews over the arrays' own memory, and the receiving side builds its arrays on those
frames: no copy on either side. Where distributed's ``cuda`` family exists, CUDA
``SparseArray`` objects are registered with it too (device buffers as frames, through torch or
CuPy), for CUDA-aware transports such as UCX.

Worker processes need the registration as well: ``register(client)`` installs a worker plugin
that imports this module on every current and future worker (a ``SparseArray`` alone is also
found without it: importing sparsebridge in a process that runs distributed registers it lazily).

Chunked arrays over binsparse HDF5 files: :func:`from_hdf5` (each task reads only its own row
block), :func:`asformat` (each chunk converted on its worker) and :func:`to_hdf5` (one valid
binsparse file, written atomically).
"""

from __future__ import annotations

import json
from typing import Any, Optional

import numpy as np

from . import _wire
from ._core import SparseArray, asarray, to_sparse, to_torch
from .errors import DeviceError, UnsupportedFormatError

__all__ = ["register"]

_REGISTERED = False
_PREVIOUS_TORCH: dict[str, Any] = {}


# -- serialization ------------------------------------------------------------------------------


def _frames(arrays: list[np.ndarray]) -> list[memoryview]:
    """Byte memoryviews over the arrays' own memory (constituents are 1-D and contiguous)."""
    return [memoryview(a.reshape(-1)).cast("B") for a in arrays]  # type: ignore[arg-type]


def _writable(frame: Any, writeable: bool) -> Any:
    """A frame as the sender's array was: read-only frames of a writable array are copied, as
    distributed's pickle path does (scipy, PyData and torch users may write into their arrays)."""
    mv = memoryview(frame)
    if writeable and mv.readonly:
        return bytearray(mv)
    return mv


def _serialize_parts(sa: SparseArray, kind: str, writeable: Optional[list[bool]] = None) -> tuple[dict[str, Any], list[memoryview]]:
    desc, names, dtypes, arrays = _wire.parts(sa, "serialize")
    header = {
        "descriptor": desc,
        "names": names,
        "dtypes": dtypes,
        "kind": kind,
        "writeable": writeable if writeable is not None else [False] * len(arrays),
    }
    return header, _frames(arrays)


def _rebuild_parts(header: dict[str, Any], frames: list[Any]) -> SparseArray:
    frames = [_writable(f, w) for f, w in zip(frames, header["writeable"])]
    return _wire.rebuild(header["descriptor"], header["names"], header["dtypes"], frames)


def serialize_sparsebridge(x: SparseArray) -> tuple[dict[str, Any], list[memoryview]]:
    """``dask_serialize`` of a host ``SparseArray``: descriptor header, constituent frames."""
    return _serialize_parts(x, "sparsebridge")


def deserialize_sparsebridge(header: dict[str, Any], frames: list[Any]) -> SparseArray:
    """``dask_deserialize``: a ``SparseArray`` whose constituents are the frames' memory."""
    return _rebuild_parts(header, frames)


# scipy: the three (or ndim + 1) arrays travel as they are, canonical or not, and come back in
# the same class with the same dtypes. The header is the binsparse descriptor of the arrays.

def serialize_scipy(x: Any) -> tuple[dict[str, Any], list[memoryview]]:
    """``dask_serialize`` of a scipy csr/csc/coo array or matrix."""
    from .interop import scipy as adapter

    descriptor, arrays, canonical = adapter.export(x, copy=False) if x.has_canonical_format else _export_raw(x)
    names = list(arrays)
    values = [np.ascontiguousarray(arrays[n]) for n in names]
    header = {
        "descriptor": json.dumps(descriptor),
        "names": names,
        "dtypes": [v.dtype.str for v in values],
        "kind": "scipy",
        "format": x.format,
        "shape": list(x.shape),
        "canonical": bool(canonical),
        "writeable": [bool(v.flags.writeable) for v in values],
    }
    return header, _frames(values)


def _export_raw(x: Any) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The arrays of a non-canonical scipy object as they are, with the descriptor they would
    have once canonical (the receiver rebuilds scipy's object, not a binsparse array)."""
    from .interop import scipy as adapter

    fmt = x.format
    if fmt in ("csr", "csc"):
        nnz = int(x.indptr[-1])
        if x.ndim == 1:
            arrays = {"indices_0": x.indices[:nnz], "values": x.data[:nnz]}
        else:
            arrays = {"pointers_to_1": x.indptr, "indices_1": x.indices[:nnz], "values": x.data[:nnz]}
    else:
        coords = tuple(getattr(x, "coords", None) or (x.row, x.col))
        arrays = {f"indices_{k}": c for k, c in enumerate(coords)}
        arrays["values"] = x.data
    fake = adapter.export(_empty_like(x), copy=False)[0]
    fake["binsparse"]["shape"] = list(x.shape)
    fake["binsparse"]["number_of_stored_values"] = int(arrays["values"].shape[0])
    fake["binsparse"]["data_types"] = {
        n: (fake["binsparse"]["data_types"]["values"] if n == "values" else a.dtype.name) for n, a in arrays.items()
    }
    return fake, arrays, False


def _empty_like(x: Any) -> Any:
    """An empty scipy object of ``x``'s class, shape and value dtype (its descriptor is valid)."""
    return type(x)(x.shape, dtype=x.dtype)


def deserialize_scipy(header: dict[str, Any], frames: list[Any]) -> Any:
    """``dask_deserialize``: the scipy object, its arrays on the frames' memory."""
    import scipy.sparse as sp

    arrays = {
        n: np.frombuffer(_writable(f, w), dtype=np.dtype(dt))
        for n, dt, f, w in zip(header["names"], header["dtypes"], frames, header["writeable"])
    }
    fmt, shape = header["format"], tuple(header["shape"])
    matrix = header.get("matrix", False)
    if fmt in ("csr", "csc"):
        if len(shape) == 1:
            indptr = np.array([0, arrays["values"].shape[0]], dtype=arrays["indices_0"].dtype)
            parts = (arrays["values"], arrays["indices_0"], indptr)
        else:
            parts = (arrays["values"], arrays["indices_1"], arrays["pointers_to_1"])
        cls = {"csr": sp.csr_matrix if matrix else sp.csr_array, "csc": sp.csc_matrix if matrix else sp.csc_array}[fmt]
        out = cls(parts, shape=shape, copy=False)
    else:
        coords = tuple(arrays[f"indices_{k}"] for k in range(len(shape)))
        cls = sp.coo_matrix if matrix else sp.coo_array
        out = cls((arrays["values"], coords), shape=shape, copy=False)
    if header["canonical"]:
        out.has_canonical_format = True
    return out


def _scipy_serializer(cls: type) -> Any:
    matrix = cls.__name__.endswith("_matrix")

    def serialize(x: Any) -> tuple[dict[str, Any], list[memoryview]]:
        header, frames = serialize_scipy(x)
        header["matrix"] = matrix
        return header, frames

    return serialize


# PyData/Sparse and torch: through a SparseArray (zero-copy where the layouts agree: GCXS and
# torch CSR/CSC share their buffers; COO coordinates, stored as one (ndim, nnz) array by both
# libraries, are one frame per axis on the wire and stacked again, a copy, on the way back).

def serialize_pydata(x: Any) -> tuple[dict[str, Any], list[memoryview]]:
    """``dask_serialize`` of a PyData/Sparse ``COO`` or ``GCXS``."""
    return _serialize_parts(asarray(x), "sparse")


def deserialize_pydata(header: dict[str, Any], frames: list[Any]) -> Any:
    """``dask_deserialize``: the PyData/Sparse array (``COO``, or ``GCXS`` for CSR/CSC)."""
    return to_sparse(_rebuild_parts(header, frames))


def _torch_sparse(t: Any) -> bool:
    import torch

    return t.layout in (torch.sparse_coo, torch.sparse_csr, torch.sparse_csc) and t.device.type == "cpu"


def serialize_torch(t: Any) -> tuple[dict[str, Any], list[Any]]:
    """``dask_serialize`` of a torch tensor: sparse CPU tensors here, the rest by distributed's own."""
    if not _torch_sparse(t):
        header, frames = _PREVIOUS_TORCH["serialize"](t)
        return {"sparsebridge": False, "inner": header}, frames
    header, frames = _serialize_parts(asarray(t), "torch")
    header["sparsebridge"] = True
    return header, frames


def deserialize_torch(header: dict[str, Any], frames: list[Any]) -> Any:
    """``dask_deserialize`` of what :func:`serialize_torch` wrote."""
    if not header.get("sparsebridge"):
        return _PREVIOUS_TORCH["deserialize"](header["inner"], frames)
    return to_torch(_rebuild_parts(header, frames))


# CUDA: device buffers as frames, for transports that move them (UCX).

def _cuda_module() -> Any:
    try:
        import torch

        if torch.cuda.is_available():
            return torch
    except ImportError:  # pragma: no cover - torch is optional
        pass
    try:
        import cupy

        return cupy
    except ImportError:  # pragma: no cover - needs CuPy
        return None


def cuda_serialize_sparsebridge(x: SparseArray) -> tuple[dict[str, Any], list[Any]]:
    """``cuda_serialize``: the constituents as device arrays (``__cuda_array_interface__``)."""
    if not x.device.startswith("cuda"):
        return serialize_sparsebridge(x)
    lib = _cuda_module()
    if lib is None:  # pragma: no cover - needs a GPU without torch or CuPy
        raise DeviceError("serializing a CUDA SparseArray needs torch (with CUDA) or CuPy")
    cons = x._a.constituents()
    header = {
        "descriptor": x._a.descriptor_json(),
        "names": [n for n, _ in cons],
        "dtypes": [c.dtype for _, c in cons],
        "kind": "sparsebridge",
        "device": x.device,
    }
    return header, [lib.from_dlpack(c) for _, c in cons]


def cuda_deserialize_sparsebridge(header: dict[str, Any], frames: list[Any]) -> SparseArray:
    """``cuda_deserialize``: a CUDA ``SparseArray`` on the received device buffers."""
    if "device" not in header:
        return deserialize_sparsebridge(header, frames)
    from ._core import _extension, _import_one

    lib = _cuda_module()
    if lib is None:  # pragma: no cover - needs a GPU without torch or CuPy
        raise DeviceError("deserializing a CUDA SparseArray needs torch (with CUDA) or CuPy")
    cons = []
    for name, dt, f in zip(header["names"], header["dtypes"], frames):
        if lib.__name__ == "torch":
            raw = lib.as_tensor(f, device=header["device"]).view(lib.uint8)
            arr = raw.view(getattr(lib, np.dtype(dt).name if dt != "bool" else "bool"))
        else:  # pragma: no cover - CuPy
            arr = lib.asarray(f).view(np.uint8).view(np.dtype(dt))
        cons.append((name, _import_one(name, arr, None)[0]))
    a, _ = _extension()._Array.assemble(header["descriptor"], cons, lenient=False)
    return SparseArray(a)


def register(client: Any = None) -> None:
    """Registers the serializers in this process (idempotent; importing the module calls it).

    With a ``distributed.Client``, also registers them on every worker of its cluster, current
    and future (a worker plugin that imports this module), which deserializing scipy, PyData
    and torch objects there needs.
    """
    global _REGISTERED
    if not _REGISTERED:
        _register_here()
        _REGISTERED = True
    if client is not None:
        client.register_plugin(_Plugin(), name="sparsebridge-serializers")


def _register_here() -> None:
    from contextlib import suppress

    from distributed.protocol import dask_deserialize, dask_serialize

    dask_serialize.register(SparseArray)(serialize_sparsebridge)
    dask_deserialize.register(SparseArray)(deserialize_sparsebridge)
    with suppress(ImportError):
        import scipy.sparse as sp

        # distributed's own scipy registrations are loaded first, so that its lazy loader can
        # never replace these later.
        import distributed.protocol.scipy  # noqa: F401

        for cls in (sp.csr_array, sp.csr_matrix, sp.csc_array, sp.csc_matrix, sp.coo_array, sp.coo_matrix):
            dask_serialize.register(cls)(_scipy_serializer(cls))
            dask_deserialize.register(cls)(deserialize_scipy)
    with suppress(ImportError):
        import sparse

        import distributed.protocol.sparse  # noqa: F401

        for cls in (sparse.COO, sparse.GCXS):
            dask_serialize.register(cls)(serialize_pydata)
            dask_deserialize.register(cls)(deserialize_pydata)
    with suppress(ImportError):
        import torch

        import distributed.protocol.torch  # noqa: F401

        _PREVIOUS_TORCH["serialize"] = dask_serialize.dispatch(torch.Tensor)
        _PREVIOUS_TORCH["deserialize"] = dask_deserialize.dispatch(torch.Tensor)
        dask_serialize.register(torch.Tensor)(serialize_torch)
        dask_deserialize.register(torch.Tensor)(deserialize_torch)
    with suppress(ImportError):
        from distributed.protocol.cuda import cuda_deserialize, cuda_serialize

        cuda_serialize.register(SparseArray)(cuda_serialize_sparsebridge)
        cuda_deserialize.register(SparseArray)(cuda_deserialize_sparsebridge)


try:
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - distributed is the extra's dependency
    _WorkerPlugin = object  # type: ignore[assignment,misc]


class _Plugin(_WorkerPlugin):  # type: ignore[misc,valid-type]
    """Imports sparsebridge.dask (so registers the serializers) on a worker."""

    def setup(self, worker: Any) -> None:
        import sparsebridge.dask as sbd

        sbd.register()


register()

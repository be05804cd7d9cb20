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

import contextlib
import json
import os
from typing import Any, Optional

import numpy as np

from . import _wire
from ._core import SparseArray, asarray, to_sparse, to_torch
from .errors import DeviceError, UnsupportedFormatError

__all__ = ["asformat", "from_hdf5", "register", "to_hdf5"]

_REGISTERED = False
_PREVIOUS_TORCH: dict[str, Any] = {}


# -- serialization ------------------------------------------------------------------------------


def _frames(arrays: list[np.ndarray]) -> list[memoryview]:
    """Byte memoryviews over the arrays' own memory (constituents are 1-D and contiguous)."""
    return [memoryview(a.reshape(-1)).cast("B") for a in arrays]  # type: ignore[arg-type]


def _fallback(f: Any) -> Any:
    """An object binsparse cannot describe (a 0-d COO, float16 values, ...) is left to the next
    serializer family (pickle): distributed moves on only for ``NotImplementedError``."""
    import functools

    from .errors import BinsparseError

    @functools.wraps(f)
    def serialize(x: Any) -> Any:
        try:
            return f(x)
        except BinsparseError as e:
            raise NotImplementedError(f"sparsebridge: {e}") from e

    return serialize


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


@_fallback
def serialize_sparsebridge(x: SparseArray) -> tuple[dict[str, Any], list[memoryview]]:
    """``dask_serialize`` of a host ``SparseArray``: descriptor header, constituent frames."""
    return _serialize_parts(x, "sparsebridge")


def deserialize_sparsebridge(header: dict[str, Any], frames: list[Any]) -> SparseArray:
    """``dask_deserialize``: a ``SparseArray`` whose constituents are the frames' memory."""
    return _rebuild_parts(header, frames)


# scipy: the three (or ndim + 1) arrays travel as they are, canonical or not, and come back in
# the same class with the same dtypes. The header is the binsparse descriptor of the arrays.

_SCIPY_ARRAYS = frozenset({"indptr", "indices", "data", "coords"})


def _plain_state(x: Any) -> Optional[dict[str, Any]]:
    """The object's attributes other than its arrays (shape, flags), when all are plain values:
    the receiver restores them as pickle would, without re-running scipy's constructor checks."""
    state: dict[str, Any] = {}
    for k, v in x.__dict__.items():
        if k in _SCIPY_ARRAYS:
            continue
        if isinstance(v, (bool, np.bool_)):
            state[k] = bool(v)
        elif isinstance(v, (int, str)) or v is None:
            state[k] = v
        elif k == "_shape" and isinstance(v, tuple):
            state[k] = [int(n) for n in v]
        else:
            return None
    return state


_TYPES_CACHE: dict[tuple[np.dtype, np.dtype, np.dtype], dict[str, str]] = {}


def _csr_types(ptr: np.dtype, idx: np.dtype, values: np.dtype) -> dict[str, str]:
    """``data_types`` of a CSR/CSC, cached per dtype triple (NumPy's ``dtype.name`` is slow)."""
    key = (ptr, idx, values)
    types = _TYPES_CACHE.get(key)
    if types is None:
        from .interop._common import binsparse_type

        types = {"pointers_to_1": ptr.name, "indices_1": idx.name, "values": binsparse_type(values)}
        _TYPES_CACHE[key] = types
    return dict(types)


@_fallback
def serialize_scipy(x: Any) -> tuple[dict[str, Any], list[memoryview]]:
    """``dask_serialize`` of a scipy csr/csc/coo array or matrix."""
    from .interop import scipy as adapter

    fmt = x.format
    if fmt in ("csr", "csc") and x.ndim == 2 and x.has_canonical_format:
        # The common case without the adapter's generality: three arrays, a fixed descriptor.
        nnz = int(x.indptr[-1])
        arrays = {"pointers_to_1": x.indptr, "indices_1": x.indices[:nnz], "values": x.data[:nnz]}
        descriptor = {
            "binsparse": {
                "version": "0.1",
                "format": fmt.upper(),
                "shape": [int(n) for n in x.shape],
                "number_of_stored_values": nnz,
                "data_types": _csr_types(x.indptr.dtype, x.indices.dtype, x.dtype),
            }
        }
        canonical = True
    elif x.has_canonical_format:
        descriptor, arrays, canonical = adapter.export(x, copy=False)
    else:
        descriptor, arrays, canonical = _export_raw(x)
    names = list(arrays)
    values = [np.ascontiguousarray(arrays[n]) for n in names]
    header = {
        "descriptor": descriptor,
        "names": names,
        "dtypes": [v.dtype.str for v in values],
        "kind": "scipy",
        "format": fmt,
        "shape": [int(n) for n in x.shape],
        "canonical": bool(canonical),
        "writeable": [bool(v.flags.writeable) for v in values],
        "state": _plain_state(x) if x.ndim == 2 or fmt == "coo" else None,
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
    state = header.get("state")
    if state is not None:
        # As pickle rebuilds it: the sender's attributes, the arrays on the frames.
        cls = {
            "csr": sp.csr_matrix if matrix else sp.csr_array,
            "csc": sp.csc_matrix if matrix else sp.csc_array,
            "coo": sp.coo_matrix if matrix else sp.coo_array,
        }[fmt]
        out = cls.__new__(cls)
        out.__dict__.update(state)
        out._shape = shape
        if fmt == "coo":
            out.coords = tuple(arrays[f"indices_{k}"] for k in range(len(shape)))
        else:
            out.indptr, out.indices = arrays["pointers_to_1"], arrays["indices_1"]
        out.data = arrays["values"]
        return out
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

@_fallback
def serialize_pydata(x: Any) -> tuple[dict[str, Any], list[memoryview]]:
    """``dask_serialize`` of a PyData/Sparse ``COO`` or ``GCXS``."""
    return _serialize_parts(asarray(x), "sparse")


def deserialize_pydata(header: dict[str, Any], frames: list[Any]) -> Any:
    """``dask_deserialize``: the PyData/Sparse array (``COO``, or ``GCXS`` for CSR/CSC)."""
    return to_sparse(_rebuild_parts(header, frames))


def _torch_sparse(t: Any) -> bool:
    import torch

    return t.layout in (torch.sparse_coo, torch.sparse_csr, torch.sparse_csc) and t.device.type == "cpu"


@_fallback
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



# -- dask arrays of sparse chunks over binsparse HDF5 files -------------------------------------

_LIKES = ("scipy", "sparse", "sparsebridge")
_ROW_FORMATS = ("CSR", "DCSR", "COOR")
# Below this many candidates a bisection over an on-disk array reads them in one call.
_BISECT_READ = 4096


def _attribute_text(raw: Any) -> str:
    if isinstance(raw, np.ndarray):
        raw = raw.reshape(-1)[0] if raw.size else b""
    if isinstance(raw, (bytes, np.bytes_)):
        return bytes(raw).decode("utf-8")
    return str(raw)


def _file_info(path: str) -> dict[str, Any]:
    """What the tasks need to know of a binsparse HDF5 file: format, shape, dtypes."""
    import h5py

    from .errors import DescriptorError, FileFormatError

    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except OSError as e:
        raise FileFormatError(f"{path}: not an HDF5 file ({e})") from e
    with f:
        if "binsparse" not in f.attrs:
            raise FileFormatError(f"{path}: no `binsparse` attribute on the root group")
        try:
            desc = json.loads(_attribute_text(f.attrs["binsparse"]))
            inner = desc["binsparse"]
            fmt = str(inner["format"]).upper()
            shape = [int(n) for n in inner["shape"]]
            types = dict(inner["data_types"])
        except (ValueError, KeyError, TypeError) as e:
            raise DescriptorError(f"{path}: invalid binsparse descriptor ({e!r})") from e
        fmt = "COOR" if fmt == "COO" else fmt
        if fmt not in _ROW_FORMATS or len(shape) != 2:
            raise UnsupportedFormatError(
                f"{path}: from_hdf5 reads row blocks of CSR, DCSR and COOR (sorted by row) files, "
                f"not {fmt} of shape {shape} (convert the file first: `sparsebridge convert IN OUT --format CSR`)"
            )
        if inner.get("structure"):
            raise UnsupportedFormatError(
                f"{path}: structure {inner['structure']!r}: a row block of a triangle is not a row block of the matrix"
            )
        vtype = str(types["values"])
        iso = vtype.startswith("iso[")
        vtype = vtype[4:-1] if iso else vtype
        dtype = {"bint8": "bool", "complex[float32]": "complex64", "complex[float64]": "complex128"}.get(vtype, vtype)
        for name in types:
            if name not in f:
                raise FileFormatError(f"{path}: missing dataset `{name}` (the descriptor's data_types list it)")
        if inner.get("fill") or "fill_value" in types:
            fill = np.asarray(f["fill_value"][...]).reshape(-1)
            if fill.size and np.any(fill != 0):
                raise UnsupportedFormatError(f"{path}: a non-zero fill value (sparse chunks of scipy have none)")
        return {"format": fmt, "shape": shape, "dtype": np.dtype(dtype).str, "iso": iso}


def _bisect(ds: Any, value: int, lo: int = 0, hi: Optional[int] = None) -> int:
    """The first position of sorted on-disk array ``ds`` holding ``value`` or more, reading
    O(log n) single elements and one final block."""
    hi = int(ds.shape[0]) if hi is None else hi
    while hi - lo > _BISECT_READ:
        mid = (lo + hi) // 2
        if int(ds[mid]) < value:
            lo = mid + 1
        else:
            hi = mid
    block = ds[lo:hi]
    return lo + int(np.searchsorted(block, value, side="left"))


def _values(f: Any, info: dict[str, Any], p0: int, p1: int) -> np.ndarray:
    dtype = np.dtype(info["dtype"])
    ds = f["values"]
    if dtype.kind == "c":
        # binsparse stores complex values as interleaved floats.
        raw = ds[0:2] if info["iso"] else ds[2 * p0 : 2 * p1]
        vals = np.ascontiguousarray(raw).view(dtype)
    else:
        vals = ds[0:1] if info["iso"] else ds[p0:p1]
        vals = vals.view(dtype) if vals.dtype.itemsize == dtype.itemsize and dtype.kind == "b" else vals.astype(dtype, copy=False)
    if info["iso"]:
        vals = np.full(p1 - p0, vals[0], dtype=dtype)
    return vals


def _read_block(path: str, info: dict[str, Any], r0: int, r1: int, like: str) -> Any:
    """Rows ``[r0, r1)`` of the file as one chunk, reading only that block's part of each array."""
    import h5py
    import scipy.sparse as sp

    ncols = info["shape"][1]
    shape = (r1 - r0, ncols)
    with h5py.File(path, "r") as f:
        fmt = info["format"]
        if fmt == "CSR":
            ptr = f["pointers_to_1"][r0 : r1 + 1].astype(np.int64)
            p0, p1 = int(ptr[0]), int(ptr[-1])
            ptr -= p0
        elif fmt == "DCSR":
            rows = f["indices_0"]
            i0, i1 = _bisect(rows, r0), _bisect(rows, r1)
            sub = f["pointers_to_1"][i0 : i1 + 1].astype(np.int64)
            p0, p1 = int(sub[0]), int(sub[-1])
            ptr = np.zeros(r1 - r0 + 1, dtype=np.int64)
            ptr[rows[i0:i1].astype(np.int64) - r0 + 1] = np.diff(sub)
            np.cumsum(ptr, out=ptr)
        else:
            rows = f["indices_0"]
            p0, p1 = _bisect(rows, r0), _bisect(rows, r1)
            rows_block = rows[p0:p1].astype(np.int64) - r0
        cols = f["indices_1"][p0:p1].astype(np.int64)
        vals = _values(f, info, p0, p1)
    if fmt == "COOR":
        chunk: Any = sp.coo_array((vals, (rows_block, cols)), shape=shape)
        chunk.has_canonical_format = True
    else:
        chunk = sp.csr_array((vals, cols, ptr), shape=shape, copy=False)
        chunk.has_canonical_format = True
    return _as_like(chunk, like)


def _as_like(chunk: Any, like: str) -> Any:
    if like == "scipy":
        return chunk
    sa = asarray(chunk)
    return to_sparse(sa) if like == "sparse" else sa


def _meta(like: str, fmt: str, dtype: np.dtype) -> Any:
    import scipy.sparse as sp

    empty = (sp.coo_array if fmt in ("COOR", "COOC", "COO") else sp.csr_array if fmt != "CSC" else sp.csc_array)((0, 0), dtype=dtype)
    meta = _as_like(empty, like)
    return _SparseArrayMeta(meta._a) if isinstance(meta, SparseArray) else meta


class _SparseArrayMeta(SparseArray):
    """dask's ``meta`` for chunks of ``SparseArray``: an empty ``SparseArray`` whose ``dtype`` is
    a NumPy dtype and which slices to itself (dask normalizes a meta by slicing it)."""

    __slots__ = ()

    @property
    def dtype(self) -> np.dtype:  # type: ignore[override]
        return np.dtype(SparseArray.dtype.fget(self))  # type: ignore[attr-defined]

    def __getitem__(self, key: Any) -> _SparseArrayMeta:
        keys = key if isinstance(key, tuple) else (key,)
        if all(isinstance(k, slice) and k.stop == 0 for k in keys):
            return self
        raise TypeError("a SparseArray is not indexed (this is dask's empty meta)")


def _row_chunks(chunks: Any, nrows: int, ncols: int) -> tuple[int, ...]:
    if isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        step = int(chunks)
        if step <= 0:
            raise ValueError(f"chunks must be positive, not {chunks}")
        return tuple(min(step, nrows - r) for r in range(0, nrows, step)) or (0,)
    if isinstance(chunks, tuple) and len(chunks) == 2 and all(isinstance(c, tuple) for c in chunks):
        if tuple(chunks[1]) != (ncols,):
            raise ValueError(f"from_hdf5 chunks by rows only: the column chunks must be ({ncols},), not {chunks[1]}")
        chunks = chunks[0]
    if isinstance(chunks, tuple) and len(chunks) == 2 and isinstance(chunks[0], (int, np.integer)) and chunks[1] in (ncols, -1):
        return _row_chunks(int(chunks[0]), nrows, ncols)
    if isinstance(chunks, (tuple, list)) and all(isinstance(c, (int, np.integer)) for c in chunks):
        rows = tuple(int(c) for c in chunks)
        if sum(rows) != nrows or any(c < 0 for c in rows):
            raise ValueError(f"row chunks {rows} do not add up to the {nrows} rows")
        return rows
    raise ValueError(f"chunks must be rows per block (int), a tuple of row counts or dask's ((rows...), ({ncols},)), not {chunks!r}")


def from_hdf5(path: str | os.PathLike[str], *, chunks: Any, like: str = "scipy") -> Any:
    """A lazy ``dask.array.Array`` over a binsparse HDF5 file, one chunk per block of rows.

    Each task opens the file and reads only its block: a slice of ``pointers_to_1`` and the
    matching slices of ``indices_1`` and ``values`` for CSR (DCSR: a search of ``indices_0``
    first), a search of the sorted ``indices_0`` for COOR. ``chunks`` is the rows per block, a
    tuple of row counts, or dask's ``((rows, ...), (ncols,))``. ``like`` picks the chunk type:
    ``"scipy"`` (``csr_array``, or ``coo_array`` for COOR), ``"sparse"`` (PyData ``GCXS`` /
    ``COO``: dask's own reductions and ``x @ v`` work on these) or ``"sparsebridge"``
    (``SparseArray``: for ``map_blocks``, :func:`asformat`, :func:`to_hdf5` and transfer). The
    array's ``meta`` is an empty chunk of that type.
    """
    import dask.array as da
    from dask.base import tokenize

    if like not in _LIKES:
        raise ValueError(f"like must be one of {_LIKES}, not {like!r}")
    path = os.fspath(path)
    info = _file_info(path)
    nrows, ncols = info["shape"]
    rows = _row_chunks(chunks, nrows, ncols)
    stat = os.stat(path)
    name = "from_hdf5-" + tokenize(os.path.abspath(path), stat.st_mtime_ns, stat.st_size, rows, like)
    graph: dict[Any, Any] = {}
    r0 = 0
    for i, n in enumerate(rows):
        graph[(name, i, 0)] = (_read_block, path, info, r0, r0 + n, like)
        r0 += n
    dtype = np.dtype(info["dtype"])
    meta = _meta(like, info["format"], dtype)
    return da.Array(graph, name, (rows, (ncols,)), meta=meta, dtype=dtype)


def _convert_chunk(chunk: Any, format: str, like: str) -> Any:
    return _as_like_format(asarray(chunk).asformat(format), like)


def _as_like_format(sa: SparseArray, like: str) -> Any:
    if like == "scipy":
        from ._core import to_scipy

        return to_scipy(sa)
    return to_sparse(sa) if like == "sparse" else sa


def _like_of(x: Any) -> str:
    meta = x._meta
    if isinstance(meta, SparseArray):
        return "sparsebridge"
    mod = type(meta).__module__.split(".")[0]
    if mod == "scipy":
        return "scipy"
    if mod == "sparse":
        return "sparse"
    raise UnsupportedFormatError(f"asformat: chunks of type {type(meta).__name__} are not sparse arrays sparsebridge adapts")


def asformat(x: Any, format: str) -> Any:
    """``x`` with every chunk converted to binsparse ``format`` (``"CSC"``, ``"COOR"``, ...) on the
    worker that holds it (``map_blocks``); chunks stay of the same library (scipy has no DCSR or
    DCSC: those chunks come back as CSR / CSC)."""
    like = _like_of(x)
    fmt = format.upper()
    import scipy.sparse as sp

    empty = _convert_chunk(sp.csr_array((0, 0), dtype=x.dtype), fmt, like)
    if isinstance(empty, SparseArray):
        empty = _SparseArrayMeta(empty._a)
    return x.map_blocks(_convert_chunk, fmt, like, dtype=x.dtype, meta=empty)


def _block_csr(chunk: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A computed chunk as CSR arrays (pointers, indices, values), converted by sparsebridge."""
    sa = asarray(chunk).asformat("CSR", index_dtype="int64")
    cons = {n: np.from_dlpack(c) for n, c in sa.__binsparse__().items()}
    values = cons["values"]
    dtype = np.dtype(sa.dtype)
    if dtype.kind == "c":
        values = values.view(dtype)
    elif dtype.kind == "b":
        values = values.view(np.bool_)
    nnz = sa.nnz
    if sa.__binsparse_descriptor__()["binsparse"]["data_types"]["values"].startswith("iso["):
        values = np.full(nnz, values[0], dtype=dtype)
    return cons["pointers_to_1"], cons["indices_1"], values


def to_hdf5(x: Any, path: str | os.PathLike[str]) -> None:
    """Writes a 2-D dask array of sparse chunks (scipy, PyData or sparsebridge) to one binsparse
    HDF5 CSR file, one row block at a time (the whole matrix is never in memory at once).

    The file is built under a temporary name beside ``path`` and renamed into place when it is
    complete, so a failure leaves no partial file (and an old file at ``path`` untouched).
    """
    import dask
    import h5py

    from .interop._common import binsparse_type

    path = os.fspath(path)
    if x.ndim != 2:
        raise UnsupportedFormatError(f"to_hdf5 writes 2-D arrays, not {x.ndim}-D")
    if len(x.chunks[1]) != 1:
        x = x.rechunk({1: -1})
    nrows, ncols = (int(n) for n in x.shape)
    dtype = np.dtype(x.dtype)
    vtype = binsparse_type(dtype.name)
    stored = {"c": np.float32 if dtype == np.complex64 else np.float64, "b": np.uint8}.get(dtype.kind, dtype)
    directory = os.path.dirname(os.path.abspath(path))
    os.stat(directory)  # FileNotFoundError for a missing directory, before any work
    temp = os.path.join(directory, f".{os.path.basename(path)}.sbtmp.{os.getpid()}.{id(x)}")
    try:
        with h5py.File(temp, "w") as f:
            ptr_ds = f.create_dataset("pointers_to_1", shape=(nrows + 1,), dtype=np.int64)
            idx_ds = f.create_dataset("indices_1", shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(1 << 16,))
            val_ds = f.create_dataset("values", shape=(0,), maxshape=(None,), dtype=stored, chunks=(1 << 16,))
            ptr_ds[0] = 0
            row, nnz = 0, 0
            for block in x.to_delayed().ravel():
                (chunk,) = dask.compute(block)
                ptr, idx, vals = _block_csr(chunk)
                n = int(ptr.shape[0]) - 1
                k = int(idx.shape[0])
                ptr_ds[row + 1 : row + n + 1] = ptr[1:] + nnz
                idx_ds.resize((nnz + k,))
                idx_ds[nnz:] = idx
                raw = vals.view(stored) if dtype.kind in "cb" else vals
                val_ds.resize((raw.shape[0] + val_ds.shape[0],))
                val_ds[val_ds.shape[0] - raw.shape[0] :] = raw
                row += n
                nnz += k
            if row != nrows:
                raise UnsupportedFormatError(f"to_hdf5: the chunks hold {row} rows, the array {nrows}")
            descriptor = {
                "binsparse": {
                    "version": "0.1",
                    "format": "CSR",
                    "shape": [nrows, ncols],
                    "number_of_stored_values": nnz,
                    "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": vtype},
                }
            }
            f.attrs["binsparse"] = json.dumps(descriptor, indent=2)
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise

register()

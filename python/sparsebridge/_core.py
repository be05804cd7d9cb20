"""``SparseArray``, ``from_binsparse``, ``asarray`` and the consumer helpers."""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Optional, SupportsIndex

from . import _lenient
from ._formats import FORMAT_NAMES, canonical_name
from .errors import (
    BinsparseWarning,
    CopyRequiredError,
    DescriptorError,
    StructureError,
    UnsupportedFormatError,
)

try:
    from . import _sparsebridge as _ext
except ImportError as _e:  # pragma: no cover - only without a built extension
    _ext = None  # type: ignore[assignment]
    _EXT_ERROR: Optional[ImportError] = _e
else:
    _EXT_ERROR = None

if TYPE_CHECKING:
    import numpy as np

    from typing_extensions import CapsuleType

    from ._sparsebridge import Constituent, _Array

__all__ = [
    "SparseArray",
    "asarray",
    "from_binsparse",
    "read",
    "to_cupy",
    "to_jax",
    "to_scipy",
    "to_sparse",
    "to_torch",
    "write",
]

# The DLPack version sparsebridge asks producers for (dlpark 0.10 bundles 1.3).
_MAX_VERSION = (1, 3)

# binsparse value type (iso stripped) -> NumPy dtype name.
_NUMPY_NAME = {
    "bint8": "bool",
    "complex[float32]": "complex64",
    "complex[float64]": "complex128",
}


def _extension() -> Any:
    if _ext is None:
        raise ImportError(
            "sparsebridge's Rust extension (sparsebridge._sparsebridge) is not built: "
            "run `make py-build` or `pip install .`"
        ) from _EXT_ERROR
    return _ext


def _dumps(descriptor: object) -> str:
    if not isinstance(descriptor, Mapping):
        raise DescriptorError(
            f"a descriptor must be a dict, not {type(descriptor).__name__}"
        )
    try:
        return json.dumps(descriptor)
    except (TypeError, ValueError) as e:
        raise DescriptorError(f"the descriptor is not JSON-serialisable: {e}") from e


def _warn(messages: list[str]) -> None:
    for m in messages:
        warnings.warn(m, BinsparseWarning, stacklevel=4)


class SparseArray:
    """A sparse (or dense) array in any binsparse format, on one device.

    Build one with :func:`sparsebridge.asarray` or :func:`sparsebridge.from_binsparse`. It is a
    producer of the ``__binsparse__`` protocol: its constituent arrays support ``__dlpack__``.
    """

    __slots__ = ("_a",)

    def __init__(self, _array: _Array) -> None:
        """Wraps an extension array; use :func:`asarray` or :func:`from_binsparse` instead."""
        if _ext is None or not isinstance(_array, _ext._Array):
            raise TypeError(
                "SparseArray is not constructed directly: use sparsebridge.asarray(obj) "
                "or sparsebridge.from_binsparse(producer)"
            )
        self._a = _array

    # -- the protocol ---------------------------------------------------------------------------

    def __binsparse_descriptor__(self) -> dict[str, Any]:
        """The strict binsparse descriptor (binsparse-protocol.md §12), as a dict."""
        result: dict[str, Any] = json.loads(self._a.descriptor_json())
        return result

    def __binsparse__(
        self, /, *, descriptor: Optional[Mapping[str, Any]] = None
    ) -> dict[str, Constituent]:
        """The constituent arrays, keyed as ``descriptor["binsparse"]["data_types"]``.

        With ``descriptor``, the data is first converted on its own device to the requested
        format and index dtypes: an unsupported request raises ``UnsupportedFormatError``
        (a ``TypeError``), an invalid descriptor ``DescriptorError`` (a ``ValueError``).
        """
        a = self._a
        if descriptor is not None:
            a = a.fulfil(_dumps(descriptor))[0]
        return dict(a.constituents())

    # -- properties -----------------------------------------------------------------------------

    @property
    def format(self) -> str:
        """The binsparse format name (``"CSR"``, ``"COOR"``, ...), or ``"custom"``."""
        result: str = self._a.format
        return result

    @property
    def shape(self) -> tuple[int, ...]:
        """The logical shape."""
        return tuple(self._a.shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self._a.shape)

    @property
    def nnz(self) -> int:
        """The number of stored values (``number_of_stored_values``)."""
        result: int = self._a.nnz
        return result

    @property
    def dtype(self) -> str:
        """The NumPy name of the value dtype (``bint8`` is ``"bool"``)."""
        t: str = self._a.value_type
        if t.startswith("iso["):
            t = t[4:-1]
        return _NUMPY_NAME.get(t, t)

    @property
    def index_dtype(self) -> Optional[str]:
        """The dtype of the index arrays, or ``None`` for dense formats."""
        result: Optional[str] = self._a.index_dtype
        return result

    @property
    def device(self) -> str:
        """``"cpu"``, ``"cuda:0"``, ..."""
        result: str = self._a.device
        return result

    # -- methods --------------------------------------------------------------------------------

    def asformat(
        self, format: str, *, index_dtype: Optional[str] = None, copy: Optional[bool] = None
    ) -> SparseArray:
        """This array in ``format`` (case-insensitive; ``"coo"`` means ``"COOR"``), converted on
        its own device. ``index_dtype`` sets every index and pointer dtype.

        The result shares every constituent the conversion does not change with this array
        (docs/ownership.md, "aliasing"): ``copy=True`` gives it fresh buffers only, and
        ``copy=False`` raises :class:`CopyRequiredError` when the conversion would allocate."""
        fmt = format.upper()
        a, _ = self._a.convert(fmt, index_dtype=index_dtype, pointer_dtype=index_dtype, copy=copy)
        return SparseArray(a)

    @property
    def T(self) -> SparseArray:
        """The transpose of a 2-D array, as a relabelling that moves nothing: CSR of ``A`` is CSC
        of ``Aᵀ`` (likewise DCSR/DCSC, COOR/COOC, DMATR/DMATC). Every constituent is shared with
        this array; a ``structure`` flips its triangle. Raises :class:`UnsupportedFormatError`
        for vectors and custom formats."""
        return SparseArray(self._a.transposed())

    def to_device(self, device: str) -> SparseArray:
        """This array on ``device`` (``"cpu"``, ``"cuda:0"``, ...); shares memory when it is already
        there."""
        a, _ = self._a.to_device(device)
        return SparseArray(a)

    def validate(self) -> None:
        """The full O(nnz) check: pointers, index bounds, sorted and unique order.

        Raises ``StructureError`` naming the array and position of the first violation.
        """
        self._a.validate()

    def todense(self) -> np.ndarray:
        """A NumPy array with every logical element (``fill_value`` where nothing is stored)."""
        from ._dense import todense

        return todense(self)

    def to_scipy(self) -> Any:
        """See :func:`sparsebridge.to_scipy`."""
        return to_scipy(self)

    def to_torch(self, *, device: Optional[str] = None) -> Any:
        """See :func:`sparsebridge.to_torch`."""
        return to_torch(self, device=device)

    def to_cupy(self) -> Any:
        """See :func:`sparsebridge.to_cupy`."""
        return to_cupy(self)

    def to_sparse(self) -> Any:
        """See :func:`sparsebridge.to_sparse`."""
        return to_sparse(self)

    def to_jax(self) -> Any:
        """See :func:`sparsebridge.to_jax`."""
        return to_jax(self)

    # -- pickle and copy --------------------------------------------------------------------------

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        """Pickling: the descriptor plus one buffer per constituent.

        With protocol 5 each buffer is a ``pickle.PickleBuffer`` over the constituent's memory:
        ``pickle.dumps(a, protocol=5, buffer_callback=cb)`` passes every buffer to ``cb`` (out of
        band; the pickle itself holds only the descriptor, names and dtypes), and
        ``pickle.loads(data, buffers=...)`` builds an array that shares those buffers. Without a
        callback, or with protocol < 5, the bytes travel in band. A CUDA array raises
        :class:`DeviceError`.
        """
        import pickle

        from . import _wire

        desc, names, dtypes, arrays = _wire.parts(self, "pickle")
        bufs: tuple[Any, ...]
        if int(protocol) >= 5:
            bufs = tuple(pickle.PickleBuffer(a) for a in arrays)  # type: ignore[arg-type]
        else:
            bufs = tuple(a.tobytes() for a in arrays)
        return (_wire._unpickle, (desc, tuple(names), tuple(dtypes), bufs))

    def __reduce__(self) -> tuple[Any, ...]:
        return self.__reduce_ex__(2)

    def __copy__(self) -> SparseArray:
        """A copy with its own buffers, as ``copy.copy`` of a NumPy array is."""
        return asarray(self, copy=True)

    def __deepcopy__(self, memo: dict[int, Any]) -> SparseArray:
        """A copy with its own buffers (the constituents hold no Python objects)."""
        return asarray(self, copy=True)

    def __repr__(self) -> str:
        return (
            f"SparseArray(format={self.format}, shape={self.shape}, nnz={self.nnz}, "
            f"dtype={self.dtype}, index_dtype={self.index_dtype}, device={self.device})"
        )


# -- importing constituents ----------------------------------------------------------------------


def _import_one(
    name: str, obj: object, copy: Optional[bool]
) -> tuple[Constituent, list[int]]:
    """Imports one constituent through DLPack: versioned first, legacy on ``TypeError``."""
    ext = _extension()
    if isinstance(obj, ext.Constituent) and copy is not True:
        return obj, [len(obj)]
    dlpack = getattr(obj, "__dlpack__", None)
    if dlpack is None:
        raise DescriptorError(
            f"constituent array `{name}` ({type(obj).__name__}) does not implement __dlpack__"
        )
    kwargs: dict[str, Any] = {}
    if copy is False:
        kwargs["copy"] = False
    try:
        capsule = dlpack(max_version=_MAX_VERSION, **kwargs)
    except TypeError:
        # A producer that predates the 2023.12 signature: ask for the legacy ABI.
        capsule = dlpack()
    con, shape, _copied, _read_only = ext.Constituent.from_capsule(
        capsule, copy=copy, allow_2d=True
    )
    return con, list(shape)


def _assemble(
    descriptor: Mapping[str, Any],
    arrays: Mapping[str, object],
    copy: Optional[bool],
    *,
    lenient: bool = True,
) -> _Array:
    """Imports every constituent and builds the extension array (O(1) checks only)."""
    ext = _extension()
    inner = descriptor.get("binsparse", descriptor)
    fmt = inner.get("format") if isinstance(inner, Mapping) else None
    if isinstance(fmt, str) and fmt.upper() not in FORMAT_NAMES:
        # Refuse before touching the arrays (e.g. scipy's "BSR" with a 3-D values array).
        raise DescriptorError(f"`binsparse.format`: unknown format {fmt!r} (not a binsparse 0.1 format)")
    if not isinstance(arrays, Mapping):
        raise DescriptorError(
            f"__binsparse__ returned {type(arrays).__name__}, not a dict of arrays"
        )
    fixed_descriptor, fixed_arrays, notes = _lenient.normalise(
        descriptor, arrays, lambda n, o: _import_one(n, o, copy)
    )
    if notes:
        if not lenient:
            raise DescriptorError("; ".join(notes))
        _warn(notes)
    a, warns = ext._Array.assemble(
        _dumps(fixed_descriptor), list(fixed_arrays.items()), lenient=lenient
    )
    _warn(list(warns))
    return a


def from_binsparse(
    x: object,
    /,
    *,
    descriptor: Optional[Mapping[str, Any]] = None,
    device: Optional[str] = None,
    copy: Optional[bool] = None,
) -> SparseArray:
    """Consumes any producer of the ``__binsparse__`` protocol.

    - ``descriptor``: request this format / index dtypes from the producer (it converts).
    - ``device``: ``None`` keeps the producer's device; otherwise the data is moved there.
    - ``copy``: ``True`` always copies; ``False`` never copies or converts and raises
      :class:`CopyRequiredError` when either is needed; ``None`` copies only when needed.

    The lenient variants of binsparse-protocol.md §11 are accepted (with a
    :class:`BinsparseWarning`); errors raised by the producer propagate unchanged.
    """
    if isinstance(x, SparseArray):
        a = x._a
        copied = False
        if descriptor is not None:
            a, copied = a.fulfil(_dumps(descriptor), copy=copy)
    else:
        a, copied = _from_producer(x, descriptor, copy)
    if device is not None:
        a, moved = a.to_device(device, copy=copy)
        copied = copied or moved
    if copy is True and not copied:
        a, _ = a.to_device(a.device, copy=True)
    return SparseArray(a)


# -- defensive consumption -----------------------------------------------------------------------
# A producer is untrusted twice over: its arrays (validated in full before use) and its own
# account of them. When the object belongs to a library sparsebridge adapts, the adapter reads the
# object's own attributes, so the two readings can be compared, and the adapter's wins.

def _inner(d: object) -> Mapping[str, Any]:
    if isinstance(d, Mapping):
        inner = d.get("binsparse", d)
        if isinstance(inner, Mapping):
            return inner
    return {}


def _norm_format(f: object) -> object:
    return canonical_name(f) if isinstance(f, str) else f


def _norm_type(t: object) -> object:
    if isinstance(t, str) and t.startswith("iso[") and t.endswith("]"):
        return t[4:-1]
    return t


def _disagreements(
    ours: Mapping[str, Any], theirs: object, our_arrays: Mapping[str, Any], their_arrays: Optional[Mapping[str, Any]]
) -> list[str]:
    """Where a producer's descriptor (and, when given, its fill value) contradicts the adapter's
    reading of the same object: shape, number of stored values, value dtype, fill, format."""
    a, b = _inner(ours), _inner(theirs)
    out = []
    shape_a = list(a.get("shape", []))
    shape_b = b.get("shape")
    if not isinstance(shape_b, (list, tuple)) or list(shape_b) != shape_a:
        out.append(f"shape {shape_b!r} (the object has {shape_a})")
    nnz_a = a.get("number_of_stored_values")
    nnz_b = b.get("number_of_stored_values", b.get("nnz"))
    if nnz_b != nnz_a:
        out.append(f"number_of_stored_values {nnz_b!r} (the object stores {nnz_a})")
    types_b = b.get("data_types")
    vt_a = _norm_type(a.get("data_types", {}).get("values"))
    vt_b = _norm_type(types_b.get("values")) if isinstance(types_b, Mapping) else None
    if vt_b != vt_a:
        out.append(f"values dtype {vt_b!r} (the object holds {vt_a})")
    fill_a, fill_b = bool(a.get("fill", False)), bool(b.get("fill", False))
    if fill_a != fill_b:
        out.append(f"fill {fill_b} (the object {'has' if fill_a else 'has no'} non-zero fill value)")
    elif fill_a and their_arrays is not None and "fill_value" in their_arrays:
        import numpy as np

        try:
            fa = np.asarray(our_arrays["fill_value"]).reshape(-1)[:1]
            fb = np.asarray(np.from_dlpack(their_arrays["fill_value"])).reshape(-1)[:1]
            if fa.tolist() != fb.tolist():
                out.append(f"fill_value {fb.tolist()} (the object's is {fa.tolist()})")
        except Exception as e:  # noqa: BLE001 - an unreadable fill value is itself a disagreement
            out.append(f"fill_value unreadable ({type(e).__name__}: {e})")
    fmt_a, fmt_b = _norm_format(a.get("format")), _norm_format(b.get("format"))
    if isinstance(fmt_a, str) and fmt_b != fmt_a:
        out.append(f"format {b.get('format')!r} (the object is stored as {fmt_a})")
    return out


def _adapter_of(x: object) -> Any:
    from .interop import adapter_for

    adapter = adapter_for(x)
    if adapter is None or not getattr(adapter, "handles", lambda _o: False)(x):
        return None
    return adapter


def _by_adapter(
    x: object, adapter: Any, descriptor: Optional[Mapping[str, Any]], copy: Optional[bool], why: str
) -> tuple[_Array, bool]:
    """The adapter's reading of ``x`` (what ``asarray`` gives), converted by us if requested."""
    warnings.warn(
        f"{type(x).__module__}.{type(x).__qualname__}: {why}; using sparsebridge's "
        f"{adapter.__name__.rsplit('.', 1)[-1]} adapter instead",
        BinsparseWarning,
        stacklevel=4,
    )
    a = asarray(x, copy=copy)._a
    copied = copy is True
    if descriptor is not None:
        a, conv = a.fulfil(_dumps(descriptor), copy=copy)
        copied = copied or conv
    return a, copied


def _from_producer(
    x: object, descriptor: Optional[Mapping[str, Any]], copy: Optional[bool]
) -> tuple[_Array, bool]:
    produce = x.__binsparse__  # type: ignore[attr-defined]  # AttributeError, as the draft says
    adapter = _adapter_of(x)
    try:
        native = x.__binsparse_descriptor__()  # type: ignore[attr-defined]
    except NotImplementedError as e:
        if adapter is None:
            raise
        return _by_adapter(x, adapter, descriptor, copy, f"__binsparse_descriptor__ raised NotImplementedError ({e})")
    reading: Optional[tuple[Any, ...]] = None
    if adapter is not None:
        try:
            reading = adapter.export(x, copy=None)
        except Exception:  # noqa: BLE001 - the adapter cannot read it: the protocol is all we have
            reading = None
        if reading is not None:
            diffs = _disagreements(reading[0], native, reading[1], None)
            if diffs:
                return _by_adapter(
                    x, adapter, descriptor, copy,
                    "__binsparse_descriptor__ disagrees with the object: " + "; ".join(diffs),
                )
    fulfil_here = False
    if descriptor is None:
        try:
            arrays = produce()
        except NotImplementedError as e:
            if adapter is None:
                raise
            return _by_adapter(x, adapter, None, copy, f"__binsparse__() raised NotImplementedError ({e})")
        desc = native
    else:
        if copy is False and not _lenient.same_layout(native, descriptor):
            raise CopyRequiredError(
                "copy=False: the requested descriptor differs from the producer's stored "
                "format, so a conversion would be needed"
            )
        try:
            arrays = produce(descriptor=descriptor)
            desc = descriptor
        except (NotImplementedError, TypeError) as e:
            # The producer cannot fulfil this request: read the object another way, then
            # convert it ourselves (a TypeError is the protocol's "unsupported request").
            if adapter is not None:
                return _by_adapter(
                    x, adapter, descriptor, copy,
                    f"__binsparse__(descriptor=...) raised {type(e).__name__} ({e})",
                )
            arrays = produce()
            desc = native
            fulfil_here = True
    if not isinstance(desc, Mapping):
        raise DescriptorError(
            f"__binsparse_descriptor__ returned {type(desc).__name__}, not a dict"
        )
    if reading is not None and isinstance(arrays, Mapping) and not fulfil_here and descriptor is None:
        diffs = _disagreements(reading[0], desc, reading[1], arrays)
        if diffs:
            return _by_adapter(
                x, adapter, None, copy, "__binsparse__ disagrees with the object: " + "; ".join(diffs)
            )
    a = _assemble(desc, arrays, copy)
    # Third-party data gets the full O(nnz) structural check (pointers, bounds, order,
    # uniqueness) before it is used; sparsebridge's own arrays carry their validation.
    # Arrays on a CUDA device are checked on the device before their first conversion.
    if not str(a.device).startswith("cuda:"):
        a.validate()
        from ._dense import check_structure

        check_structure(SparseArray(a))
    copied = copy is True
    if fulfil_here:
        if descriptor is None:  # pragma: no cover - fulfil_here implies a request
            raise AssertionError("no request to fulfil")
        a, conv = a.fulfil(_dumps(descriptor), copy=copy)
        copied = copied or conv
    return a, copied


# Adapters whose choice depends on the object's type only (``BY_TYPE``), by type: the lookup
# of `interop.adapter_for` (an MRO walk and an import) is paid once per type.
_FAST_ADAPTERS: dict[type, ModuleType] = {}


def asarray(
    obj: object, *, copy: Optional[bool] = None, duplicates: str = "sum"
) -> SparseArray:
    """Wraps ``obj`` as a :class:`SparseArray`, zero-copy wherever the layouts allow.

    Accepts scipy.sparse arrays and matrices (csr, csc, coo directly; dok, lil, bsr and dia
    through ``tocsr()``, a copy), torch sparse COO/CSR/CSC tensors, cupyx sparse matrices,
    PyData/Sparse COO and GCXS, JAX BCOO and BCSR, NumPy dense arrays (DVEC, DMATR, DMATC,
    n-d dense) and any object with ``__binsparse__``. ``copy=False`` raises
    :class:`CopyRequiredError` when a copy or a canonicalisation would be needed.

    Non-canonical scipy COO/CSR/CSC and PyData COO input (unsorted or duplicated coordinates)
    is canonicalised on a copy by the Rust engine (in parallel, the GIL released):
    ``duplicates="sum"`` (the default, scipy's ``sum_duplicates()`` semantics) sums duplicate
    coordinates in input order; ``duplicates="reject"`` raises :class:`StructureError` naming
    the first duplicate's coordinates instead (unsorted but duplicate-free input is still
    sorted).
    """
    if duplicates not in ("sum", "reject"):
        raise ValueError(f'duplicates must be "sum" or "reject", not {duplicates!r}')
    if isinstance(obj, SparseArray):
        if copy is True:
            a, _ = obj._a.to_device(obj.device, copy=True)
            return SparseArray(a)
        return obj
    adapter: Optional[ModuleType] = _FAST_ADAPTERS.get(type(obj))
    if adapter is None:
        from .interop import adapter_for

        adapter = adapter_for(obj)
        if adapter is not None and getattr(adapter, "BY_TYPE", False):
            _FAST_ADAPTERS[type(obj)] = adapter
    fast = getattr(adapter, "parts", None)
    if fast is not None:
        # The hand-off fast path: canonical input of a known layout goes to Rust in one call.
        found = fast(obj)
        if found is not None:
            fmt, shape, nnz, arrays = found
            return SparseArray(
                _extension()._Array.from_parts(fmt, shape, nnz, arrays, copy=copy, source=getattr(adapter, "SOURCE", None))
            )
    if adapter is None:
        if hasattr(obj, "__binsparse__"):
            return from_binsparse(obj, copy=copy)
        raise UnsupportedFormatError(
            f"sparsebridge.asarray: cannot wrap {type(obj).__module__}.{type(obj).__qualname__} "
            "(not a supported sparse or dense array, and no __binsparse__ method)"
        )
    exported = adapter.export(obj, copy=copy)
    descriptor, arrays = exported[0], exported[1]
    # A third item False: the arrays are not known to be canonical (see interop/__init__.py).
    canonical = exported[2] if len(exported) > 2 else True
    if not canonical:
        inner = descriptor["binsparse"]
        nnz, positions = inner["number_of_stored_values"], math.prod(inner["shape"])
        if nnz > positions:
            # More entries than positions: no binsparse descriptor can hold them before the
            # duplicates are merged, so the library merges them (the only case it still does).
            if duplicates == "reject":
                raise StructureError(
                    f"{nnz} stored entries in a shape of {positions} positions: duplicate "
                    'coordinates (duplicates="reject")'
                )
            descriptor, arrays, canonical = adapter.export(adapter.sum_duplicates(obj), copy=copy)
    a = _assemble(descriptor, arrays, copy, lenient=False)
    if not canonical:
        a, _ = a.canonicalize(duplicates)
    return SparseArray(a)


def _as_sparse_array(x: object) -> SparseArray:
    if isinstance(x, SparseArray):
        return x
    if hasattr(x, "__binsparse__"):
        return from_binsparse(x)
    return asarray(x)


def to_scipy(x: object) -> Any:
    """A ``scipy.sparse`` array (``csr_array``, ``csc_array`` or ``coo_array``) from any protocol
    producer (or anything :func:`asarray` accepts), sharing memory where scipy allows."""
    from .interop import scipy as adapter

    return adapter.to_scipy(_as_sparse_array(x))


def to_torch(x: object, *, device: Optional[str] = None) -> Any:
    """A torch sparse tensor (COO, CSR or CSC layout), optionally on ``device``."""
    from .interop import torch as adapter

    return adapter.to_torch(_as_sparse_array(x), device=device)


def to_cupy(x: object) -> Any:
    """A ``cupyx.scipy.sparse`` matrix on the GPU (needs CuPy and a CUDA device)."""
    from .interop import cupy as adapter

    return adapter.to_cupy(_as_sparse_array(x))


def to_sparse(x: object) -> Any:
    """A PyData/Sparse array (``COO``, or ``GCXS`` for CSR/CSC), keeping any fill value."""
    from .interop import pydata as adapter

    return adapter.to_sparse(_as_sparse_array(x))


def to_jax(x: object) -> Any:
    """A JAX sparse array (``BCOO``, or ``BCSR`` for CSR)."""
    from .interop import jax as adapter

    return adapter.to_jax(_as_sparse_array(x))


# -- files ---------------------------------------------------------------------------------------


def read(path: str | os.PathLike[str], *, format: Optional[str] = None) -> SparseArray:
    """Reads a binsparse HDF5 file (``.bsp.h5``, ``.h5``, ``.hdf5``), a binsparse NPY directory
    (``binsparse.json`` plus one ``.npy`` per array) or a Matrix Market file (``.mtx``).

    ``format`` is the file format (``"hdf5"``, ``"npy-dir"``, ``"mtx"``); ``None`` tells it from
    the path. The readers are the CLI's (crates/io). The array is checked in full (pointers,
    bounds, order) before it is returned. A malformed file raises :class:`FileFormatError`, an
    invalid descriptor :class:`DescriptorError`, invalid indices :class:`StructureError` (each
    naming the file); a missing file ``FileNotFoundError``. Reader warnings (legacy descriptor
    keys) are emitted as :class:`BinsparseWarning`.
    """
    a, _fmt, warns = _extension().read_file(os.fspath(path), format=format)
    _warn(list(warns))
    return SparseArray(a)


def write(
    path: str | os.PathLike[str],
    x: object,
    *,
    format: Optional[str] = None,
    version: str = "0.1",
) -> None:
    """Writes ``x`` (anything :func:`asarray` accepts, on the CPU) to ``path`` atomically.

    ``format`` is the file format (``"hdf5"``, ``"npy-dir"``, ``"mtx"``); ``None`` tells it from
    the path, as :func:`read` does. The file is written under a temporary name beside ``path``
    and renamed into place, so a failure never leaves a partial file. ``version`` spells the
    binsparse version in HDF5 / NPY output (``"0.1"``, the spec's; ``"0.1.0"`` for PyPI binsparse
    0.1.4). Matrix Market output is a coordinate (or, for dense formats, array) file of any
    predefined 1-D or 2-D format; custom formats and non-zero fill values raise
    :class:`UnsupportedFormatError`.
    """
    a = asarray(x)
    if a.device != "cpu":
        from .errors import DeviceError

        raise DeviceError(
            f"sparsebridge.write: the array is on {a.device}; move it with .to_device('cpu') first"
        )
    _extension().write_file(a._a, os.fspath(path), format=format, version=version)


# -- C ABI capsules -------------------------------------------------------------------------------


def to_capsule(x: object) -> CapsuleType:
    """``x`` (anything :func:`asarray` accepts) as a PyCapsule named
    ``"sparsebridge.sparse_tensor"`` whose pointer is a C ``SBSparseTensor*`` (the C ABI of
    ``sparsebridge.h``; docs/capi.md). Zero-copy: the tensor's DLPack arrays share the array's
    memory. A C extension consumes it by renaming the capsule
    ``"used_sparsebridge.sparse_tensor"`` and calling ``x->deleter(x)`` when done; a capsule
    that was never consumed releases the tensor when it is garbage-collected.
    """
    return _extension().to_capsule(asarray(x)._a)  # type: ignore[no-any-return]


def from_capsule(capsule: object) -> SparseArray:
    """Consumes a ``"sparsebridge.sparse_tensor"`` capsule (made by :func:`to_capsule` or by any
    C producer of the ABI), renaming it ``"used_sparsebridge.sparse_tensor"``. Zero-copy: the
    result keeps the tensor alive and releases it when its last buffer is gone. A consumed capsule
    or another object raises ``ValueError`` / ``TypeError``.
    """
    return SparseArray(_extension().from_capsule(capsule))


def _register_lazily_with_distributed() -> None:
    """In a process that runs distributed (a worker unpickling a ``SparseArray``'s type), the
    first lookup of a sparsebridge type in its serializer registry imports
    :mod:`sparsebridge.dask`, which registers the serializers."""
    serialize = sys.modules.get("distributed.protocol.serialize")
    if serialize is None:
        return

    def load() -> None:
        import sparsebridge.dask  # noqa: F401

    for registry in (serialize.dask_serialize, serialize.dask_deserialize):
        if "sparsebridge" not in getattr(registry, "_lazy", {"sparsebridge": None}):
            registry.register_lazy("sparsebridge")(load)


_register_lazily_with_distributed()

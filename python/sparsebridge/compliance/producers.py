"""Reference producers: NumPy-backed objects implementing ``__binsparse_descriptor__`` / ``__binsparse__``.

:class:`ReferenceArray` emits the strict form (binsparse-protocol §12) and honours ``descriptor=`` requests by
re-encoding. :class:`RawProducer` returns exactly the descriptor and arrays it is given; the lenient variants
(binsparse-protocol §11) and hostile producers fed to consumers are built from it.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Mapping

import numpy as np

from .codec import encode
from .formats import Descriptor, DescriptorError, UnsupportedFormatError, parse_descriptor


class Constituent:
    """A 1-D array exposing only the DLPack protocol (``__dlpack__`` with max_version/stream/dl_device/copy)."""

    def __init__(self, array: np.ndarray, *, fail: BaseException | None = None) -> None:
        self._array = array
        self._fail = fail

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """Export through NumPy; raises the planted failure, if any."""
        if self._fail is not None:
            raise self._fail
        if stream is not None:
            raise BufferError("stream must be None for CPU arrays (DLPack python_spec)")
        kwargs = {}
        if max_version is not None:
            kwargs["max_version"] = max_version
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        if copy is not None:
            kwargs["copy"] = copy
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """(kDLCPU, 0)."""
        return self._array.__dlpack_device__()

    def __repr__(self) -> str:
        return f"Constituent({self._array!r})"


def _wrap(arrays: Mapping[str, np.ndarray]) -> dict[str, Constituent]:
    return {k: Constituent(np.asarray(v)) for k, v in arrays.items()}


class ReferenceArray:
    """A correct producer over a dense NumPy array, in the strict form of ``format``.

    Keyword arguments are those of :func:`sparsebridge.compliance.codec.encode`.
    """

    def __init__(self, dense: np.ndarray, format: object = "CSR", **encode_kwargs) -> None:
        self.dense = np.asarray(dense)
        self.format = format
        self._kw = encode_kwargs
        self._descriptor, self._arrays = encode(self.dense, format, **encode_kwargs)

    @property
    def shape(self) -> tuple[int, ...]:
        """The logical shape."""
        return self.dense.shape

    def __binsparse_descriptor__(self) -> dict:
        """The wrapped strict descriptor (a fresh copy each call)."""
        return _copy.deepcopy(self._descriptor)

    def __binsparse__(self, *, descriptor: dict | None = None) -> dict[str, Constituent]:
        """The constituent arrays; with ``descriptor=``, re-encoded to the requested form.

        An invalid request raises ValueError; a format that is not binsparse 0.1 raises TypeError.
        """
        if descriptor is None:
            return _wrap(self._arrays)
        req = parse_descriptor(descriptor, strict=False)  # DescriptorError / UnsupportedFormatError
        return _wrap(self._reencode(req))

    def _reencode(self, req: Descriptor) -> dict[str, np.ndarray]:
        if req.shape != self.dense.shape:
            raise DescriptorError(f"requested shape {list(req.shape)} differs from the array's "
                                  f"{list(self.dense.shape)} (binsparse-protocol §10.2)")
        if req.remap:
            raise UnsupportedFormatError("lenient layouts are not produced on request")
        if req.structure != self._kw.get("structure"):
            raise UnsupportedFormatError(f"structure {req.structure!r} cannot be produced from "
                                         f"{self._kw.get('structure')!r}")
        base = req.value_type.base
        ptr = [req.data_types[k] for k in req.pointer_names]
        idx = [req.data_types[k] for k in req.index_names]
        if len(set(ptr)) > 1 or len(set(idx)) > 1:
            raise UnsupportedFormatError("mixed index dtypes across levels are not produced on request")
        fill = self._kw.get("fill_value")
        if req.fill != (fill is not None):
            raise UnsupportedFormatError("fill cannot be added or dropped on request (binsparse-protocol §12 "
                                         "rule 11)")
        desc, arrays = encode(
            self.dense,
            (req.levels, req.transpose),
            index_dtype=idx[0] if idx else np.int64,
            pointer_dtype=ptr[0] if ptr else None,
            value_type=base,
            iso=req.value_type.iso,
            fill_value=fill,
            structure=req.structure,
            complex_layout=self._kw.get("complex_layout", "interleaved"),
        )
        return {k: arrays[k] for k in req.data_types}


class RawProducer:
    """Returns exactly the given descriptor and arrays; optional exceptions planted in each method.

    ``arrays`` values may be NumPy arrays (wrapped as :class:`Constituent`) or any DLPack-capable object.
    """

    def __init__(
        self,
        descriptor: dict,
        arrays: Mapping[str, object],
        *,
        descriptor_error: BaseException | None = None,
        arrays_error: BaseException | None = None,
        request: Callable[[dict], dict] | None = None,
    ) -> None:
        self._descriptor = descriptor
        self._arrays = dict(arrays)
        self._descriptor_error = descriptor_error
        self._arrays_error = arrays_error
        self._request = request
        #: How many ``descriptor=`` requests this producer refused with TypeError.
        self.refused_requests = 0

    def __binsparse_descriptor__(self) -> dict:
        """The given descriptor, or the planted exception."""
        if self._descriptor_error is not None:
            raise self._descriptor_error
        return _copy.deepcopy(self._descriptor)

    def __binsparse__(self, *, descriptor: dict | None = None) -> dict[str, object]:
        """The given arrays, or the planted exception; requests go to ``request`` or raise TypeError."""
        if self._arrays_error is not None:
            raise self._arrays_error
        if descriptor is not None:
            if self._request is None:
                self.refused_requests += 1
                raise UnsupportedFormatError("this producer does not convert on request")
            return self._request(descriptor)
        return {k: (Constituent(v) if isinstance(v, np.ndarray) else v) for k, v in self._arrays.items()}


def raw_from_reference(ref: ReferenceArray, mutate: Callable[[dict, dict], None] | None = None, **kwargs
                       ) -> RawProducer:
    """A RawProducer carrying ``ref``'s descriptor and arrays after ``mutate(inner_descriptor_copy, arrays)``.

    Requests are forwarded to ``ref`` so consumers that ask for their own format still get correct data.
    """
    desc = ref.__binsparse_descriptor__()
    arrays = {k: np.array(v, copy=True) for k, v in ref._arrays.items()}
    if mutate is not None:
        mutate(desc, arrays)
    kwargs.setdefault("request", lambda d: ref.__binsparse__(descriptor=d))
    return RawProducer(desc, arrays, **kwargs)


def reference_make(dense: np.ndarray, format: str, *, fill_value=None, stored=None) -> ReferenceArray:
    """A ``make`` for :func:`check_producer` backed by :class:`ReferenceArray` (sparsebridge's own strict form)."""
    dense = np.asarray(dense)
    if stored is not None and fill_value is None:
        stored = np.asarray(stored, dtype=bool) | (dense != 0)
    try:
        return ReferenceArray(dense, format, fill_value=fill_value, stored=stored)
    except DescriptorError as e:
        raise UnsupportedFormatError(str(e)) from e

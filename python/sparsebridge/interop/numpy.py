"""NumPy (and any dense DLPack array) adapter: dense arrays <-> DVEC / DMATR / DMATC.

1-D arrays become ``DVEC``, C-contiguous 2-D arrays ``DMATR`` and Fortran-contiguous 2-D arrays
``DMATC`` (both zero-copy: ``values`` is a 1-D view of the same memory); C-contiguous n-d arrays
become a custom format of n dense levels. Other strides are copied (refused with
``copy=False``). 0-d arrays are not supported.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..errors import CopyRequiredError, UnsupportedFormatError
from ._common import binsparse_type, dense_levels, descriptor

_SOURCE = "numpy"


def handles(obj: object) -> bool:
    """Whether ``obj`` is a NumPy array."""
    return isinstance(obj, np.ndarray)


def export(a: Any, *, copy: Optional[bool]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The descriptor and ``values`` of a dense array."""
    if not isinstance(a, np.ndarray):
        a = np.from_dlpack(a)
    values_type = binsparse_type(a.dtype)
    if a.ndim == 0:
        raise UnsupportedFormatError("0-d arrays have no binsparse 0.1 format")
    if a.ndim == 2 and not a.flags.c_contiguous and a.flags.f_contiguous:
        return (
            descriptor("DMATC", a.shape, a.size, {"values": values_type}, source=_SOURCE),
            {"values": a.T.reshape(-1)},
        )
    if not a.flags.c_contiguous:
        if copy is False:
            raise CopyRequiredError("the array is not contiguous: exporting it needs a copy")
        a = np.ascontiguousarray(a)
    flat = a.reshape(-1)
    if a.ndim == 1:
        return descriptor("DVEC", a.shape, a.size, {"values": values_type}, source=_SOURCE), {"values": flat}
    if a.ndim == 2:
        return descriptor("DMATR", a.shape, a.size, {"values": values_type}, source=_SOURCE), {"values": flat}
    return (
        descriptor("custom", a.shape, a.size, {"values": values_type}, custom=dense_levels(a.ndim), source=_SOURCE),
        {"values": flat},
    )

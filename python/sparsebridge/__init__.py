"""sparsebridge: exchange sparse arrays between libraries through the ``__binsparse__`` protocol.

>>> import scipy.sparse as sp, sparsebridge
>>> a = sparsebridge.asarray(sp.random_array((4, 5), density=0.3, format="csr"))
>>> t = a.to_torch()                    # zero-copy: torch CSR shares scipy's three buffers
>>> csc = sparsebridge.from_binsparse(a, descriptor=...)   # see docs/python.md

See docs/python.md. The pure-Python compliance kit lives in :mod:`sparsebridge.compliance`
(importable without the Rust extension).
"""

from __future__ import annotations

from . import sparse
from ._core import (
    SparseArray,
    asarray,
    from_binsparse,
    from_capsule,
    read,
    to_capsule,
    to_cupy,
    to_jax,
    to_scipy,
    to_sparse,
    to_torch,
    write,
)
from .errors import (
    BinsparseError,
    BinsparseWarning,
    CopyRequiredError,
    DescriptorError,
    DeviceError,
    FileFormatError,
    StructureError,
    UnsupportedFormatError,
)

__version__ = "0.1.0"

__all__ = [
    "BinsparseError",
    "BinsparseWarning",
    "CopyRequiredError",
    "DescriptorError",
    "DeviceError",
    "FileFormatError",
    "SparseArray",
    "StructureError",
    "UnsupportedFormatError",
    "asarray",
    "from_binsparse",
    "from_capsule",
    "read",
    "sparse",
    "to_capsule",
    "to_cupy",
    "to_jax",
    "to_scipy",
    "to_sparse",
    "to_torch",
    "write",
]

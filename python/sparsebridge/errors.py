"""The exception hierarchy of sparsebridge (issue 6), defined in this one module.

============================  ================================================
exception                     bases
============================  ================================================
``BinsparseError``            ``Exception`` (base of all)
``DescriptorError``           ``BinsparseError``, ``ValueError``
``StructureError``            ``BinsparseError``, ``ValueError``
``UnsupportedFormatError``    ``BinsparseError``, ``TypeError``
``DeviceError``               ``BinsparseError``, ``BufferError``
``CopyRequiredError``         ``BinsparseError``, ``BufferError``, ``ValueError``
``FileFormatError``           ``BinsparseError``, ``ValueError``
============================  ================================================

``CopyRequiredError`` is both a ``BufferError`` and a ``ValueError`` because the draft
``__binsparse__`` text names each in a different paragraph for "``copy=False`` but a copy is
needed" (binsparse-protocol.md §10.4). The Rust extension raises these classes (its
``errors.rs`` is the one mapping from Rust errors).
"""

from __future__ import annotations

__all__ = [
    "BinsparseError",
    "BinsparseWarning",
    "CopyRequiredError",
    "DescriptorError",
    "DeviceError",
    "FileFormatError",
    "StructureError",
    "UnsupportedFormatError",
]


class BinsparseError(Exception):
    """Base class of every sparsebridge error.

    Raised as such (no subclass) only for an internal error: a bug in sparsebridge, not a fault
    of the input or the request.
    """


class DescriptorError(BinsparseError, ValueError):
    """An invalid descriptor, or constituent arrays that do not match it (keys, dtypes)."""


class StructureError(BinsparseError, ValueError):
    """Invalid indices or pointers: wrong lengths, out of range, unsorted or duplicated."""


class UnsupportedFormatError(BinsparseError, TypeError):
    """A format, dtype or conversion that the producer or the target library cannot provide."""


class DeviceError(BinsparseError, BufferError):
    """The data cannot be exported or imported on this device (no driver, mixed devices, ...)."""


class CopyRequiredError(BinsparseError, BufferError, ValueError):
    """``copy=False`` was requested, but a copy or a conversion is needed."""


class FileFormatError(BinsparseError, ValueError):
    """A malformed file: not valid Matrix Market, binsparse HDF5 or a binsparse NPY directory.

    The message names the file, and the line (Matrix Market) or the dataset or key. A file whose
    descriptor or indices are wrong raises ``DescriptorError`` or ``StructureError`` instead, also
    naming the file.
    """


class BinsparseWarning(UserWarning):
    """A lenient-mode reading: the producer emitted a legacy or non-standard variant."""

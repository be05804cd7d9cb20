"""sparsebridge's own producer and consumer, wired for its compliance kit.

``python -m sparsebridge.compliance producer sparsebridge._selfcheck:make`` and
``python -m sparsebridge.compliance consumer sparsebridge._selfcheck:consume`` run the kit on
sparsebridge itself (tests/python/test_selfcheck.py asserts both reports are clean).
"""

from __future__ import annotations

import numpy as np

import sparsebridge as sb


def make(dense: np.ndarray, format: str, *, stored: np.ndarray | None = None) -> sb.SparseArray:
    """A SparseArray holding ``dense`` in ``format``; ``stored`` marks explicit (possibly zero) entries.

    Built the way a user would: a scipy COO (or a NumPy array for dense formats) through
    ``sparsebridge.asarray``, then ``asformat`` on the array's device. A format the engine cannot
    produce raises ``UnsupportedFormatError`` (a ``TypeError``), which the kit reports as unsupported.
    """
    import scipy.sparse as sp

    dense = np.asarray(dense)
    if format in ("DVEC", "DMATR", "DMAT") and dense.ndim == (1 if format == "DVEC" else 2):
        return sb.asarray(np.ascontiguousarray(dense))
    if dense.ndim not in (1, 2):
        raise sb.UnsupportedFormatError(f"{format} from a {dense.ndim}-D array is not built by this helper")
    mask = (dense != 0) if stored is None else (np.asarray(stored, dtype=bool) | (dense != 0))
    coords = np.nonzero(mask)
    coo = sp.coo_array((dense[coords], coords), shape=dense.shape)
    return sb.asarray(coo).asformat(format)


def consume(x: object) -> sb.SparseArray:
    """``sparsebridge.from_binsparse``, the consumer under test."""
    return sb.from_binsparse(x)

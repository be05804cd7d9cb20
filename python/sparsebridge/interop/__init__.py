"""Pure-Python adapters, one module per library: ``export(obj, copy=...)`` gives a descriptor and
DLPack-capable constituent arrays; ``to_<library>(SparseArray)`` builds the library's object.
An adapter whose library allows non-canonical data (scipy, PyData) returns a third item,
``False`` when the arrays are not known to be canonical: ``asarray`` then canonicalises them in
Rust (``_Array.canonicalize``) instead of the library doing it. Such an adapter also has
``sum_duplicates(obj)``, the library's own canonical copy, for the one case no descriptor can
describe the raw arrays (more stored entries than positions).

Libraries are imported only when an object of theirs is seen, so none is a hard dependency.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Optional

__all__ = ["adapter_for"]

_LIBRARIES = frozenset({"scipy", "torch", "sparse", "jax", "jaxlib", "cupyx", "cupy", "numpy"})


def adapter_for(obj: object) -> Optional[ModuleType]:
    """The adapter module for ``obj``, or ``None`` (then only ``__binsparse__`` can help)."""
    # The first class in the MRO that belongs to a known library decides: a subclass defined
    # elsewhere (a library wrapper, or one that adds `__binsparse__`) is still that library's.
    root = type(obj).__module__.split(".")[0]
    for cls in type(obj).__mro__:
        top = cls.__module__.split(".")[0]
        if top in _LIBRARIES:
            root = top
            break
    adapter: ModuleType
    if root == "scipy":
        from . import scipy as adapter
    elif root == "torch":
        from . import torch as adapter  # type: ignore[no-redef]
    elif root == "sparse":
        from . import pydata as adapter  # type: ignore[no-redef]
    elif root in ("jax", "jaxlib"):
        from . import jax as adapter  # type: ignore[no-redef]
    elif root in ("cupyx", "cupy"):
        from . import cupy as adapter  # type: ignore[no-redef]
    elif root == "numpy" or "numpy" in sys.modules and _is_ndarray(obj):
        from . import numpy as adapter  # type: ignore[no-redef]
    else:
        return None
    if not adapter.handles(obj):
        if hasattr(obj, "__binsparse__"):
            return None
        if hasattr(obj, "__dlpack__"):
            from . import numpy as dense

            return dense
        return None
    return adapter


def _is_ndarray(obj: object) -> bool:
    import numpy as np

    return isinstance(obj, np.ndarray)

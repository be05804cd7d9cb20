"""The ``xp.sparse`` namespace of the draft array-API text: ``sparsebridge.sparse.from_binsparse``."""

from __future__ import annotations

from ._core import from_binsparse

__all__ = ["from_binsparse"]

"""The binsparse format table, in one place for the Python side.

The Rust core has its own (``sparsebridge_descriptor``); this module holds what the Python
layers need before a descriptor reaches it: the predefined names and their aliases, and each
predefined format as its custom level form (binsparse §5). The compliance kit keeps a separately
written table on purpose: it is the oracle these layers are checked against.
"""

from __future__ import annotations

#: Short names accepted for a predefined format.
ALIASES: dict[str, str] = {"COO": "COOR", "DMAT": "DMATR"}


def _lv(*levels: tuple[str, int]) -> dict:
    """A custom level chain, outer to inner, ending in ``element``."""
    level: dict = {"level_desc": "element"}
    for kind, rank in reversed(levels):
        level = {"level_desc": kind, "rank": rank, "level": level}
    return level


#: binsparse §5: every predefined format as its custom level form.
PREDEFINED_LEVELS: dict[str, dict] = {
    "DVEC": {"level": _lv(("dense", 1))},
    "DMATR": {"level": _lv(("dense", 1), ("dense", 1))},
    "DMATC": {"level": _lv(("dense", 1), ("dense", 1)), "transpose": [1, 0]},
    "CVEC": {"level": _lv(("sparse", 1))},
    "CSR": {"level": _lv(("dense", 1), ("sparse", 1))},
    "CSC": {"level": _lv(("dense", 1), ("sparse", 1)), "transpose": [1, 0]},
    "DCSR": {"level": _lv(("sparse", 1), ("sparse", 1))},
    "DCSC": {"level": _lv(("sparse", 1), ("sparse", 1)), "transpose": [1, 0]},
    "COOR": {"level": _lv(("sparse", 2))},
    "COOC": {"level": _lv(("sparse", 2)), "transpose": [1, 0]},
}

#: Every name a ``format`` field or a format request may carry (upper case).
FORMAT_NAMES: frozenset[str] = frozenset(PREDEFINED_LEVELS) | frozenset(ALIASES) | {"CUSTOM"}


def canonical_name(fmt: str) -> str:
    """The predefined name ``fmt`` stands for (case-insensitive; aliases resolved)."""
    upper = fmt.upper()
    return ALIASES.get(upper, upper)

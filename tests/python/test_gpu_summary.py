"""scripts/gpu-bench-summary.py, the ratio printer of `make gpu-check`, on hand-built documents of
the `sparsebridge bench --json` schema (the real CLI output goes through it under the emulated
driver in `make test-emu`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu-bench-summary.py"
spec = importlib.util.spec_from_file_location("gpu_bench_summary", SCRIPT)
assert spec is not None and spec.loader is not None
summary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(summary)


def doc(name: str = "NVIDIA H100", conversions: Any = None) -> dict[str, Any]:
    if conversions is None:
        conversions = [
            {"from": "CSR", "to": "CSC", "index_type": "int32", "ms": 2.0, "x_floor": 3.0},
            {"from": "CSR", "to": "CSC", "index_type": "int64", "ms": 3.0, "x_floor": 2.5},
        ]
    return {
        "schema": "sparsebridge-bench/1",
        "cuda": {
            "device": "cuda:0",
            "name": name,
            "bytes": 1,
            "d2d_gbps": 1500.0,
            "copies": [
                {"direction": "h2d", "memory": "pageable", "ms": 1.0, "gbps": 8.0},
                {"direction": "h2d", "memory": "pinned", "ms": 1.0, "gbps": 24.0},
                {"direction": "d2h", "memory": "pageable", "ms": 1.0, "gbps": 5.0},
                {"direction": "d2h", "memory": "pinned", "ms": 1.0, "gbps": 20.0},
                {"direction": "d2d", "memory": "device", "ms": 1.0, "gbps": 1500.0},
            ],
            "conversions": conversions,
        },
    }


def test_ratios_are_the_quotients_of_the_document() -> None:
    r = summary.ratios(doc())
    assert r["pinned_over_pageable"] == {"h2d": 3.0, "d2h": 4.0}
    assert r["int64_over_int32"] == {"CSR->CSC": 1.5}
    assert [c["x_d2d"] for c in r["conversions"]] == [3.0, 2.5]
    text = summary.render(r)
    assert "EMULATED" not in text and "| CSR -> CSC | int64 | 3 | 2.5 | 1.5 |" in text


def test_emulated_and_skipped_sections_are_never_gpu_figures() -> None:
    assert "EMULATED DRIVER" in summary.render(summary.ratios(doc(name="sparsebridge emulated device")))
    r = summary.ratios(doc(conversions={"skipped": "no NVRTC"}))
    assert r["conversions_skipped"] == "no NVRTC"
    skipped = {"schema": "sparsebridge-bench/1", "cuda": {"skipped": "no CUDA driver"}}
    with pytest.raises(ValueError, match="no CUDA driver"):
        summary.ratios(skipped)
    with pytest.raises(ValueError, match="schema"):
        summary.ratios({"schema": "other"})

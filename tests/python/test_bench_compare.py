"""benches/python/compare.py end to end on a tiny matrix (issue 7): the JSON's structure, the
oracle ran on every timed entry, the plot is a PNG, and a wrong result aborts the run. Everything
is written under pytest's tmp_path, never into docs/.

The full run is a subprocess with NUMBA_DISABLE_JIT=1: compiling PyData/Sparse's numba kernels
alone takes 10-20 s on the 2-vCPU development machine, and this test checks the script, not
PyData/Sparse's speed (the kernels run as plain Python, and their results still go through the
oracle). The subprocess runs with ``-W error``, as pytest's ``filterwarnings = error`` would.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

import sparsebridge as sb

COMPARE = Path(__file__).resolve().parents[2] / "benches" / "python" / "compare.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = ["--sizes", "2000", "--reps", "1", "--dim", "1000"]


@pytest.fixture(scope="module")
def compare() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bench_compare", COMPARE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_tiny_run_writes_a_checked_report_and_a_png(compare: ModuleType, tmp_path: Path) -> None:
    package_root = str(Path(sb.__file__).resolve().parents[1])  # the sparsebridge under test
    env = os.environ | {
        "NUMBA_DISABLE_JIT": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-W", "error", str(COMPARE), *TINY, "--out-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| operation | nnz | index | scipy | sparsebridge | torch | pydata/sparse |" in done.stdout
    report: dict[str, Any] = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    assert {"machine", "versions", "date", "config", "gpu", "results", "validation_ms", "notes"} <= report.keys()
    assert report["machine"]["cpu_model"] and report["machine"]["logical_cpus"] >= 1
    assert report["config"]["sizes"] == [2000] and report["config"]["reps"] == 1

    results = report["results"]
    # Every library x operation x index dtype the script knows about has a record.
    expected = {(lib, op) for op in compare.OPS if op not in compare.HANDOFF_PEER for lib in compare.CPU_LIBRARIES}
    expected |= {(lib, op) for op, peer in compare.HANDOFF_PEER.items() for lib in ("sparsebridge", peer)}
    for dt in ("int32", "int64"):
        assert {(r["library"], r["op"]) for r in results if r["index_dtype"] == dt and r["device"] == "cpu"} == expected
    for r in results:
        assert r["nnz"] == 2000
        if r["ms"] is None:
            assert r["oracle"] == "not run" and r["reason"]
        else:
            assert r["oracle"] == "passed" and r["ms"] > 0, r
    timed = [r for r in results if r["ms"] is not None]
    assert all(r["speedup_vs_scipy"] > 0 for r in timed if r["op"] not in compare.HANDOFF_PEER)
    assert all(r["speedup_vs_native_route"] > 0 for r in timed if r["op"] in compare.HANDOFF_PEER)
    # Every CPU route runs (sparsebridge canonicalises shuffled COO in Rust).
    assert {(r["library"], r["op"]) for r in results if r["ms"] is None and r["device"] == "cpu"} == set()
    # sparsebridge's hand-offs share scipy's buffers.
    assert all(r["zero_copy"] for r in timed if r["library"] == "sparsebridge" and r["op"] in compare.HANDOFF_PEER)
    assert [(v["nnz"], v["index_dtype"]) for v in report["validation_ms"]] == [(2000, "int32"), (2000, "int64")]
    if not torch.cuda.is_available():
        assert report["gpu"]["measured"] is False and "torch.cuda.is_available()" in report["gpu"]["reason"]

    assert (tmp_path / "compare.png").read_bytes()[:8] == PNG_SIGNATURE


def test_a_wrong_result_aborts_before_anything_is_written(
    compare: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = compare.sb_arrays

    def off_by_one(a: Any) -> tuple[Any, ...]:
        pointers, indices, values = honest(a)
        return pointers, indices, values + 1.0

    monkeypatch.setattr(compare, "sb_arrays", off_by_one)
    with pytest.raises(compare.OracleError, match="sparsebridge, sorted COO → CSR.*values differ"):
        compare.main([*TINY, "--out-dir", str(tmp_path)])
    assert not any(tmp_path.iterdir())


def test_a_large_slowdown_keeps_a_nonzero_ratio(compare: ModuleType) -> None:
    # CI once failed because round(base / ms, 3) made a 1/2,600 ratio (plain-Python PyData/Sparse
    # under NUMBA_DISABLE_JIT against scipy) exactly 0.0. A ratio keeps three significant figures.
    records = [
        {"library": "scipy", "op": "csr_to_coo", "nnz": 10, "index_dtype": "int32", "ms": 0.01},
        {"library": "pydata/sparse", "op": "csr_to_coo", "nnz": 10, "index_dtype": "int32", "ms": 26.0},
    ]
    compare.add_speedups(records)
    assert records[1]["speedup_vs_scipy"] == pytest.approx(0.01 / 26.0, rel=1e-2)
    assert records[0]["speedup_vs_scipy"] == 1.0

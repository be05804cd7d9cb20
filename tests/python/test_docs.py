"""Every ```python block of docs/python.md runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_docs_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    code = blocks()
    assert len(code) >= 5
    namespace: dict[str, object] = {}
    for i, block in enumerate(code):
        exec(compile(block, f"docs/python.md[block {i}]", "exec"), namespace)  # noqa: S102
    out = capsys.readouterr().out
    assert "SparseArray(format=CSR, shape=(2, 3), nnz=3, dtype=float64, index_dtype=int32, device=cpu)" in out
    assert "DescriptorError" in out

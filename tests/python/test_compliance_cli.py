"""``python -m sparsebridge.compliance`` exit codes and tables, and the pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "python"), str(ROOT / "tests" / "python")]))


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "role, target, code, needle",
    [
        ("producer", "sparsebridge.compliance:reference_make", 0, "RESULT: OK"),
        ("consumer", "sparsebridge.compliance:reference_consumer", 0, "RESULT: OK"),
        ("producer", "compliance_shims:Version010", 1,
         "[descriptor.version] DVEC-5, DVEC-0, DVEC-4-nnz0, DVEC-300 and 110 more cases: version '0.1.0'"),
        ("consumer", "numpy:asarray", 1, "RESULT: FAILED"),
        ("producer", "no_such_module:make", 2, "cannot load"),
        ("producer", "numpy", 2, "module:callable"),
    ],
)
def test_cli(role, target, code, needle):
    p = run("-m", "sparsebridge.compliance", role, target)
    assert p.returncode == code, p.stdout + p.stderr
    assert needle in p.stdout + p.stderr


def test_cli_formats_filter():
    p = run("-m", "sparsebridge.compliance", "producer", "compliance_shims:make_scipy", "--formats", "CSC,COOC")
    assert p.returncode == 0, p.stdout
    assert "CSR-" not in p.stdout and "check_producer report for compliance_shims:make_scipy" in p.stdout


def test_pytest_plugin_parametrizes_a_library_suite(tmp_path):
    (tmp_path / "test_lib.py").write_text(
        "from sparsebridge.compliance import reference_consumer\n"
        "from sparsebridge.compliance.pytest_plugin import assert_consumer_case, assert_producer_case\n"
        "import compliance_shims as S\n"
        "def test_producer(binsparse_producer_case):\n"
        "    assert_producer_case(S.make_scipy, binsparse_producer_case)\n"
        "def test_bad_producer(binsparse_producer_case):\n"
        "    assert_producer_case(S.Version010, binsparse_producer_case)\n"
        "def test_consumer(binsparse_consumer_case):\n"
        "    assert_consumer_case(reference_consumer, binsparse_consumer_case)\n"
    )
    # Installed packages register the plugin through their pytest11 entry point; a source tree
    # on PYTHONPATH needs it named with -p (naming it twice is an error).
    from importlib.metadata import entry_points

    installed = any(e.value == "sparsebridge.compliance.pytest_plugin" for e in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "sparsebridge.compliance.pytest_plugin"]
    p = run("-m", "pytest", "-q", "-p", "no:cacheprovider", *load,
            "--binsparse-formats=CSR,DCSR", "test_lib.py", cwd=tmp_path)
    out = p.stdout
    assert p.returncode == 1, out
    # CSR and DCSR: 17 cases each; scipy has no DCSR or fill (skipped), so the bad producer fails 16 CSR cases
    assert "test_producer[CSR-2x3]" not in out and "FAILED test_lib.py::test_bad_producer[CSR-2x3]" in out
    n_consumer = out.count("test_consumer[")
    assert n_consumer == 0  # none failed
    summary = out.strip().splitlines()[-1]
    assert "16 failed" in summary and "skipped" in summary, summary

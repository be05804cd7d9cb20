"""check_consumer: a correct consumer passes; consumers with known peer bugs are flagged on the right checks."""

from __future__ import annotations

import copy
import os
import signal

import numpy as np
import pytest
import scipy.sparse as sp
from sparsebridge.compliance import check_consumer, consumer_cases, decode, reference_consumer
from sparsebridge.compliance.codec import import_array


def _inner(d):
    return d["binsparse"] if isinstance(d.get("binsparse"), dict) else d


def rewriting_consumer(rewrite):
    """A consumer built on the kit's decoder after ``rewrite(inner_descriptor, arrays)``: one planted bug."""

    def from_binsparse(x):
        d = copy.deepcopy(x.__binsparse_descriptor__())
        arrays = dict(x.__binsparse__())
        rewrite(_inner(d), arrays)
        return decode(d, arrays, strict=False, canonical=True)

    return from_binsparse


def csc_as_csr(inner, arrays):  # scipy PR #22553 / sparse PR #764 (§13 rows 1-2)
    if inner.get("format") == "CSC":
        inner["format"] = "CSR"


def cooc_as_coor(inner, arrays):  # binsparse 0.1.4 (§13 row 3)
    if inner.get("format") == "COOC":
        inner["format"] = "COOR"


def ignore_fill(inner, arrays):  # sparse PR #764 (§13 row 4)
    if inner.pop("fill", False):
        inner["data_types"].pop("fill_value", None)
        arrays.pop("fill_value", None)


def reject_non_01(inner, arrays):  # Finch / scipy PR (§13 row 7): RuntimeError for "0.1.0"
    if inner.get("version") != "0.1":
        raise RuntimeError(f"Unsupported version {inner.get('version')}")


@pytest.fixture(scope="module")
def reference_report():
    return check_consumer(reference_consumer)


def test_reference_consumer_passes(reference_report):
    assert reference_report.ok, reference_report.render()
    assert not reference_report.unsupported
    checks = {r.check for r in reference_report.rows}
    assert checks == {"consumer.format", "consumer.shape", "consumer.value_dtype", "consumer.index_dtype",
                      "consumer.fill", "consumer.structure", "consumer.lenient", "consumer.hostile",
                      "consumer.errors"}


@pytest.mark.parametrize(
    "rewrite, failing, marker",
    [
        (csc_as_csr, {"consumer.format", "consumer.shape", "consumer.value_dtype", "consumer.index_dtype",
                      "consumer.fill", "consumer.structure"}, "CSC"),
        (cooc_as_coor, {"consumer.format", "consumer.shape", "consumer.index_dtype", "consumer.fill"}, "COOC"),
        (ignore_fill, {"consumer.fill", "consumer.lenient"}, "fill"),
        (reject_non_01, {"consumer.lenient", "consumer.hostile"}, "version-"),
    ],
    ids=["csc-read-as-csr", "cooc-read-as-coor", "fill-ignored", "version-0.1.0-rejected"],
)
def test_buggy_consumers_are_flagged(rewrite, failing, marker):
    report = check_consumer(rewriting_consumer(rewrite), isolate="none")
    assert report.failed_checks() == failing
    for row in report.failures:
        assert marker in row.case, row
        assert "rule:" in row.reason and "§" in row.reason, row  # each failure names the rule and the section


def test_non_validating_consumer_fails_hostile_cases():
    """binsparse 0.1.4 checks nothing but len(values) (§13 row 14): duplicates and bad nnz slip through."""

    def lax(x):
        return decode(x.__binsparse_descriptor__(), x.__binsparse__(), strict=False, canonical=False)

    report = check_consumer(lax, isolate="none")
    assert report.failed_checks() == {"consumer.hostile"}
    assert {r.case for r in report.failures} == {"unsorted-with-duplicate"}


def test_wrong_exception_types_are_flagged():
    def wraps_everything(x):
        try:
            return reference_consumer(x)
        except Exception as e:
            raise RuntimeError("import failed") from e

    report = check_consumer(wraps_everything, isolate="none")
    assert report.failed_checks() == {"consumer.hostile", "consumer.errors"}
    assert all("RuntimeError" in r.reason for r in report.failures)


def test_crashing_consumer_is_reported_not_fatal():
    def crashes_on_bad_input(x):
        try:
            return reference_consumer(x)
        except ValueError:
            os.kill(os.getpid(), signal.SIGKILL)  # imitates a segfault in native code, quietly

    report = check_consumer(crashes_on_bad_input)  # hostile cases run in a forked child by default
    assert report.failed_checks() == {"consumer.hostile"}
    assert all("crashed the process (signal 9)" in r.reason for r in report.failures)


def scipy_consumer(x):
    """A minimal real consumer: reads CSR/CSC/COOR into scipy, asking for CSR by request otherwise."""
    d = _inner(x.__binsparse_descriptor__())
    fmt = d.get("format")
    if fmt not in ("CSR", "CSC", "COOR"):
        raise TypeError(f"scipy consumer does not read {fmt!r}")
    a = {k: import_array(v) for k, v in x.__binsparse__().items()}
    if d.get("fill") or d.get("structure") or "iso" in d["data_types"]["values"]:
        raise TypeError("no fill, structure or iso in scipy")
    vt = d["data_types"]["values"]
    vals = a["values"]
    if vt == "bint8":
        vals = vals.astype(bool)
    elif vt.startswith("complex[") and vals.dtype.kind == "f":
        vals = vals.view(np.complex64 if vt == "complex[float32]" else np.complex128)
    shape = tuple(d["shape"])
    if len(shape) != 2:
        raise ValueError(f"shape {shape} is not 2-D")
    if fmt == "COOR":
        m = sp.coo_array((vals, (a["indices_0"].astype(np.int64), a["indices_1"].astype(np.int64))), shape=shape)
    else:
        cls = sp.csr_array if fmt == "CSR" else sp.csc_array
        m = cls((vals, a["indices_1"].astype(np.int64), a["pointers_to_1"].astype(np.int64)), shape=shape)
        m.check_format(full_check=True)
        if not m.has_canonical_format:
            raise ValueError("non-canonical input")
    if m.nnz != d["number_of_stored_values"]:
        raise ValueError("number_of_stored_values disagrees with the arrays")
    return m


def test_scipy_consumer_is_right_on_its_formats_and_its_gaps_are_named():
    report = check_consumer(scipy_consumer, isolate="none")
    # Everything it reads is read right; what it cannot read is unsupported (TypeError) ...
    assert report.unsupported
    assert report.failed_checks() == {"consumer.lenient", "consumer.hostile"}
    # ... and its real gaps are reported: it trusts type labels and versions, and assumes keys exist.
    failed = {r.case for r in report.failures}
    assert {"index-float64", "values-type-mismatch", "version-2.0", "data_types-missing-values",
            "legacy-no-version-no-nnz"} <= failed
    assert "unsorted-with-duplicate" not in failed  # scipy's check_format + has_canonical_format catch it


def test_cases_have_unique_ids_and_expectations():
    cases = consumer_cases()
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids))
    for c in cases:
        assert (c.expected is None) == bool(c.raises)

"""check_producer: the kit passes correct producers and reports exactly each planted peer bug (§13)."""

from __future__ import annotations

import compliance_shims as S
import numpy as np
import pytest
from sparsebridge.compliance import (
    CHECKS,
    PASS,
    ProducerCase,
    Report,
    check_producer,
    check_producer_case,
    reference_make,
)

# Each planted bug: (make, the exact set of failing checks, a predicate every failing case id must satisfy).
# The sets come from the regression list (binsparse-protocol §13); where a bug also breaks descriptor= requests
# (the shim re-exports through the same buggy path), "request" belongs to the bug.
BUGS = {
    "row1-2 CSR buffers exported as CSC": (S.CsrBuffersAsCsc, {"descriptor.format", "roundtrip", "request"},
                                           lambda c: c.startswith("CSC-") or "->CSC" in c),
    "row3 COOC labelled COOR": (S.CoocLabelledCoor, {"descriptor.format", "canonical", "roundtrip"},
                                lambda c: c.startswith("COOC-")),
    "row4 fill lost": (S.FillLost, {"roundtrip"}, lambda c: c.endswith("-fill1")),
    "row5 non-canonical export": (S.NonCanonical, {"canonical", "request"},
                                  lambda c: c.startswith(("CSR-", "CSC-")) or "->CS" in c),
    "row6 1-D labelled CSR": (S.OneDLabelledCsr, {"descriptor.format", "request"}, lambda c: c.startswith("CVEC-")
                              or "->CVEC" in c),
    "row7 version 0.1.0": (S.Version010, {"descriptor.version"}, lambda c: True),
    "row8 bool type string": (S.BoolTypeString, {"descriptor.type_strings"}, lambda c: c.endswith("-bool")),
    "complex typed inconsistently": (S.ComplexMislabelled, {"descriptor.type_strings"},
                                     lambda c: "-complex" in c),
    "row10 swapped pointer/index labels": (S.SwappedIndexLabels, {"descriptor.type_strings"},
                                           lambda c: c.startswith(("CSR-", "CSC-"))),
    "row11 uint8 pointers, nnz 300": (S.Uint8Pointers, {"canonical", "roundtrip"}, lambda c: "nnz300" in c),
    "row12 BSR export": (S.BsrExport, {"descriptor.format", "request"}, lambda c: c.startswith("CSR-")
                         or "->CSR" in c),
    "row15 DOK inconsistent errors": (S.make_dok_for_dcsr, {"errors"}, lambda c: c.startswith(("DCSR-", "DCSC-"))),
    "data_types keys != returned keys": (S.ExtraArrayKey, {"descriptor.data_types_keys"}, lambda c: True),
}


@pytest.fixture(scope="module")
def scipy_report() -> Report:
    return check_producer(S.make_scipy)


@pytest.mark.parametrize("bug", list(BUGS))
def test_planted_bug_is_reported_exactly(bug, scipy_report):
    make, expected, where = BUGS[bug]
    report = check_producer(make)
    assert not report.ok
    assert report.failed_checks() == expected
    for row in report.failures:
        assert where(row.case), (row.case, row.reason)
        assert "§" in row.reason, row.reason  # every failure cites a spec section
    # the checks the bug does not touch still pass somewhere (nothing else silently stopped running)
    assert report.passed_checks() >= set(scipy_report.passed_checks()) - expected


def test_scipy_shim_passes(scipy_report):
    assert scipy_report.ok, scipy_report.render()
    # DCSR/DCSC and fill values are not in scipy: reported unsupported, not failed
    unsup = {r.case.split("-")[0] for r in scipy_report.unsupported if r.check == "roundtrip"}
    assert {"DCSR", "DCSC"} <= unsup
    assert {r.check for r in scipy_report.rows} >= set(c for c in CHECKS if not c.startswith(("consumer", "errors")))


def test_reference_producer_passes_every_check():
    report = check_producer(reference_make)
    assert report.ok, report.render()
    assert not report.unsupported
    assert report.passed_checks() == {c for c in CHECKS if not c.startswith("consumer.")}


def test_formats_filter_and_unknown_format():
    report = check_producer(S.make_scipy, formats=["CSC"])
    assert {r.case.split("-")[0] for r in report.rows} == {"CSC"}
    with pytest.raises(ValueError, match="BSR"):
        check_producer(S.make_scipy, formats=["BSR"])


def test_make_raising_other_than_typeerror_is_a_failure():
    def make(dense, fmt):
        raise NotImplementedError("no")

    report = check_producer(make, formats=["CSR"])
    assert report.failed_checks() == {"errors"}


def test_wrong_nnz_and_unwrapped_descriptor_are_reported():
    class WrongNnz(S.ScipyShim):
        def descriptor_for(self, fmt, arrays, nnz):
            d = super().descriptor_for(fmt, arrays, nnz)
            d["binsparse"]["number_of_stored_values"] = nnz + 1
            return d

    class Unwrapped(S.ScipyShim):
        def descriptor_for(self, fmt, arrays, nnz):
            return super().descriptor_for(fmt, arrays, nnz)["binsparse"]

    assert check_producer(WrongNnz, formats=["CSR"]).failed_checks() == {"descriptor.nnz"}
    assert check_producer(Unwrapped, formats=["COOR"]).failed_checks() == {"descriptor.wrapper"}


def test_inconsistent_second_call_and_bad_dlpack_are_reported():
    class Flaky(S.ScipyShim):
        calls = 0

        def __binsparse__(self, *, descriptor=None):
            out = dict(super().__binsparse__(descriptor=descriptor))
            Flaky.calls += 1
            if descriptor is None and Flaky.calls % 2 == 0:
                out["values"] = out["values"] * 2
            return out

    class NoMaxVersion:
        def __init__(self, a):
            self.a = a

        def __dlpack__(self, stream=None):
            return self.a.__dlpack__()

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    class OldDlpack(S.ScipyShim):
        def __binsparse__(self, *, descriptor=None):
            return {k: NoMaxVersion(v) for k, v in super().__binsparse__(descriptor=descriptor).items()}

    assert "consistency" in check_producer(Flaky, formats=["CSR"]).failed_checks()
    assert check_producer(OldDlpack, formats=["CSR"]).failed_checks() == {"dlpack.protocol"}


def test_request_checks_flag_wrong_answers():
    class IgnoresRequests(S.ScipyShim):
        def __binsparse__(self, *, descriptor=None):
            return super().__binsparse__()  # returns its own format whatever was asked

    class AcceptsInvalid(S.ScipyShim):
        def __binsparse__(self, *, descriptor=None):
            try:
                return super().__binsparse__(descriptor=descriptor)
            except ValueError:
                return super().__binsparse__()

    r1 = check_producer(IgnoresRequests, formats=["CSR"])
    assert {"request", "request.invalid"} <= r1.failed_checks()
    r2 = check_producer(AcceptsInvalid, formats=["CSR"])
    assert r2.failed_checks() == {"request.invalid"}


def test_explicit_zeros_are_stored_and_pass():
    report = Report()
    dense = np.array([[0.0, 6.0], [7.0, 0.0]])
    stored = np.array([[True, True], [True, False]])
    case = ProducerCase("2x2-explicit", dense, "CSR", {"stored": stored})
    check_producer_case(S.make_scipy, case, report)
    assert report.ok and all(r.status == PASS for r in report.rows)
    obj = S.make_scipy(dense, "CSR", stored=stored)
    assert obj.__binsparse_descriptor__()["binsparse"]["number_of_stored_values"] == 3


def test_devices_are_passed_to_make_and_checked():
    def make(dense, fmt, *, device=None):
        assert device in ("cpu", "cuda:0")
        return S.ScipyShim(dense, fmt)  # always on the host

    ok = check_producer(make, formats=["CSR"], devices=["cpu"])
    assert ok.ok and {r.case.rsplit("-", 1)[-1] for r in ok.rows if r.check == "dlpack.device"} == {"cpu"}
    wrong = check_producer(make, formats=["CSR"], devices=["cuda:0"])
    assert wrong.failed_checks() == {"dlpack.device"}
    no_kw = check_producer(S.make_scipy, formats=["CSR"], devices=["cpu"])
    assert no_kw.ok and all(r.status == "unsupported" for r in no_kw.rows)


def test_mixed_devices_are_reported():
    class OnCuda:
        def __init__(self, a):
            self.a = a

        def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
            return self.a.__dlpack__(max_version=max_version)

        def __dlpack_device__(self):
            return (2, 0)

    class Mixed(S.ScipyShim):
        def __binsparse__(self, *, descriptor=None):
            out = dict(super().__binsparse__(descriptor=descriptor))
            out["values"] = OnCuda(out["values"])
            return out

    report = check_producer(Mixed, formats=["CSR"])
    assert "dlpack.device" in report.failed_checks()
    assert any("different devices" in r.reason for r in report.failures)

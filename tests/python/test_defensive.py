"""Defensive consumers: objects of adapted libraries whose ``__binsparse__`` lies about the object
(fill value, shape, nnz, dtype, format) or raises ``NotImplementedError`` / ``TypeError``.

The oracle is the library's own dense view of the object (``toarray()`` / ``todense()``), never
sparsebridge. Every consumer entry point must agree with it: ``asarray``, ``from_binsparse``,
``to_scipy``, ``to_sparse`` and ``to_torch``; a lie is reported with a ``BinsparseWarning`` that
names it.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sparse

import sparsebridge as sb
from sparsebridge.compliance.report import FAIL
from sparsebridge.errors import BinsparseWarning, UnsupportedFormatError


def _truth(obj):
    """The honest protocol export of ``obj`` (sparsebridge's adapter), as plain dicts."""
    a = sb.asarray(obj)
    return copy.deepcopy(a.__binsparse_descriptor__()), dict(a.__binsparse__())


class _Lying:
    """Mixin: ``__binsparse_descriptor__`` / ``__binsparse__`` built from the honest export, then
    edited by ``lie(descriptor, arrays)``; ``refuse`` makes either method raise instead."""

    lie = None
    refuse: dict = {}

    def __binsparse_descriptor__(self):
        if "descriptor" in self.refuse:
            raise self.refuse["descriptor"]("no descriptor for this format")
        d, arrays = _truth(self._honest())
        if self.lie:
            self.lie(d["binsparse"], arrays)
        return d

    def __binsparse__(self, *, descriptor=None):
        if descriptor is not None and "request" in self.refuse:
            raise self.refuse["request"]("cannot convert to the requested format")
        if descriptor is None and "arrays" in self.refuse:
            raise self.refuse["arrays"]("not exported yet")
        d, arrays = _truth(self._honest())
        if descriptor is not None:
            a = sb.asarray(self._honest()).__binsparse__(descriptor=descriptor)
            return dict(a)
        if self.lie:
            self.lie(d["binsparse"], arrays)
        return arrays


class LyingCSR(_Lying, sp.csr_array):
    def _honest(self):
        return sp.csr_array(self)


class LyingCOO(_Lying, sparse.COO):
    def _honest(self):
        return sparse.COO(self.coords, self.data, shape=self.shape, fill_value=self.fill_value)


def lying_csr(lie=None, refuse=None):
    dense = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 0.0, 3.0, 0.0], [4.0, 5.0, 0.0, 6.0]])
    m = LyingCSR(dense)
    m.lie, m.refuse = lie, refuse or {}
    return m, dense


def lying_coo(lie=None, refuse=None, fill=1.5):
    dense = np.array([[fill, 2.0, fill], [3.0, fill, fill], [fill, fill, 4.0]])
    x = sparse.COO.from_numpy(dense, fill_value=fill)
    m = LyingCOO(x.coords, x.data, shape=x.shape, fill_value=fill)
    m.lie, m.refuse = lie, refuse or {}
    return m, dense


def _drop_fill(d, arrays):
    d.pop("fill", None)
    d["data_types"].pop("fill_value", None)
    arrays.pop("fill_value", None)


def _zero_fill(d, arrays):
    arrays["fill_value"] = np.zeros(1)


def _shape(d, arrays):
    d["shape"] = [d["shape"][1], d["shape"][0]]


def _nnz(d, arrays):
    # A consistent lie: one entry fewer, arrays truncated to match (silently wrong if trusted).
    n = d["number_of_stored_values"] - 1
    d["number_of_stored_values"] = n
    for k in ("indices_0", "indices_1", "values"):
        if k in arrays and len(arrays[k]) == n + 1:
            arrays[k] = np.from_dlpack(arrays[k])[:n]
    if "pointers_to_1" in arrays:
        p = np.array(np.from_dlpack(arrays["pointers_to_1"]))
        p[-1] = n
        arrays["pointers_to_1"] = np.minimum(p, n)


def _format(d, arrays):
    d["format"] = "CSC" if d["format"] == "CSR" else "COOC"


def _dtype(d, arrays):
    d["data_types"]["values"] = "float32"
    arrays["values"] = np.from_dlpack(arrays["values"]).astype(np.float32)


def _consumers():
    return {
        "asarray": lambda o: sb.asarray(o).todense(),
        "from_binsparse": lambda o: sb.from_binsparse(o).todense(),
        "to_scipy": lambda o: sb.to_scipy(o).toarray(),
        "to_sparse": lambda o: sb.to_sparse(o).todense(),
        "to_torch": lambda o: sb.to_torch(o).to_dense().numpy(),
    }


def _agree(obj, dense, expect_warning: str | None, *, fill: bool = False):
    for name, consume in _consumers().items():
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            if fill and name in ("to_scipy", "to_torch"):
                # These libraries cannot hold a fill value: refusing is right, dropping it (what
                # trusting the lie would do) is the silent error this guards against.
                with pytest.raises(UnsupportedFormatError, match="fill value"):
                    consume(obj)
                continue
            got = consume(obj)
        np.testing.assert_array_equal(np.asarray(got), dense, err_msg=name)
        texts = [str(x.message) for x in w if issubclass(x.category, BinsparseWarning)]
        if expect_warning and name != "asarray":
            assert any(expect_warning in t for t in texts), (name, texts)


CSR_LIES = [
    ("shape", _shape, "shape"),
    ("nnz", _nnz, "number_of_stored_values"),
    ("format", _format, "format"),
    ("dtype", _dtype, "values dtype"),
]


@pytest.mark.parametrize("what,lie,named", CSR_LIES, ids=[c[0] for c in CSR_LIES])
def test_scipy_object_with_a_lying_descriptor(what, lie, named):
    m, dense = lying_csr(lie)
    # Without the cross-check, the lie is visible to a trusting consumer (oracle self-check).
    d = m.__binsparse_descriptor__()["binsparse"]
    honest = sb.asarray(sp.csr_array(dense)).__binsparse_descriptor__()["binsparse"]
    assert d != honest
    _agree(m, dense, named)


@pytest.mark.parametrize("lie", [_drop_fill, _zero_fill], ids=["fill-dropped", "fill-value-zero"])
def test_pydata_object_that_lies_about_its_fill_value(lie):
    m, dense = lying_coo(lie)
    _agree(m, dense, "fill", fill=True)


def test_pydata_object_with_a_lying_nnz():
    m, dense = lying_coo(_nnz)
    _agree(m, dense, "number_of_stored_values", fill=True)


def test_honest_producer_of_an_adapted_library_gives_no_warning():
    for (m, dense), fill in ((lying_csr(), False), (lying_coo(), True)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", BinsparseWarning)
            _agree(m, dense, None, fill=fill)


@pytest.mark.parametrize("exc", [NotImplementedError, TypeError])
@pytest.mark.parametrize("fmt", ["CSC", "COOR", "DCSR", "DMATR"])
def test_request_refused_falls_back_to_the_adapter(exc, fmt):
    m, dense = lying_csr(refuse={"request": exc})
    req = sb.asarray(sp.csr_array(dense)).asformat(fmt).__binsparse_descriptor__()
    with pytest.warns(BinsparseWarning, match=exc.__name__):
        a = sb.from_binsparse(m, descriptor=req)
    assert a.format == fmt
    np.testing.assert_array_equal(a.todense(), dense)


@pytest.mark.parametrize("where", ["descriptor", "arrays"])
def test_not_implemented_everywhere_falls_back_to_the_adapter(where):
    m, dense = lying_coo(refuse={where: NotImplementedError})
    for name, consume in _consumers().items():
        if name in ("asarray", "to_scipy", "to_torch"):
            continue  # asarray never asks; scipy and torch cannot hold the fill value
        with pytest.warns(BinsparseWarning, match="NotImplementedError"):
            got = consume(m)
        np.testing.assert_array_equal(np.asarray(got), dense, err_msg=name)


class Unadapted:
    """A producer of no adapted library: only the protocol can read it."""

    def __init__(self, dense, refuse=None):
        self._a = sb.asarray(sp.csr_array(dense))
        self.refuse = refuse

    def __binsparse_descriptor__(self):
        return self._a.__binsparse_descriptor__()

    def __binsparse__(self, *, descriptor=None):
        if descriptor is not None:
            raise self.refuse("requests are not implemented")
        return self._a.__binsparse__()


@pytest.mark.parametrize("exc", [NotImplementedError, TypeError])
def test_unadapted_producer_refusing_a_request_is_converted_by_us(exc):
    dense = np.array([[0.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
    req = sb.asarray(sp.csr_array(dense)).asformat("CSC").__binsparse_descriptor__()
    a = sb.from_binsparse(Unadapted(dense, exc), descriptor=req)
    assert a.format == "CSC"
    np.testing.assert_array_equal(a.todense(), dense)


def test_unadapted_producer_errors_still_propagate():
    class Broken:
        def __binsparse_descriptor__(self):
            raise NotImplementedError("nothing here")

        def __binsparse__(self, *, descriptor=None):
            raise NotImplementedError("nothing here")

    with pytest.raises(NotImplementedError, match="nothing here"):
        sb.from_binsparse(Broken())


def test_compliance_kit_reports_a_lying_descriptor():
    from sparsebridge.compliance import check_producer

    def make(dense, fmt, **kw):
        if fmt != "CSR" or dense.ndim != 2 or dense.dtype != np.float64:
            raise TypeError("CSR float64 only")
        m = LyingCSR(dense)
        m.lie, m.refuse = _format, {}
        return m

    report = check_producer(make, formats=["CSR"])
    rows = [r for r in report.rows if r.check == "descriptor.attributes" and r.status == FAIL]
    assert rows, report.summary() if hasattr(report, "summary") else report
    assert any("format" in r.reason for r in rows)


def test_compliance_kit_reports_not_implemented_requests():
    from sparsebridge.compliance import check_producer

    def make(dense, fmt, **kw):
        if fmt != "CSR" or dense.ndim != 2 or dense.dtype != np.float64:
            raise TypeError("CSR float64 only")
        m = LyingCSR(dense)
        m.lie, m.refuse = None, {"request": NotImplementedError}
        return m

    report = check_producer(make, formats=["CSR"])
    rows = [r for r in report.rows if r.check == "request" and r.status == FAIL]
    assert rows and all("NotImplementedError" in r.reason for r in rows)

"""pytest plugin: parametrize a library's own test suite over the compliance cases.

Register it in the library's ``pyproject.toml``::

    [project.entry-points.pytest11]
    sparsebridge_compliance = "sparsebridge.compliance.pytest_plugin"

(or ``pytest_plugins = ["sparsebridge.compliance.pytest_plugin"]`` in a conftest.py). Then a test that takes the
``binsparse_producer_case`` or ``binsparse_consumer_case`` argument runs once per case, with readable ids::

    def test_producer(binsparse_producer_case):
        assert_producer_case(my_make, binsparse_producer_case)

    def test_consumer(binsparse_consumer_case):
        assert_consumer_case(mylib.from_binsparse, binsparse_consumer_case)

``--binsparse-formats=CSR,CSC`` restricts the producer cases.
"""

from __future__ import annotations

from collections.abc import Callable

from .consumer_check import ConsumerCase, consumer_cases, default_to_dense, run_consumer_case
from .producer_check import ProducerCase, check_producer_case, producer_cases
from .report import CHECKS, FAIL, UNSUPPORTED, Report


def pytest_addoption(parser) -> None:
    """Add ``--binsparse-formats``."""
    parser.addoption("--binsparse-formats", default=None, help="comma-separated formats for producer cases")


def pytest_generate_tests(metafunc) -> None:
    """Parametrize ``binsparse_producer_case`` and ``binsparse_consumer_case`` arguments."""
    if "binsparse_producer_case" in metafunc.fixturenames:
        opt = metafunc.config.getoption("--binsparse-formats", default=None)
        cases = producer_cases(opt.split(",") if opt else None)
        metafunc.parametrize("binsparse_producer_case", cases, ids=[c.id for c in cases])
    if "binsparse_consumer_case" in metafunc.fixturenames:
        cases = consumer_cases()
        metafunc.parametrize("binsparse_consumer_case", cases, ids=[c.id for c in cases])


def assert_producer_case(make: Callable, case: ProducerCase, *, skip_unsupported: bool = True) -> Report:
    """Run every producer check on one case; raises AssertionError listing the failures, skips if unsupported."""
    import pytest

    report = Report(f"producer case {case.id}")
    check_producer_case(make, case, report)
    if report.failures:
        raise AssertionError("\n".join(f"[{r.check}] {r.case}: {r.reason}" for r in report.failures))
    if skip_unsupported and report.rows and all(r.status == UNSUPPORTED for r in report.rows):
        pytest.skip(report.rows[0].reason)
    return report


def assert_consumer_case(from_binsparse: Callable, case: ConsumerCase, *, to_dense=default_to_dense,
                         skip_unsupported: bool = True) -> None:
    """Run one consumer case in-process; raises AssertionError on failure, skips if unsupported."""
    import pytest

    status, reason = run_consumer_case(from_binsparse, case, to_dense)
    if status == FAIL:
        raise AssertionError(f"[{case.check}] {case.name}: {reason}; rule: {CHECKS[case.check]}")
    if status == UNSUPPORTED and skip_unsupported:
        pytest.skip(reason)

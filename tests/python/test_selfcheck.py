"""sparsebridge passes its own compliance kit, as producer and as consumer (issue 8)."""

import warnings

from sparsebridge import BinsparseWarning, compliance
from sparsebridge._selfcheck import consume, make


def test_sparsebridge_producer_passes_the_kit() -> None:
    report = compliance.check_producer(make)
    assert report.ok, report.render()
    # It really ran: the kit checked the formats sparsebridge produces.
    assert len(report.passed_checks()) > 5


def test_sparsebridge_consumer_passes_the_kit() -> None:
    # Lenient readings warn by design (BinsparseWarning); the kit checks the result.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BinsparseWarning)
        # In-process (no fork): JAX, loaded by other tests, warns that fork may deadlock.
        report = compliance.check_consumer(consume, to_dense=lambda a: a.todense(), isolate="none")
    assert report.ok, report.render()
    assert len(report.passed_checks()) > 5

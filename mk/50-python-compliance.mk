# Compliance kit (python/sparsebridge/compliance, issue 8): pure Python on NumPy, tested with pytest + scipy.
# Runs tests/python/test_compliance*.py with PYTHONPATH=python in the shared venv (requirements/python-test.txt).
# pytest exit 5 ("no tests collected") is an error: pytest's own exit code is kept, and nothing masks it.
COMPLIANCE_TESTS := $(sort $(wildcard tests/python/test_compliance*.py))

.PHONY: py-compliance-test py-compliance-report

py-compliance-test: $(VENV)/.stamp
	@test -n "$(COMPLIANCE_TESTS)" || { echo "py-compliance-test: no tests/python/test_compliance*.py"; exit 1; }
	PYTHONPATH=python $(VPY) -m pytest -q -p no:cacheprovider $(COMPLIANCE_TESTS)

# The kit's report for sparsebridge's reference producer and consumer (shown in docs/compliance.md).
py-compliance-report: $(VENV)/.stamp
	PYTHONPATH=python $(VPY) -m sparsebridge.compliance producer sparsebridge.compliance:reference_make
	PYTHONPATH=python $(VPY) -m sparsebridge.compliance consumer sparsebridge.compliance:reference_consumer

TEST_STEPS += py-compliance-test

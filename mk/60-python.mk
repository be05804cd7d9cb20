# The Python package (issue 6; docs/python.md): the Rust extension built with maturin into the
# shared venv, its pytest suite and mypy stubtest.
#   py-build   maturin develop (debug profile unless PY_PROFILE=--release) into .venv
#   py-test    pytest over tests/python (except test_compliance*.py, run by py-compliance-test, and
#              test_cuda.py, run by py-cuda-test in mk/80-cuda-rust.mk)
#   stubtest   mypy stubtest of the typed stubs (allow-list: tests/python/stubtest-allowlist.txt)
# The Rust build uses its own target dir so it never waits on another cargo lock.
PY_TARGET_DIR ?= $(CURDIR)/target/python
PY_PROFILE ?=
PY_TESTS = $(filter-out $(wildcard tests/python/test_compliance*.py) tests/python/test_cuda.py,$(wildcard tests/python/test_*.py))

.PHONY: py-build py-test stubtest

py-build: $(VENV)/.stamp
	CARGO_TARGET_DIR=$(PY_TARGET_DIR) VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
		$(VENV)/bin/maturin develop -q $(PY_PROFILE)

py-test: py-build
	$(VPY) -m pytest -q -rs -p no:cacheprovider $(PY_TESTS)

stubtest: py-build
	$(VPY) -m mypy.stubtest sparsebridge --allowlist tests/python/stubtest-allowlist.txt \
		--mypy-config-file pyproject.toml

TEST_STEPS += py-test stubtest

# The hand-off benchmark (not a test): asarray -> __binsparse__ -> from_dlpack at 1e3 and 5e7 nnz.
.PHONY: py-bench
py-bench: $(VENV)/.stamp
	CARGO_TARGET_DIR=$(PY_TARGET_DIR) VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
		$(VENV)/bin/maturin develop -q --release
	$(VPY) -m sparsebridge._bench --sizes 1000,50000000

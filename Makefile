# sparsebridge: one target per CI step. `.ci/run` calls `make test`.
# Area-specific targets live in mk/*.mk; each adds its CI steps to TEST_STEPS in order.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
export CARGO_TERM_COLOR ?= never
# CI builds once from a clean clone: incremental artifacts would only cost disk and time.
ifdef CI
export CARGO_INCREMENTAL ?= 0
endif

# Steps appended by mk/*.mk, run in this order by `make test`. The Python environment comes first:
# its install (torch's CUDA wheels: ~6 GB) is the largest disk peak, best taken before target/ grows.
TEST_STEPS := disk-free venv fmt-check lint rust-test

include $(sort $(wildcard mk/*.mk))

.PHONY: help bootstrap fmt fmt-check lint rust-test test demo clean disk-free disk-used

# Disk is the resource CI machines have run short of: say how much there is, and what we took.
disk-free:
	@df -h . | sed 's/^/disk-free: /'

disk-used:
	@du -sh target $(VENV) $(wildcard .venv-cuda) 2>/dev/null | sed 's/^/disk-used: /'

help:
	@echo "make demo   - set up and run the main job (README quick start, first command)"
	@echo "make test   - set up and run every test (README quick start, second command; CI)"
	@echo "make bench  - release CLI: sparsebridge bench (BENCH_ARGS=... to pass options)"
	@echo "steps of make test: $(TEST_STEPS)"

bootstrap:
	@bash scripts/bootstrap.sh

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace

# Each step runs in order and reports its wall time (CI's budget is 45 minutes on 2 cores).
test:
	@mkdir -p target; : > target/test-steps.log; t_all=$$(date +%s); \
	for s in $(TEST_STEPS); do \
		t0=$$(date +%s); $(MAKE) --no-print-directory $$s || { echo "make test: step $$s FAILED"; exit 1; }; \
		echo "step $$s: $$(( $$(date +%s) - t0 )) s" | tee -a target/test-steps.log; \
	done; \
	echo "make test: all steps passed in $$(( $$(date +%s) - t_all )) s ($(TEST_STEPS))"
	@cat target/test-steps.log
	@$(MAKE) -s disk-used disk-free

# The main job (README quick start, first command): the protocol hand-off and COO/CSR/CSC
# conversions of a random 1e6 x 1e6 matrix with 1e7 values, timed against the memory floor.
demo:
	$(CARGO) build --release -q -p sparsebridge-cli
	./target/release/sparsebridge demo

clean:
	$(CARGO) clean
	rm -rf $(VENV)

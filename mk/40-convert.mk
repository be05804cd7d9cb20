# Conversion engine (crates/convert): CPU benchmarks. Not part of `make test` (timings are
# measured by benchmarks, never by tests). Results go to docs/benchmarks.md by hand.
BENCH_SIZES ?= 10000000,50000000
BENCH_REPS ?= 5

.PHONY: bench-cpu bench-cpu-criterion

## bench-cpu: Rust report (time, bytes, GB/s, x memcpy floor) then the scipy baseline, same run.
bench-cpu: venv
	SPARSEBRIDGE_BENCH_SIZES=$(BENCH_SIZES) SPARSEBRIDGE_BENCH_REPS=$(BENCH_REPS) \
		$(CARGO) bench -p sparsebridge-convert --bench report
	$(VPY) benches/python/scipy_baseline.py --sizes $(BENCH_SIZES) --reps 3

## bench-cpu-criterion: the criterion benches (1e7 nnz; SPARSEBRIDGE_BENCH_NNZ to change).
bench-cpu-criterion:
	$(CARGO) bench -p sparsebridge-convert --bench bench_main

# sparsebridge against scipy, torch and PyData/Sparse in one Python process (issue 7): the release
# extension (py-build with PY_PROFILE=--release), then benches/python/compare.py, which writes
# docs/bench/compare.json and docs/bench/compare.png and prints a markdown table. Not a test step.
COMPARE_SIZES ?= 1e6,1e7
COMPARE_REPS ?= 3

.PHONY: bench-compare

## bench-compare: same-process comparison with scipy, torch, PyData/Sparse (+ GPU peers if any).
bench-compare: PY_PROFILE = --release
bench-compare: py-build
	$(VPY) benches/python/compare.py --sizes $(COMPARE_SIZES) --reps $(COMPARE_REPS)

# The user's path (issue 13): every conversion timed from a fresh scipy object, sb.asarray and the
# constituents' np.from_dlpack included, against scipy, torch, PyData/Sparse and the memcpy floor
# (measured in the same run); then the hand-off of a scipy CSR at 1e3 nnz and at each size.
# benches/python/userpath.py prints markdown tables and writes docs/bench/userpath.json. Not a test step.
USERPATH_SIZES ?= 1e6,1e7

.PHONY: bench-userpath

## bench-userpath: the user's path (asarray included) vs scipy, torch, PyData/Sparse and the memcpy floor; hand-offs.
bench-userpath: PY_PROFILE = --release
bench-userpath: py-build
	$(VPY) benches/python/userpath.py --sizes $(USERPATH_SIZES) --reps $(COMPARE_REPS)

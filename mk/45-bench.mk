# `make bench`: the release CLI's `sparsebridge bench` (issue 7): COOR/CSR/CSC conversions with
# int32 and int64 indices against the same-run memcpy floor, the protocol hand-off at 1e3..5e7
# stored values, and the CUDA copies and conversions when a GPU is present. Not in TEST_STEPS:
# timings belong to benchmarks, never to tests. BENCH_ARGS passes options, e.g.
#   make bench BENCH_ARGS="--nnz 5e7 --json"
BENCH_ARGS ?=

.PHONY: bench

## bench: build the release CLI and run `sparsebridge bench $(BENCH_ARGS)`.
bench:
	$(CARGO) build --release -q -p sparsebridge-cli
	$${CARGO_TARGET_DIR:-target}/release/sparsebridge bench $(BENCH_ARGS)

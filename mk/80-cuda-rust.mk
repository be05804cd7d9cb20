# The Rust CUDA path end to end under the emulated driver (issue 5 §3, issue 4 "CUDA"):
#   test-emu   crates/buffer/tests/kernel_*.rs, crates/convert/tests/cuda_*.rs and the CUDA
#              section of `sparsebridge bench` (crates/cli/tests/bench_cmd.rs, JSON shape only) with
#              SPARSEBRIDGE_REQUIRE_CUDA=1 (skips become failures), LD_LIBRARY_PATH = the emulator
#              (target/emu) + NVRTC's lib dir from the pinned CUDA wheels ($(CUDA_VENV)); PTX comes
#              from that real NVRTC at run time. Prints how many CUDA-path tests ran (must be > 0).
#              Also runs a tiny `sparsebridge bench --json` through scripts/gpu-bench-summary.py, the
#              ratio printer of `make gpu-check` (its figures are marked as emulated, never GPU ones).
#   py-cuda-test  tests/python/test_cuda.py with SPARSEBRIDGE_REQUIRE_CUDA=1: the Python CUDA path
#              (every device format pair against scipy, DLPack streams and tags, foreign kDLCUDA
#              capsules, typed refusals) under the emulated driver; a skip is a failure.
# Needs `emu` and `cuda-tools` (mk/30-kernels.mk). docs/gpu-testing.md, section "The Rust CUDA path".
CUDA_RUST_OUT := target/cuda-rust
# Small blocks: many blocks, partial tiles and multi-level scans from small inputs (the emulator
# costs ~25 µs per emulated thread). Real GPUs use the default, 256.
CUDA_RUST_BLOCK ?= 32
CUDA_RUST_TESTS := $(patsubst crates/buffer/tests/%.rs,%,$(wildcard crates/buffer/tests/kernel_*.rs))
CUDA_CONVERT_TESTS := $(patsubst crates/convert/tests/%.rs,%,$(wildcard crates/convert/tests/cuda_*.rs))

TEST_STEPS += test-emu py-cuda-test

.PHONY: test-emu py-cuda-test

py-cuda-test: emu cuda-tools py-build
	SPARSEBRIDGE_REQUIRE_CUDA=1 $(VPY) -m pytest -q -rs -p no:cacheprovider tests/python/test_cuda.py

test-emu: emu cuda-tools
	@set -euo pipefail; \
	nv=$$($(CUDA_VENV)/bin/python -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "lib"))'); \
	emu=$(CURDIR)/$(EMU_DIR); \
	mkdir -p $(CUDA_RUST_OUT); log=$(CUDA_RUST_OUT)/test-emu.log; : > $$log; \
	export LD_LIBRARY_PATH="$$emu:$$nv$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" SPARSEBRIDGE_REQUIRE_CUDA=1 \
		SBEMU_QUIET=1 SPARSEBRIDGE_CUDA_BLOCK=$(CUDA_RUST_BLOCK); \
	start=$$(date +%s); \
	$(CARGO) test --workspace $(addprefix --test ,$(CUDA_RUST_TESTS)) 2>&1 | tee -a $$log; \
	$(CARGO) test --workspace $(addprefix --test ,$(CUDA_CONVERT_TESTS)) 2>&1 | tee -a $$log; \
	$(CARGO) test --workspace --test bench_cmd bench_cuda_section_shape -- --nocapture 2>&1 | tee -a $$log; \
	$(CARGO) run -q -p sparsebridge-cli -- bench --n 300 --nnz 800 --reps 1 --handoff-sizes 100 --json \
		> $(CUDA_RUST_OUT)/bench-emu.json; \
	$(PYTHON) scripts/gpu-bench-summary.py < $(CUDA_RUST_OUT)/bench-emu.json | tee -a $$log; \
	grep -q 'EMULATED DRIVER' $$log; \
	n=$$(grep -o 'CUDA-PATH-RAN [A-Za-z0-9_]*' $$log | sort -u | wc -l); \
	skipped=$$(grep -c '^SKIPPED ' $$log || true); \
	echo "test-emu: $$n CUDA-path tests executed against the emulated driver ($$emu), $$skipped skipped, $$(( $$(date +%s) - start )) s"; \
	test "$$n" -gt 0

# crates/buffer (sparsebridge-buffer): CUDA-path tests against the project emulator, Miri, benches.
# The stub/no-libcuda probe tests and the fake-driver CUDA-path run are part of `cargo test`
# (crates/buffer/tests/cuda_probe.rs, cuda_path.rs); they need a C compiler (`cc`).
EMU_LIBCUDA := target/emu/libcuda.so.1
# Integration tests that never call the driver: safe and meaningful under Miri.
BUFFER_MIRI_TESTS := --test hostile --test lifetime --test roundtrip

.PHONY: buffer-cuda-emu buffer-miri buffer-bench

# The real Rust CUDA path under the emulated driver. This step runs before the kernels steps, so it
# builds the emulator first (`make emu`, defined in mk/30-kernels.mk) when that target exists; it is
# skipped, with the reason, when no emulator can be had. SPARSEBRIDGE_REQUIRE_CUDA=1 makes every
# CUDA test run or fail.
buffer-cuda-emu:
	@if [ ! -e $(EMU_LIBCUDA) ] && grep -qs '^emu:' mk/*.mk; then \
		$(MAKE) --no-print-directory emu || echo "buffer-cuda-emu: 'make emu' failed"; \
	fi
	@if [ -e $(EMU_LIBCUDA) ]; then \
		LD_LIBRARY_PATH=$(CURDIR)/target/emu SPARSEBRIDGE_REQUIRE_CUDA=1 \
			$(CARGO) test --workspace --test cuda_path -- cuda_ --nocapture; \
	else \
		echo "buffer-cuda-emu: SKIPPED ($(EMU_LIBCUDA) not built; run 'make emu')"; \
	fi

# Miri over the host-only unsafe code (buffers, views, DLPack export/import, deleters).
# Needs `rustup component add miri rust-src --toolchain nightly`; skipped with the reason otherwise.
buffer-miri:
	@if cargo +nightly miri --version >/dev/null 2>&1; then \
		MIRIFLAGS="-Zmiri-permissive-provenance" \
			cargo +nightly miri test -p sparsebridge-buffer $(BUFFER_MIRI_TESTS); \
	else \
		echo "buffer-miri: SKIPPED (no nightly miri: rustup component add miri rust-src --toolchain nightly)"; \
	fi

buffer-bench:
	$(CARGO) bench -p sparsebridge-buffer --bench alloc

TEST_STEPS += buffer-cuda-emu buffer-miri

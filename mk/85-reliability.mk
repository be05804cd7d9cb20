# Hostile input, run for real (docs/reliability.md):
#   fuzz-tools      cargo-fuzz from crates.io into target/tools (the project's own setup)
#   fuzz-smoke      every cargo-fuzz target for FUZZ_SMOKE_SECONDS (CI), from the committed seeds
#   fuzz            every target for FUZZ_SECONDS (10 min each; not in CI), corpus kept in target/fuzz-corpus
#   fuzz-py         the atheris target over the Python lenient reader (FUZZ_PY_SECONDS)
#   asan            the buffer, array, convert and io tests under AddressSanitizer + LeakSanitizer
#   valgrind-smoke  memcheck over a Python export/import/convert/deleter smoke script
# cargo-fuzz and -Zsanitizer need nightly features: the pinned stable toolchain is the only one
# here, so RUSTC_BOOTSTRAP=1 unlocks them (as the brief allows).
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_TOOLS := $(CURDIR)/target/tools
CARGO_FUZZ := $(FUZZ_TOOLS)/bin/cargo-fuzz
FUZZ_TARGETS := descriptor dlpack_import mtx_read npy_read h5_read convert
# h5_read is left out of the CI smoke: a mutated file makes libhdf5 1.10.8 spin inside
# H5C_protect while H5Aread converts the variable-length `binsparse` attribute from a corrupt
# global heap (no return within 120 s; see docs/reliability.md). `make fuzz` still runs it.
FUZZ_SMOKE_TARGETS ?= descriptor dlpack_import mtx_read npy_read convert
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_SECONDS ?= 600
FUZZ_CORPUS := target/fuzz-corpus
# The fuzz build gets its own target dir (release + ASan + coverage instrumentation).
FUZZ_ENV := RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(CURDIR)/target/fuzz
HOST_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
ASAN_TARGET_DIR := $(CURDIR)/target/asan

.PHONY: fuzz-tools fuzz-build fuzz-smoke fuzz fuzz-py asan valgrind-smoke

$(CARGO_FUZZ):
	$(CARGO) install -q cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --root $(FUZZ_TOOLS)

fuzz-tools: $(CARGO_FUZZ)

fuzz-build: $(CARGO_FUZZ)
	cd fuzz && $(FUZZ_ENV) $(CARGO_FUZZ) build -O

# Each target starts from a copy of its committed seeds (fuzz/seeds/T) plus the regressions
# (fuzz/regressions/T): libFuzzer writes new inputs into the first corpus dir, never into git.
# A crash leaves crash-* artifacts in target/fuzz-artifacts/T and fails the step.
define run_fuzz
	@set -e; for t in $(3); do \
		mkdir -p $(1)/$$t target/fuzz-artifacts/$$t; \
		cp -n fuzz/seeds/$$t/* $(1)/$$t/ 2>/dev/null || true; \
		dict=$$(test -f fuzz/dicts/$$t.dict && echo -dict=$(CURDIR)/fuzz/dicts/$$t.dict || true); \
		regs=$$(test -d fuzz/regressions/$$t && echo $(CURDIR)/fuzz/regressions/$$t || true); \
		start=$$(date +%s); \
		(cd fuzz && $(FUZZ_ENV) $(CARGO_FUZZ) run -O $$t $(CURDIR)/$(1)/$$t $$regs -- \
			-max_total_time=$(2) -timeout=30 -rss_limit_mb=3072 -max_len=65536 -print_final_stats=1 \
			-artifact_prefix=$(CURDIR)/target/fuzz-artifacts/$$t/ $$dict \
			> $(CURDIR)/target/fuzz-artifacts/$$t.log 2>&1) \
			|| { tail -60 target/fuzz-artifacts/$$t.log; echo "fuzz: $$t FAILED"; exit 1; }; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' target/fuzz-artifacts/$$t.log); \
		echo "fuzz: $$t ok: $$execs executions in $$(( $$(date +%s) - start )) s"; \
	done
endef

fuzz-smoke: fuzz-build
	$(call run_fuzz,target/fuzz-smoke-corpus,$(FUZZ_SMOKE_SECONDS),$(FUZZ_SMOKE_TARGETS))
	@rm -rf target/fuzz-smoke-corpus
	@if [ -n "$(CI)" ]; then rm -rf target/fuzz; fi

fuzz: fuzz-build
	$(call run_fuzz,$(FUZZ_CORPUS),$(FUZZ_SECONDS),$(FUZZ_TARGETS))

FUZZ_PY_SECONDS ?= 60
fuzz-py: py-build
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements/fuzz/atheris.txt
	@# libFuzzer writes new inputs into its first corpus dir: a copy, never the committed seeds.
	mkdir -p $(FUZZ_CORPUS)/py_from_binsparse target/fuzz-artifacts
	cp -n fuzz/seeds/py_from_binsparse/* $(FUZZ_CORPUS)/py_from_binsparse/
	$(VPY) fuzz/python/from_binsparse.py -max_total_time=$(FUZZ_PY_SECONDS) -print_final_stats=1 \
		-artifact_prefix=target/fuzz-artifacts/ $(FUZZ_CORPUS)/py_from_binsparse

# AddressSanitizer (LeakSanitizer on) over the crates that hold or touch unsafe memory. `--target`
# keeps the sanitizer flags off build scripts and proc macros. Proptest cases are capped: the
# point is sanitizer coverage of each path, not search depth (the fuzzers do that).
ASAN_TESTS := -p sparsebridge-buffer -p sparsebridge-array -p sparsebridge-convert -p sparsebridge-io \
	--features sparsebridge-io/hdf5 --lib --test hostile --test lifetime --test roundtrip --test array \
	--test validate_props --test engine --test formats --test nd_cast --test props --test mtx --test npy --test h5
asan:
	RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(ASAN_TARGET_DIR) RUSTFLAGS="-Zsanitizer=address" \
		RUSTDOCFLAGS="-Zsanitizer=address" ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
		PROPTEST_CASES=64 $(CARGO) test --target $(HOST_TRIPLE) $(ASAN_TESTS)
	@if [ -n "$(CI)" ]; then rm -rf $(ASAN_TARGET_DIR); fi

# memcheck over the Python extension: export, import, conversion and deleters. Only errors whose
# stack passes through sparsebridge's own code count (CPython, numpy and torch have their own
# known reports); tests/valgrind/check_log.py prints and counts them.
valgrind-smoke: py-build
	PYTHONMALLOC=malloc valgrind --tool=memcheck --error-limit=no --num-callers=40 \
		--log-file=target/valgrind-smoke.log $(VPY) tests/valgrind/smoke.py
	$(VPY) tests/valgrind/check_log.py target/valgrind-smoke.log

# In `make test` (and so in .ci/run): the five-target fuzz smoke and the ASan tests. Under CI both
# delete their build trees afterwards (several GB) to stay inside the runner's disk.
TEST_STEPS += fuzz-smoke asan

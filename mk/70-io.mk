# File formats and CLI subcommand logic (crates/io, sparsebridge-io; issue 7).
# HDF5 is behind the `hdf5` cargo feature (system libhdf5): `make bootstrap` installs it through
# SB_APT_PACKAGES. `cargo test --workspace` (rust-test) covers Matrix Market and NPY directories;
# io-test adds the HDF5 tests, including the interop tests against PyPI
# binsparse 0.1.4 + h5py in the project venv (requirements/io.txt), which may not skip here.
SB_APT_PACKAGES += libhdf5-dev pkg-config
export SB_APT_PACKAGES

.PHONY: io-lint io-test

io-lint:
	$(CARGO) clippy -p sparsebridge-io --features hdf5 --all-targets --no-deps -- -D warnings

# The CLI enables `hdf5`, so `--workspace` builds io with it, with the same feature set as
# rust-test: the test binaries are reused, not rebuilt (`-p sparsebridge-io` unified features
# over io alone and rebuilt every crate, about 2.5 min and 2 GB of target/).
IO_TESTS := $(patsubst crates/io/tests/%.rs,%,$(wildcard crates/io/tests/*.rs))

io-test: $(VENV)/.stamp
	SPARSEBRIDGE_REQUIRE_IO_INTEROP=1 SPARSEBRIDGE_PYTHON=$(CURDIR)/$(VPY) \
		$(CARGO) test --workspace $(addprefix --test ,$(IO_TESTS))

TEST_STEPS += io-test

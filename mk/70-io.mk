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

io-test: $(VENV)/.stamp
	SPARSEBRIDGE_REQUIRE_IO_INTEROP=1 SPARSEBRIDGE_PYTHON=$(CURDIR)/$(VPY) \
		$(CARGO) test -p sparsebridge-io --features hdf5

TEST_STEPS += io-test

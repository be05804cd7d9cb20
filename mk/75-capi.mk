# The C ABI (crates/capi, issue 16; docs/capi.md).
#   capi        release build of sparsebridge-capi, staged as a cargo-c style install tree:
#               target/capi/{include/sparsebridge.h, include/dlpack/dlpack.h, lib/libsparsebridge.{so,a},
#               lib/pkgconfig/sparsebridge.pc}
#   capi-test   the C test suite (tests/capi/*.c) and the example (docs/examples/capi_read_convert.c),
#               compiled with -Wall -Wextra -Werror against the staged tree and run under valgrind
#               memcheck (0 errors, 0 leaks); the C++17 wrapper compiled with -Wall -Werror and run.
SB_APT_PACKAGES += valgrind
export SB_APT_PACKAGES

CAPI_DIR := target/capi
CAPI_CC ?= cc
CAPI_CXX ?= c++
CAPI_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -I $(CAPI_DIR)/include
CAPI_LDFLAGS := -L $(CAPI_DIR)/lib -lsparsebridge -Wl,-rpath,$(CURDIR)/$(CAPI_DIR)/lib
VALGRIND := valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect,possible \
	--suppressions=tests/capi/valgrind.supp -q
CAPI_TESTS := $(patsubst tests/capi/%.c,%,$(wildcard tests/capi/*.c))

.PHONY: capi capi-test

capi:
	$(CARGO) build --release -p sparsebridge-capi
	rm -rf $(CAPI_DIR)
	mkdir -p $(CAPI_DIR)/include/dlpack $(CAPI_DIR)/lib/pkgconfig $(CAPI_DIR)/bin
	cp crates/capi/include/sparsebridge.h crates/capi/include/sparsebridge.hpp $(CAPI_DIR)/include/
	cp crates/capi/include/dlpack/dlpack.h crates/capi/include/dlpack/LICENSE crates/capi/include/dlpack/NOTICE \
		$(CAPI_DIR)/include/dlpack/
	cp target/release/libsparsebridge.so target/release/libsparsebridge.a $(CAPI_DIR)/lib/
	sed -e 's|@PREFIX@|$(CURDIR)/$(CAPI_DIR)|' -e 's|@VERSION@|$(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)|' \
		crates/capi/sparsebridge.pc.in > $(CAPI_DIR)/lib/pkgconfig/sparsebridge.pc
	@echo "capi: staged $(CAPI_DIR)"

capi-test: capi
	rm -rf $(CAPI_DIR)/work && mkdir -p $(CAPI_DIR)/work
	set -e; for t in $(CAPI_TESTS); do \
		$(CAPI_CC) $(CAPI_CFLAGS) tests/capi/$$t.c -o $(CAPI_DIR)/bin/$$t $(CAPI_LDFLAGS); \
		echo "capi-test: $$t"; $(VALGRIND) $(CAPI_DIR)/bin/$$t tests/fixtures/capi/small.mtx $(CAPI_DIR)/work; \
	done
	$(CAPI_CC) $(CAPI_CFLAGS) docs/examples/capi_read_convert.c -o $(CAPI_DIR)/bin/capi_read_convert $(CAPI_LDFLAGS)
	$(VALGRIND) $(CAPI_DIR)/bin/capi_read_convert tests/fixtures/capi/small.mtx
	$(CAPI_CXX) -std=c++17 -Wall -Werror -g -I $(CAPI_DIR)/include tests/capi/cpp/wrapper.cpp \
		-o $(CAPI_DIR)/bin/wrapper $(CAPI_LDFLAGS)
	$(VALGRIND) $(CAPI_DIR)/bin/wrapper tests/fixtures/capi/small.mtx

TEST_STEPS += capi-test

# CUDA kernels without a GPU (issue 5; docs/gpu-testing.md):
#   cuda-tools     the pinned NVRTC/ptxas wheels in .venv-cuda (requirements/cuda/cuda-tools.txt)
#   kernels-check  NVRTC + ptxas for sm_75/80/90: registers, smem, spills (needs cuda-tools)
#   kernels-test   the kernels under the CPU shim (C++ driver) + kernels.def consistency
#   kernels-tsan   the same driver under ThreadSanitizer, and planted bug (a) must be reported
#   emu            the emulated driver: target/emu/libcuda.so.1 (+ target/emu/planted/, test-only)
#   emu-test       the emulated driver through the driver API, planted bug (b) included
#   emu-cudarc-smoke  cudarc 0.19.10's safe API on the emulator (not in make test)
#   gpu-check      the real-GPU suites, compute-sanitizer and benches (needs a GPU; never in CI)
CXX ?= g++
KERNELS_DIR := kernels
KERNELS_OUT := target/kernels-cpu-tests
KERNELS_PTX := target/kernels-ptx
EMU_DIR := target/emu
KERNELS_SRC := $(wildcard $(KERNELS_DIR)/*.cu) $(KERNELS_DIR)/common.cuh $(KERNELS_DIR)/kernels.def \
	$(wildcard $(KERNELS_DIR)/shim/*) $(wildcard $(KERNELS_DIR)/tests/*.cu) $(wildcard $(KERNELS_DIR)/tests/*.h*) \
	$(KERNELS_DIR)/tests/planted.def
KERNELS_CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -Werror -pthread -I$(KERNELS_DIR)
# The pinned CUDA 13.0 wheels live in their own venv: torch in requirements/python.txt pulls
# cuda-toolkit 13.2, which conflicts with them (requirements/cuda/cuda-tools.txt).
CUDA_VENV ?= .venv-cuda
CUDA_REQ := requirements/cuda/cuda-tools.txt
# The NVRTC check uses that venv when present; otherwise it prints why it skipped.
KERNELS_PY = $$(test -x $(CUDA_VENV)/bin/python && echo $(CUDA_VENV)/bin/python || echo $(PYTHON))

# `make test` (CI) turns the "no CUDA wheels" skip into a failure.
test: export SPARSEBRIDGE_REQUIRE_CUDA_TOOLS ?= 1

TEST_STEPS += cuda-tools kernels-check kernels-test kernels-tsan emu emu-test

.PHONY: cuda-tools kernels-check kernels-def kernels-test kernels-tsan emu emu-test gpu-check

$(CUDA_VENV)/.stamp: $(CUDA_REQ)
	@test -x $(CUDA_VENV)/bin/python || $(PYTHON) -m venv $(CUDA_VENV)
	@start=$$(date +%s.%N); \
	$(CUDA_VENV)/bin/python -m pip install -q --disable-pip-version-check $(if $(CI),--no-cache-dir) -r $(CUDA_REQ); \
	echo "cuda-tools: installed $(CUDA_REQ) in $$(python3 -c "import time;print(f'{time.time()-$$start:.1f}')") s"
	@touch $@

cuda-tools: $(CUDA_VENV)/.stamp

kernels-def:
	$(PYTHON) scripts/kernels-gen-def.py

kernels-check:
	$(PYTHON) scripts/kernels-gen-def.py --check
	$(KERNELS_PY) scripts/kernels-nvrtc-check.py

$(KERNELS_OUT)/test_kernels: $(KERNELS_SRC)
	@mkdir -p $(@D)
	$(CXX) $(KERNELS_CXXFLAGS) -o $@ $(KERNELS_DIR)/tests/test_kernels.cpp

$(KERNELS_OUT)/test_kernels_tsan: $(KERNELS_SRC)
	@mkdir -p $(@D)
	$(CXX) $(KERNELS_CXXFLAGS) -fsanitize=thread -o $@ $(KERNELS_DIR)/tests/test_kernels.cpp

$(KERNELS_OUT)/planted_nosync_tsan: $(KERNELS_SRC)
	@mkdir -p $(@D)
	$(CXX) $(KERNELS_CXXFLAGS) -fsanitize=thread -o $@ $(KERNELS_DIR)/tests/planted_nosync.cpp

$(KERNELS_OUT)/all_kernels.o: $(KERNELS_SRC)
	@mkdir -p $(@D)
	$(CXX) $(KERNELS_CXXFLAGS) -c -o $@ $(KERNELS_DIR)/shim/all_kernels.cpp

kernels-test: $(KERNELS_OUT)/test_kernels $(KERNELS_OUT)/all_kernels.o
	$(PYTHON) scripts/kernels-gen-def.py --check
	@bash scripts/kernels-symbols-check.sh $(KERNELS_OUT)/all_kernels.o $(KERNELS_DIR)/kernels.def
	$(KERNELS_OUT)/test_kernels

kernels-tsan: $(KERNELS_OUT)/test_kernels_tsan $(KERNELS_OUT)/planted_nosync_tsan
	TSAN_OPTIONS=halt_on_error=1 $(KERNELS_OUT)/test_kernels_tsan
	@bash scripts/kernels-expect-race.sh $(KERNELS_OUT)/planted_nosync_tsan

EMU_FLAGS := -std=c++20 -O1 -g -Wall -Wextra -Werror -pthread -I$(KERNELS_DIR) -fPIC -shared \
	-fvisibility=hidden -fvisibility-inlines-hidden -Wl,-soname,libcuda.so.1 \
	-Wl,--version-script=$(KERNELS_DIR)/emu/libcuda.map
EMU_SRC := $(KERNELS_DIR)/emu/libcuda.cpp $(KERNELS_DIR)/shim/all_kernels.cpp

$(EMU_DIR)/libcuda.so.1: $(KERNELS_SRC) $(wildcard $(KERNELS_DIR)/emu/*)
	@mkdir -p $(@D)
	$(CXX) $(EMU_FLAGS) -o $@ $(EMU_SRC)

$(EMU_DIR)/planted/libcuda.so.1: $(KERNELS_SRC) $(wildcard $(KERNELS_DIR)/emu/*)
	@mkdir -p $(@D)
	$(CXX) $(EMU_FLAGS) -DSB_WITH_PLANTED -o $@ $(EMU_SRC)

$(EMU_DIR)/emu_test: $(KERNELS_DIR)/tests/emu_test.cpp
	@mkdir -p $(@D)
	$(CXX) -std=c++20 -O1 -g -Wall -Wextra -Werror -o $@ $< -ldl

emu: $(EMU_DIR)/libcuda.so.1

emu-test: $(EMU_DIR)/libcuda.so.1 $(EMU_DIR)/planted/libcuda.so.1 $(EMU_DIR)/emu_test
	$(EMU_DIR)/emu_test $(EMU_DIR)/libcuda.so.1 $(KERNELS_PTX)
	$(EMU_DIR)/emu_test $(EMU_DIR)/planted/libcuda.so.1 $(KERNELS_PTX) --planted

gpu-check:
	@bash scripts/kernels-gpu-check.sh

# Not in TEST_STEPS: cudarc's own API on the emulator (a stopgap until the Rust CUDA path runs there).
.PHONY: emu-cudarc-smoke
emu-cudarc-smoke: emu
	@bash scripts/kernels-emu-cudarc-smoke.sh

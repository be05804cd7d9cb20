#!/usr/bin/env bash
# `make gpu-check`: the same suites on a real GPU, plus compute-sanitizer and the GPU benchmarks.
# For a machine with an NVIDIA GPU, driver >= R580 (CUDA 13.0) and the pinned wheels in .venv.
# Never run in CI; see docs/gpu-testing.md. Untested on hardware so far.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no GPU visible (nvidia-smi -L failed); nothing to do" >&2
  exit 1
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
export SPARSEBRIDGE_REQUIRE_CUDA=1 SPARSEBRIDGE_REQUIRE_CUDA_TOOLS=1
# The emulator must not shadow the real driver.
export LD_LIBRARY_PATH=$(tr ':' '\n' <<<"${LD_LIBRARY_PATH:-}" | grep -v 'target/emu' | paste -sd: -)
PY=.venv-cuda/bin/python
[ -x "$PY" ] || { echo "gpu-check: run "make cuda-tools" first (the pinned NVRTC wheels)" >&2; exit 1; }
NV=$($PY -c 'import nvidia,os;print(os.path.join(list(nvidia.__path__)[0],"cu13"))')
export LD_LIBRARY_PATH="$NV/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "== 1. NVRTC + ptxas (also for the device's own arch)"
$PY scripts/kernels-nvrtc-check.py

echo "== 2. Rust suites on the real device (CUDA-path tests must run, not skip)"
cargo test --workspace --release

SAN=$(command -v compute-sanitizer || true)
if [ -z "$SAN" ]; then
  echo "gpu-check: compute-sanitizer not found (install the CUDA toolkit's sanitizer); skipping 3-4" >&2
else
  # The test binaries of the crates that launch kernels.
  mapfile -t BINS < <(cargo test --workspace --release --no-run --message-format=json 2>/dev/null |
    $PY -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["kind"]!=["bin"]: print(m["executable"])')
  for tool in memcheck racecheck; do
    echo "== compute-sanitizer --tool $tool"
    for b in "${BINS[@]}"; do
      "$SAN" --tool "$tool" --error-exitcode 1 --print-limit 20 "$b" --test-threads=1
    done
  done
fi

echo "== 5. GPU benchmarks (record device, driver and figures in docs/benchmarks.md)"
mkdir -p target/gpu-check
# (a) The engine from Rust: pageable vs pinned H2D/D2H, D2D, every COOR/CSR/CSC conversion on the
# device against the D2D copy rate, int32 vs int64 (scripts/gpu-bench-summary.py prints ratios).
cargo run --release -q -p sparsebridge-cli -- bench --json > target/gpu-check/bench.json
.venv/bin/python scripts/gpu-bench-summary.py --require-gpu < target/gpu-check/bench.json
# (b) The user's path from Python, beside CuPy/cuSPARSE and torch on CUDA where installed
# (benches/python/compare.py: its GPU section runs when torch sees a device).
.venv/bin/python benches/python/compare.py --out-dir target/gpu-check
echo "gpu-check: done"

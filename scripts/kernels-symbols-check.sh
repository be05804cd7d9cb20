#!/usr/bin/env bash
# The extern "C" kernels defined by the CPU build (an object of kernels/shim/all_kernels.cpp) must be
# exactly the names of kernels/kernels.def: a kernel added to a .cu file without regenerating the list
# fails here even where the NVRTC check is skipped.
set -euo pipefail
obj=$1 def=$2
built=$(nm -g --defined-only "$obj" | awk '$2 == "T" && $3 !~ /^_Z/ {print $3}' | sort)
listed=$(sed -n 's/^SB_KERNEL([a-z_]*, \([a-z0-9_]*\))$/\1/p' "$def" | sort)
if [ "$built" != "$listed" ]; then
  echo "kernels-symbols-check: CPU build and $def differ (< built, > listed):" >&2
  diff <(echo "$built") <(echo "$listed") >&2 || true
  exit 1
fi
echo "kernels-symbols-check: $(echo "$listed" | wc -l) kernels, CPU build == kernels.def"

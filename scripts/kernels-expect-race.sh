#!/usr/bin/env bash
# Planted bug (a): the scan with one __syncthreads removed (kernels/tests/planted_bugs.cu) must make
# ThreadSanitizer report a data race. Passes only when TSan reports it.
set -uo pipefail
bin=$1
out=$(TSAN_OPTIONS="exitcode=66" "$bin" 2>&1)
rc=$?
if [ "$rc" -eq 66 ] && grep -q "WARNING: ThreadSanitizer: data race" <<<"$out" && grep -q "planted_bugs.cu" <<<"$out"; then
  echo "planted bug (a): caught: ThreadSanitizer reports the race in $(grep -m1 -o 'planted_bugs.cu:[0-9]*' <<<"$out")"
  exit 0
fi
echo "planted bug (a): NOT caught (exit $rc); output:" >&2
echo "$out" | tail -20 >&2
exit 1

#!/usr/bin/env bash
# Install the system packages the build and tests need, where missing (Debian; run as root or with sudo).
# Idempotent and quiet when everything is present.
set -euo pipefail
need=()
command -v make >/dev/null 2>&1 || need+=(make)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# python3 -m venv needs ensurepip, which Debian ships separately.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
# The CLI reads and writes binsparse HDF5 files through the system libhdf5 (hdf5-metno crate).
dpkg -s libhdf5-dev >/dev/null 2>&1 || need+=(libhdf5-dev)
# make capi-test runs the C ABI test suite under valgrind memcheck.
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
# Extra packages requested by area makefiles (space-separated Debian package names).
for p in ${SB_APT_PACKAGES:-}; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

#!/usr/bin/env bash
# One entry point for a fresh Debian machine with only the Rust toolchain and python3:
# installs the system packages the project needs (make, a C/C++ compiler, python3-venv, ...), then runs `make "$@"`.
#   ./dev.sh demo   - set up and run the main job
#   ./dev.sh test   - set up and run every test (what CI runs)
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
exec make "$@"

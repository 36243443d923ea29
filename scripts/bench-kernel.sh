#!/usr/bin/env bash
# Latency of a one-line cell through jupyter_client, the Swift (DDPM) kernel
# beside ipykernel in one run (bench/kernel_latency.py). Not part of the tests.
#
#   bash scripts/bench-kernel.sh [--samples N] [--filler N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh
python_env .venv-bench-kernel jupyter_client==8.6.3 ipykernel==6.29.5
swift build -c release >/dev/null
.build/release/ddpm-kernel install --prefix "$PWD/.venv-bench-kernel" >/dev/null
export JUPYTER_PATH="$PWD/.venv-bench-kernel/share/jupyter"
.venv-bench-kernel/bin/python bench/kernel_latency.py "$@"

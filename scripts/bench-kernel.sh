#!/usr/bin/env bash
# Latency of a one-line cell through jupyter_client, the Swift (DDPM) kernel
# beside ipykernel in one run (bench/kernel_latency.py); with --widgets, how
# fast notebook 02's panel follows a slider, beside ipywidgets + matplotlib
# (bench/widget_latency.py); with --completion, Tab and Shift-Tab latency and
# the language server's memory (bench/completion_latency.py). Not part of the tests.
#
#   bash scripts/bench-kernel.sh [--samples N] [--checkpoints 0,100,300,1000]
#   bash scripts/bench-kernel.sh --widgets [--samples N]
#   bash scripts/bench-kernel.sh --completion [--samples N]   (Tab and Shift-Tab, beside ipykernel's jedi)
#   bash scripts/bench-kernel.sh --class [--kernels 2,4,8]     (K kernels running notebook 01 at once)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh
python_env .venv-bench-kernel jupyter_client==8.6.3 ipykernel==6.29.5 ipywidgets==8.1.9 matplotlib==3.10.7 numpy torch==2.13.0+cpu
# As the tests build it: the optimised DSL and executor, the kernel from the
# debug build (a release build of the kernel, with swift-syntax optimised,
# takes about ten minutes more and answers about 20 ms sooner).
swift build -c release --product DDPM >/dev/null
swift build -c release --product ddpm-executor >/dev/null
swift build -c release --product DDPMForkServer >/dev/null
swift build --product ddpm-kernel >/dev/null
.build/debug/ddpm-kernel install --prefix "$PWD/.venv-bench-kernel" --library-dir "$PWD/.build/release" >/dev/null
export JUPYTER_PATH="$PWD/.venv-bench-kernel/share/jupyter"
case "${1:-}" in
    --widgets) shift; exec .venv-bench-kernel/bin/python bench/widget_latency.py "$@" ;;
    --completion) shift; exec .venv-bench-kernel/bin/python bench/completion_latency.py "$@" ;;
    --class) shift; exec .venv-bench-kernel/bin/python bench/class_load.py "$@" ;;
esac
.venv-bench-kernel/bin/python bench/kernel_latency.py "$@"

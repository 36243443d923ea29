#!/usr/bin/env bash
# The main job: set everything up, build in release mode, and run the demo
# (a small network trained with the PyTorch-shaped loop, its loss falling).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product ddpm-demo
.build/release/ddpm-demo

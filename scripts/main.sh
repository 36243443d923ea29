#!/usr/bin/env bash
# The main job: set everything up, build in release mode, register the
# "Swift (DDPM)" kernel for this user, and open the tutorials in JupyterLab
# (installed into .venv-lab).
#
#   bash scripts/main.sh [jupyter lab options, e.g. --no-browser --port 8890]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh

swift build -c release
.build/release/ddpm-kernel install --user
# jupyterlab-widgets: the lab extension that draws the tutorials' sliders and panels.
python_env .venv-lab "jupyterlab>=4.2,<5" "jupyterlab-widgets>=3.0.15,<3.1"
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-root)  # JupyterLab refuses root otherwise (containers often are)
exec .venv-lab/bin/jupyter lab --notebook-dir="$PWD/notebooks" "${root[@]}" "$@"

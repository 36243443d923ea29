#!/usr/bin/env bash
# Executes every notebook headless through the kernel and writes each as
# HTML into out/notebooks/, for readers without a browser-based Jupyter.
#
#   bash scripts/html.sh [notebooks/01-forward-process.ipynb ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh
swift build -c release
python_env .venv-html nbclient==0.10.2 nbformat==5.10.4 nbconvert==7.16.6 jupyter_client==8.6.3
.build/release/ddpm-kernel install --prefix "$PWD/.venv-html" >/dev/null
export JUPYTER_PATH="$PWD/.venv-html/share/jupyter"
.venv-html/bin/python scripts/run_notebooks.py --html "$@"
echo "HTML in out/notebooks/"

#!/usr/bin/env bash
# Every test: set everything up, then
#   1. the Swift tests (swift test),
#   2. the Jupyter conformance suite (jupyter_kernel_test) and the scenario
#      tests (jupyter_client) against the installed kernel,
#   3. every notebook in notebooks/ executed through nbclient, failing on
#      any error output not tagged raises-exception,
#   4. the tutorials in a real browser: JupyterLab with the widget extension,
#      Debian's chromium driven headless by Playwright (screenshots in out/browser/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh

# The committed .swift-format holds: a line it would change fails the run
# (`swift format -i -r Sources Tests Package.swift` fixes most).
swift format lint --strict -r Sources Tests Package.swift

# Cells link the optimised DSL (libDDPM.so) and run in the release executor;
# the kernel itself comes from the debug build the Swift tests need anyway
# (its release build, with swift-syntax optimised, would add about ten
# minutes; latency through it is about 20 ms lower).
swift build -c release --product DDPM
swift build -c release --product ddpm-executor
swift build -c release --product DDPMForkServer
# A target that imports another without declaring it breaks the build, so
# the dependency arrows in Package.swift stay the ones the code has.
swift build --build-tests --explicit-target-dependency-import-check error
swift test --skip-build --disable-swift-testing

# PyTorch (CPU) and safetensors: checkpoints must load into the seeds' own classes and back.
python_env .venv-test jupyter_client==8.6.3 jupyter_kernel_test==0.7.0 nbclient==0.10.2 nbformat==5.10.4 pytest==8.3.5 \
    torch==2.13.0+cpu safetensors==0.8.0 numpy
.build/debug/ddpm-kernel install --prefix "$PWD/.venv-test" --library-dir "$PWD/.build/release"
export JUPYTER_PATH="$PWD/.venv-test/share/jupyter"  # before any user-level kernelspec of the same name
.venv-test/bin/python -m pytest -q -p no:cacheprovider Tests/jupyter
.venv-test/bin/python scripts/run_notebooks.py --check

# Playwright cannot download its own browsers here: it drives Debian's chromium.
debian_packages chromium
python_env .venv-browser "jupyterlab>=4.2,<5" "jupyterlab-widgets>=3.0.15,<3.1" playwright==1.65.2 pytest==8.3.5
.venv-browser/bin/python -m pytest -q -p no:cacheprovider Tests/browser

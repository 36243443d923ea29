#!/usr/bin/env bash
# Side-by-side benchmark of the image networks (issue 12): ddpm-bench-unet
# and the seeds' PyTorch classes (bench/reference_unet.py, CPU wheel, 2
# threads) doing the same training and sampling steps, in one run, with the
# ratios. Not part of the tests.
#
#   bash scripts/bench-unet.sh [--train N] [--sample N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh
python_env .venv-bench torch==2.13.0+cpu numpy matplotlib==3.10.7 safetensors==0.8.0
swift build -c release --product ddpm-bench-unet >/dev/null
swift_out=$(.build/release/ddpm-bench-unet "$@")
torch_out=$(.venv-bench/bin/python bench/reference_unet.py "$@")
python3 - "$swift_out" "$torch_out" <<'PY'
import re, sys
def parse(text):
    return {m[0]: float(m[1]) for m in re.findall(r"^(.+?): ([0-9.]+) (?:s/step|MB)", text, re.M)}
swift, torch = parse(sys.argv[1]), parse(sys.argv[2])
print(f"{'':34} {'Swift':>10} {'PyTorch':>10} {'ratio':>8}")
for key in swift:
    unit = "MB" if "memory" in key else "s"
    ratio = torch[key] / swift[key] if unit == "s" else swift[key] / torch[key]
    label = "x faster" if unit == "s" else "x PyTorch's"
    print(f"{key:34} {swift[key]:>9.4f}{unit[0]} {torch[key]:>9.4f}{unit[0]} {ratio:>7.2f} {label}")
PY

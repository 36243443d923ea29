#!/usr/bin/env bash
# Side-by-side benchmark of the image networks (issue 12): ddpm-bench-unet
# and the seeds' PyTorch classes (bench/reference_unet.py, CPU wheel, 2
# threads) doing the same training and sampling steps, with the ratios. The
# two sides alternate network by network (each in a process of its own, whose
# peak memory is reported), so that a drift of the machine's speed falls on
# both. Not part of the tests.
#
#   bash scripts/bench-unet.sh [--train N] [--sample N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh
python_env .venv-bench torch==2.13.0+cpu numpy matplotlib==3.10.7 safetensors==0.8.0
swift build -c release --product ddpm-bench-unet >/dev/null
swift_out="" torch_out=""
for model in "unet 16x16x1" "unet 32x32x3" "simple_unet 32x32x3"; do
    swift_out+=$(.build/release/ddpm-bench-unet "$@" --model "$model" | sed "s/^peak memory/$model peak memory/")$'\n'
    torch_out+=$(.venv-bench/bin/python bench/reference_unet.py "$@" --model "$model" | sed "s/^peak memory/$model peak memory/")$'\n'
done
python3 - "$swift_out" "$torch_out" <<'PY'
import re, sys
def parse(text):
    return {m[0]: float(m[1]) for m in re.findall(r"^(.+?): ([0-9.]+) (?:s/step|MB)", text, re.M)}
swift, torch = parse(sys.argv[1]), parse(sys.argv[2])
print(f"{'':40} {'Swift':>10} {'PyTorch':>10} {'ratio':>8}")
for key in swift:
    memory = "memory" in key
    ratio = swift[key] / torch[key] if memory else torch[key] / swift[key]
    unit, label = ("MB", "x PyTorch's") if memory else ("s", "x faster")
    print(f"{key:40} {swift[key]:>8.4f}{unit:>2} {torch[key]:>8.4f}{unit:>2} {ratio:>7.2f} {label}")
PY

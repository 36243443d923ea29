#!/usr/bin/env bash
# Trains tutorial 08's class-conditional UNet on the rendered digits and
# writes the checkpoint the notebook loads (notebooks/digits-unet.safetensors,
# with its steps, seed and this script's name in the metadata). With
# --compare, also trains the same model (seed 001's PyTorch class) for the
# same steps on the same digits exported as PNG files, then samples both
# checkpoints in Swift from the same noise and scores them with the
# tutorials' classifier, printing both sides and their training times.
#
#   bash scripts/train-digits.sh [--steps N] [--compare]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
steps=4000 compare=0
while (($#)); do
    case "$1" in
        --steps) steps="$2"; shift 2 ;;
        --compare) compare=1; shift ;;
        *) echo "usage: $0 [--steps N] [--compare]" >&2; exit 2 ;;
    esac
done
swift build -c release --product ddpm-train-digits >/dev/null
mkdir -p out
.build/release/ddpm-train-digits train --steps "$steps" --out notebooks/digits-unet.safetensors | tee out/train-digits-swift.log
if ((compare)); then
    source scripts/python-env.sh
    python_env .venv-bench torch==2.13.0+cpu numpy matplotlib==3.10.7 safetensors==0.8.0
    rm -rf out/digits-png
    .build/release/ddpm-train-digits export out/digits-png
    .venv-bench/bin/python bench/train_digits_torch.py out/digits-png out/digits-unet-torch.safetensors "$steps" \
        | tee out/train-digits-torch.log
    .build/release/ddpm-train-digits evaluate swift=notebooks/digits-unet.safetensors \
        pytorch=out/digits-unet-torch.safetensors
    grep -h "training time" out/train-digits-swift.log out/train-digits-torch.log | paste -d' ' <(printf "Swift:\nPyTorch:\n") -
fi

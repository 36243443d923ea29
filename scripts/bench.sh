#!/usr/bin/env bash
# Side-by-side benchmark: ddpm-bench and the same work in PyTorch (CPU) and
# matplotlib, in one run, with the ratios. The references go into their own
# virtual environment, .venv-bench. Then, without arguments, each comparison
# again in three alternating pairs of runs, the ratio pair by pair
# (bench/alternating.py). Not part of the tests.
#
#   bash scripts/bench.sh [--steps N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/python-env.sh
python_env .venv-bench torch==2.13.0+cpu numpy matplotlib==3.10.7
swift build -c release --product ddpm-bench >/dev/null
mkdir -p out
swift_out=$(.build/release/ddpm-bench "$@")
torch_out=$(.venv-bench/bin/python bench/reference_torch.py "$@")
mpl_out=$(.venv-bench/bin/python bench/reference_matplotlib.py)
echo "$swift_out"
echo "$torch_out"
echo "$mpl_out"
number() { grep "$1" <<<"$2" | grep -oE "$3" | head -1 | grep -oE "[0-9.]+" | head -1; }
swift_step=$(number "MLP training step" "$swift_out" "[0-9.]+ µs/step")
torch_step=$(number "MLP training step" "$torch_out" "[0-9.]+ µs/step")
swift_stretch=$(grep "MLP training step (" <<<"$swift_out" | grep -oE "stretch of [0-9]+ [0-9.]+" | grep -oE "[0-9.]+$")
torch_stretch=$(grep "MLP training step (" <<<"$torch_out" | grep -oE "stretch of [0-9]+ [0-9.]+" | grep -oE "[0-9.]+$")
swift_mm=$(number "matmul" "$swift_out" "tensor API [0-9.]+")
torch_mm=$(number "matmul" "$torch_out" "[0-9.]+ GFLOP/s")
swift_sample=$(number "sampling 10,000" "$swift_out" ": [0-9.]+ s")
torch_sample=$(number "sampling 10,000" "$torch_out" ": [0-9.]+ s")
swift_floor=$(number "sampling floor" "$swift_out" "sampling [0-9.]+x")
swift_figure=$(number "seed 000 figure" "$swift_out" ": [0-9.]+ s")
mpl_figure=$(number "seed 000 figure" "$mpl_out" ": [0-9.]+ s")
swift_gif=$(number "forward GIF" "$swift_out" ": [0-9.]+ s")
mpl_gif=$(number "forward GIF" "$mpl_out" ": [0-9.]+ s")
swift_gif_kb=$(number "forward GIF" "$swift_out" "[0-9]+ KB")
mpl_gif_kb=$(number "forward GIF" "$mpl_out" "[0-9]+ KB")
swift_mem=$(number "peak memory" "$swift_out" "[0-9.]+ MB")
torch_mem=$(number "peak memory" "$torch_out" "[0-9.]+ MB")
python3 - "$swift_step" "$torch_step" "$swift_stretch" "$torch_stretch" "$swift_mm" "$torch_mm" "$swift_mem" "$torch_mem" \
    "$swift_sample" "$torch_sample" "$swift_floor" "$swift_figure" "$mpl_figure" "$swift_gif" "$mpl_gif" "$swift_gif_kb" "$mpl_gif_kb" <<'PY'
import sys
(s_step, t_step, s_stretch, t_stretch, s_mm, t_mm, s_mem, t_mem, s_sample, t_sample, s_floor, s_fig, m_fig, s_gif,
 m_gif, s_kb, m_kb) = map(float, sys.argv[1:])
print(f"ratio: MLP training step {t_step / s_step:.2f}x faster than PyTorch over all steps, "
      f"{t_stretch / s_stretch:.2f}x in the fastest stretches (target >= 8x)")
print(f"ratio: 512^3 matmul {s_mm / t_mm:.2f}x PyTorch's GFLOP/s")
print(f"ratio: sampling 10,000 points through 100 steps {t_sample / s_sample:.2f}x faster than PyTorch (target >= 1.3x)")
print(f"ratio: sampling {s_floor:.2f}x the time of its products alone on both cores, measured in this run "
      f"(target <= 1.15x)")
print(f"ratio: seed 000 figure to PNG {m_fig / s_fig:.1f}x faster than matplotlib (target >= 12x)")
print(f"ratio: seed 000 forward GIF {m_gif / s_gif:.1f}x faster than matplotlib + Pillow (target >= 20x); "
      f"files {s_kb:.0f} KB and {m_kb:.0f} KB")
print(f"ratio: peak memory {s_mem / t_mem:.2f}x PyTorch's (target <= 0.5x)")
PY
# Without arguments: the training step, sampling, the figure and the GIF again in
# alternating runs, the ratio pair by pair (bench/alternating.py).
if [ $# -eq 0 ]; then
    .venv-bench/bin/python bench/alternating.py .build/release/ddpm-bench .venv-bench/bin/python
fi

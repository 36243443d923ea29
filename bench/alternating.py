"""Ours and the reference's training step and sampling (PyTorch), seed 000's
figure (matplotlib) and forward GIF (matplotlib + Pillow) in alternating runs
(ours, the reference's, ours, …), one part at a time (`--only`), and the
ratio pair by pair, so that load from elsewhere, which comes and goes on this
machine, weighs on both sides of each ratio alike (scripts/bench.sh runs it
after the side-by-side run).

    python bench/alternating.py SWIFT_BENCH PYTHON [--pairs 3] [--parts training,sampling,figure,gif]
"""

import argparse
import re
import statistics
import subprocess

PARTS = {
    # part: (what, reference, its script, [(label, pattern in ddpm-bench's line, pattern in the reference's)], target)
    "training": ("MLP training step", "PyTorch", "bench/reference_torch.py", [
        ("mean step", r"MLP training step \(.*?([0-9.]+) µs/step", r"torch MLP training step \(.*?([0-9.]+) µs/step"),
        ("fastest stretch", r"MLP training step \(.*stretch of \d+ ([0-9.]+)", r"torch MLP.*stretch of \d+ ([0-9.]+)"),
    ], 8.0),
    "sampling": ("sampling 10,000 points through 100 steps", "PyTorch", "bench/reference_torch.py", [
        ("time", r"^sampling 10,000.*?: ([0-9.]+) s", r"torch sampling 10,000.*?: ([0-9.]+) s"),
    ], 1.3),
    "figure": ("seed 000 figure to PNG", "matplotlib", "bench/reference_matplotlib.py", [
        ("time", r"^seed 000 figure.*?: ([0-9.]+) s", r"^matplotlib seed 000 figure.*?: ([0-9.]+) s"),
    ], 12.0),
    "gif": ("seed 000 forward GIF", "matplotlib + Pillow", "bench/reference_matplotlib.py", [
        ("time", r"^seed 000 forward GIF.*?: ([0-9.]+) s", r"^matplotlib \+ Pillow seed 000 forward GIF.*?: ([0-9.]+) s"),
    ], 20.0),
}


def number(pattern, text):
    found = re.search(pattern, text, re.MULTILINE)
    if not found:
        raise SystemExit(f"alternating.py: no match for {pattern!r} in:\n{text}")
    return float(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("swift_bench")
    parser.add_argument("python")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--parts", default=",".join(PARTS))
    args = parser.parse_args()
    for part in args.parts.split(","):
        if part not in PARTS:
            raise SystemExit(f"alternating.py: no part {part!r}; the parts are {', '.join(PARTS)}.")
        what, reference, script, figures, target = PARTS[part]
        ratios = {label: [] for label, _, _ in figures}
        floors = []
        for _ in range(args.pairs):
            ours = subprocess.run([args.swift_bench, "--only", part], capture_output=True, text=True, check=True).stdout
            theirs = subprocess.run([args.python, script, "--only", part],
                                    capture_output=True, text=True, check=True).stdout
            for label, ours_pattern, theirs_pattern in figures:
                ratios[label].append(number(theirs_pattern, theirs) / number(ours_pattern, ours))
            if part == "sampling":  # ddpm-bench's own ratio to the floor it measured in the same run
                floors.append(number(r"^sampling floor .*sampling ([0-9.]+)x the faster", ours))
        for label, values in ratios.items():
            shown = ", ".join(f"{v:.2f}" for v in values)
            print(f"alternating: {what}, {label}: {shown}x faster than {reference} pair by pair, "
                  f"median {statistics.median(values):.2f}x (target >= {target}x)")
        if floors:
            shown = ", ".join(f"{v:.2f}" for v in floors)
            print(f"alternating: sampling, ours against the time of its products alone on both cores in the same "
                  f"run: {shown}x, median {statistics.median(floors):.2f}x (target <= 1.15x)")


if __name__ == "__main__":
    main()

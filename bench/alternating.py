"""Ours and PyTorch's training step and sampling in alternating runs (ours,
PyTorch's, ours, …), one part at a time (`--only`), and the ratio pair by
pair, so that load from elsewhere, which comes and goes on this machine,
weighs on both sides of each ratio alike (scripts/bench.sh runs it after the
side-by-side run).

    python bench/alternating.py SWIFT_BENCH PYTHON [--pairs 3]
"""

import argparse
import re
import statistics
import subprocess

PARTS = {
    # part: (what, [(label, pattern in ddpm-bench's line, pattern in PyTorch's)], target)
    "training": ("MLP training step", [
        ("mean step", r"MLP training step \(.*?([0-9.]+) µs/step", r"torch MLP training step \(.*?([0-9.]+) µs/step"),
        ("fastest stretch", r"MLP training step \(.*stretch of \d+ ([0-9.]+)", r"torch MLP.*stretch of \d+ ([0-9.]+)"),
    ], 8.0),
    "sampling": ("sampling 10,000 points through 100 steps", [
        ("time", r"^sampling 10,000.*?: ([0-9.]+) s", r"torch sampling 10,000.*?: ([0-9.]+) s"),
    ], 1.3),
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
    args = parser.parse_args()
    for part, (what, figures, target) in PARTS.items():
        ratios = {label: [] for label, _, _ in figures}
        for _ in range(args.pairs):
            ours = subprocess.run([args.swift_bench, "--only", part], capture_output=True, text=True, check=True).stdout
            theirs = subprocess.run([args.python, "bench/reference_torch.py", "--only", part],
                                    capture_output=True, text=True, check=True).stdout
            for label, mine, reference in figures:
                ratios[label].append(number(reference, theirs) / number(mine, ours))
        for label, values in ratios.items():
            shown = ", ".join(f"{v:.2f}" for v in values)
            print(f"alternating: {what}, {label}: {shown}x faster than PyTorch pair by pair, "
                  f"median {statistics.median(values):.2f}x (target >= {target}x)")


if __name__ == "__main__":
    main()

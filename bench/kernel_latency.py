"""Round-trip latency of a one-line cell through a real Jupyter client
(jupyter_client): from execute_request to the idle status, for the
"Swift (DDPM)" kernel and, side by side in the same run, ipykernel.

The timed cells each declare a variable (`let v123 = 123`), so the notebook
grows as it is measured; medians are taken at the start and after 100, 300
and 1,000 such cells. Targets: median at most 0.5 s (issue 3), and after
1,000 declaring cells at most 1.2x the median at the start (issue 10: a
class re-runs cells hundreds of times).

    bash scripts/bench-kernel.sh [--samples N] [--checkpoints 0,100,300,1000]
"""

import argparse
import queue
import statistics
import time

from jupyter_client.manager import start_new_kernel
from kernel_bench import percentile


PHASES = ["rewrite", "compile", "link", "fork", "run"]


def round_trip(kc, code, phases=None):
    """Seconds from execute_request to idle; the kernel's own breakdown of the
    cell (execute_reply metadata `timings`, ms) is appended to `phases`."""
    start = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=60)
        except queue.Empty:
            raise TimeoutError(code)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            elapsed = time.perf_counter() - start
            reply = kc.get_shell_msg(timeout=60)
            assert reply["content"]["status"] == "ok", reply["content"]
            if phases is not None:
                phases.append({**reply["metadata"].get("timings", {}), "total": elapsed * 1000})
            return elapsed




def measure(kernel_name, declaration, samples, checkpoints):
    """Medians of `samples` declaring cells at each checkpoint (the number of
    declaring cells run before them)."""
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=120)
    try:
        round_trip(kc, "1 + 1")  # the first cell also warms the compiler's caches
        cells = 0
        timings = {}
        phases = []
        for checkpoint in checkpoints:
            while cells < checkpoint:
                round_trip(kc, declaration.format(i=cells))
                cells += 1
            timings[checkpoint] = []
            for _ in range(samples):
                timings[checkpoint].append(
                    round_trip(kc, declaration.format(i=cells), phases if checkpoint == checkpoints[0] else None))
                cells += 1
        return timings, phases
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--checkpoints", default="0,100,300,1000")
    args = parser.parse_args()
    checkpoints = [int(c) for c in args.checkpoints.split(",")]
    rows = {}
    for name, declaration in [("swift-ddpm", "let v{i} = {i}"), ("python3", "v{i} = {i}")]:
        rows[name], phases = measure(name, declaration, args.samples, checkpoints)
        if name == "swift-ddpm":
            breakdown = phases
    print(f"{'declaring cells before':>22} | {'swift-ddpm median':>17} {'p90':>8} | {'vs start':>8} | "
          f"{'ipykernel median':>16} | {'swift / ipykernel':>17}")
    first = statistics.median(rows["swift-ddpm"][checkpoints[0]])
    for checkpoint in checkpoints:
        swift = rows["swift-ddpm"][checkpoint]
        python = rows["python3"][checkpoint]
        print(f"{checkpoint:>22} | {statistics.median(swift) * 1000:14.1f} ms {percentile(swift, 90) * 1000:5.1f} ms | "
              f"{statistics.median(swift) / first:7.2f}x | {statistics.median(python) * 1000:13.1f} ms | "
              f"{statistics.median(swift) / statistics.median(python):16.0f}x")
    # Where a one-line cell's time goes (at the first checkpoint): the kernel's phases, and
    # the rest (messages, the kernel's bookkeeping, reading the cell's pipes) by difference.
    print("one-line cell, median ms: " + ", ".join(
        f"{phase} {statistics.median(p.get(phase, 0) for p in breakdown):.1f}" for phase in PHASES)
        + f", messages and the rest {statistics.median(p['total'] - sum(p.get(x, 0) for x in PHASES) for p in breakdown):.1f}"
        + f" (total {statistics.median(p['total'] for p in breakdown):.1f})")
    last = statistics.median(rows["swift-ddpm"][checkpoints[-1]])
    growth = last / first
    print(f"growth after {checkpoints[-1]} declaring cells: {growth:.2f}x "
          f"({'meets' if growth <= 1.2 else 'MISSES'} the 1.2x target); "
          f"median at start {first * 1000:.0f} ms ({'meets' if first <= 0.5 else 'MISSES'} the 0.5 s target)")


if __name__ == "__main__":
    main()

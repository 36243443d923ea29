"""Round-trip latency of a one-line cell through a real Jupyter client
(jupyter_client): from execute_request to the idle status, for the
"Swift (DDPM)" kernel and, side by side in the same run, ipykernel.

Measured at the start of a session and again after 100 cells (each
declaring a variable, so that the chain of cell modules has grown).
Target (issue 3): median at most 0.5 s for the Swift kernel.

    .venv-bench-kernel/bin/python bench/kernel_latency.py [--samples N]
"""

import argparse
import queue
import statistics
import time

from jupyter_client.manager import start_new_kernel


def round_trip(kc, code):
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
            return elapsed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(kernel_name, one_line, declaration, samples, filler):
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=120)
    try:
        round_trip(kc, one_line)  # the first cell also warms the compiler's caches
        start = [round_trip(kc, one_line) for _ in range(samples)]
        for i in range(filler):
            round_trip(kc, declaration.format(i=i))
        later = [round_trip(kc, one_line) for _ in range(samples)]
        return start, later
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--filler", type=int, default=100)
    args = parser.parse_args()
    rows = {}
    for name, one_line, declaration in [("swift-ddpm", "1 + 1", "let v{i} = {i}"),
                                        ("python3", "1 + 1", "v{i} = {i}")]:
        rows[name] = measure(name, one_line, declaration, args.samples, args.filler)
        for label, values in zip(("at start", f"after {args.filler} cells"), rows[name]):
            print(f"{name:>10} {label:>16}: median {statistics.median(values) * 1000:7.1f} ms, "
                  f"p90 {percentile(values, 90) * 1000:7.1f} ms ({len(values)} cells)")
    for index, label in enumerate(("at start", f"after {args.filler} cells")):
        swift = statistics.median(rows["swift-ddpm"][index])
        python = statistics.median(rows["python3"][index])
        verdict = "meets" if swift <= 0.5 else "MISSES"
        print(f"ratio {label}: swift-ddpm median {swift * 1000:.0f} ms = {swift / python:.0f}x ipykernel's; "
              f"{verdict} the 0.5 s target")


if __name__ == "__main__":
    main()

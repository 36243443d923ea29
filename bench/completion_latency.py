"""Tab completion and Shift-Tab latency through a real client
(jupyter_client), the Swift (DDPM) kernel (sourcekit-lsp run by the kernel)
beside ipykernel (jedi) in the same run:

- the first completion after the kernel starts (the kernel's language server
  starts after its warm-up compile; a request before it is ready is answered
  from the kernel's word list within 2 s, so this is measured both right away
  and after the kernel has settled);
- warm completions, p50 and p90, on a mix of member, prefix and global
  requests after a cell that declared a schedule;
- inspection (Shift-Tab) p50;
- the resident memory the language server adds to a kernel.

Target (issue 15): warm completion p50 ≤ 150 ms.

    bash scripts/bench-kernel.sh --completion [--samples N]
"""

import argparse
import statistics
import time

from jupyter_client.manager import start_new_kernel
from kernel_bench import memory_by_process, percentile

SETUP = {
    "swift-ddpm": "let schedule = NoiseSchedule(.sigmoid, steps: 100)\nlet data = swissRoll(count: 100)",
    "python3": "import numpy as np\nschedule = np.linspace(1e-4, 0.02, 100)\ndata = np.zeros((100, 2))",
}
COMPLETIONS = {
    "swift-ddpm": ["schedule.", "schedule.alph", "sched", "data.res", "NoiseSchedule(.linear, steps: 10).q"],
    "python3": ["schedule.", "schedule.cum", "sched", "data.res", "np.linspace(0, 1, 10).cum"],
}
INSPECTIONS = {
    "swift-ddpm": ["schedule.qSample(", "NoiseSchedule", "swissRoll("],
    "python3": ["np.linspace(", "np.ndarray", "np.cumsum("],
}


def complete(kc, code):
    start = time.perf_counter()
    reply = kc.complete(code, len(code), reply=True, timeout=60)["content"]
    return time.perf_counter() - start, reply


def inspect(kc, code):
    start = time.perf_counter()
    reply = kc.inspect(code, len(code), reply=True, timeout=60)["content"]
    return time.perf_counter() - start, reply






def measure(kernel_name, samples):
    started = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=120)
    try:
        first, reply = complete(kc, COMPLETIONS[kernel_name][4])
        first_typed = bool(reply["metadata"])
        first_after_start = time.perf_counter() - started
        time.sleep(10)  # the language server starts after the warm-up compile
        settled, _ = complete(kc, COMPLETIONS[kernel_name][4])
        kc.execute_interactive(SETUP[kernel_name], timeout=120)
        time.sleep(1)
        warm = [complete(kc, COMPLETIONS[kernel_name][i % 5])[0] for i in range(samples)]
        inspections = [inspect(kc, INSPECTIONS[kernel_name][i % 3]) for i in range(max(samples // 2, 3))]
        assert all(reply["found"] for _, reply in inspections), "an inspection found nothing"
        memory = memory_by_process(km.provisioner.process.pid)
        return {
            "first": first, "first_typed": first_typed, "first_after_start": first_after_start, "settled": settled,
            "warm": warm, "inspect": [t for t, _ in inspections], "memory": memory,
        }
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)




def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    results = {name: measure(name, args.samples) for name in ("swift-ddpm", "python3")}
    ms = 1e3
    print(f"{'':14}{'1st Tab':>16}{'1st, settled':>14}{'warm p50':>10}{'warm p90':>10}{'inspect p50':>13}")
    for name, r in results.items():
        first = f"{r['first'] * ms:.0f} ms{'' if r['first_typed'] else ' (words)'}"
        print(f"{name:14}{first:>16}{r['settled'] * ms:>11.0f} ms{statistics.median(r['warm']) * ms:>7.0f} ms"
              f"{percentile(r['warm'], 90) * ms:>7.0f} ms{statistics.median(r['inspect']) * ms:>10.0f} ms")
    swift = results["swift-ddpm"]
    print("resident memory of the Swift kernel's processes (MB): "
          + ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(swift["memory"].items())))
    print("ipykernel's: " + ", ".join(f"{n} {mb:.0f}" for n, mb in sorted(results["python3"]["memory"].items())))
    p50 = statistics.median(swift["warm"])
    print(f"warm completion p50 {p50 * ms:.0f} ms: target ≤ 150 ms {'met' if p50 <= 0.150 else 'NOT met'}")


if __name__ == "__main__":
    main()

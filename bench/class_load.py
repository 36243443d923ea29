"""A class on one server: K "Swift (DDPM)" kernels started at once, each
running notebook 01's code cells top to bottom through jupyter_client, as
students do at the start of a lesson. Per kernel: resident memory of the
kernel and everything below it (the executor, the compiler and the linker
kept started, the language server), as RSS and as PSS (shared pages counted
as a share: what K kernels add up to on one machine), CPU seconds for the notebook (the kernel, its finished
children — compiles and the executor's forks — and the live ones), and the
cells' latency from execute_request to idle (p50, p90).

Beside each K, the reference: K ipykernels running the same notebook in
PyTorch, matplotlib and ipywidgets (bench/notebook01_torch.py, seed 000's
code for the same eight cells), measured the same way, and the ratios.

    bash scripts/bench-kernel.sh --class [--kernels 2,4,8]
"""

import argparse
import json
import os
import pathlib
import statistics
import threading
import time

from jupyter_client.manager import start_new_kernel
from kernel_bench import memory_by_process, percentile, pss_mb, rss_mb, stat, tree

ROOT = pathlib.Path(__file__).resolve().parent.parent


def cells(notebook):
    data = json.loads((ROOT / "notebooks" / notebook).read_text())
    return ["".join(c["source"]) for c in data["cells"] if c["cell_type"] == "code"]


def reference_cells():
    """bench/notebook01_torch.py, cut at its `# %%` lines (the header before the first is not a cell)."""
    text = (ROOT / "bench" / "notebook01_torch.py").read_text()
    return [part.strip() + "\n" for part in text.split("# %%\n")[1:]]


def cpu_seconds(pid):
    """CPU seconds of `pid` and every live process below it, each with its
    reaped children's (the compiles the fork servers ran, the executor's
    forks)."""
    total = 0.0
    for p in tree(pid):
        s = stat(p)
        if s:
            total += sum(s[1:5])
    return total


class Student(threading.Thread):
    def __init__(self, code, start_gate, kernel_name):
        super().__init__()
        self.code, self.start_gate, self.kernel_name = code, start_gate, kernel_name
        self.latencies, self.peak_mb, self.error = [], 0.0, None

    def run(self):
        try:
            self.start_gate.wait()
            self.km, self.kc = start_new_kernel(kernel_name=self.kernel_name, startup_timeout=300)
            self.pid = self.km.provisioner.process.pid
            for code in self.code:
                started = time.perf_counter()
                reply = self.kc.execute_interactive(code, timeout=600, output_hook=lambda _: None)
                self.latencies.append(time.perf_counter() - started)
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"a cell failed: {reply['content'].get('evalue')}")
                self.peak_mb = max(self.peak_mb, sum(rss_mb(p) for p in tree(self.pid)))
            time.sleep(2)  # settled: what an idle student's kernel holds
            self.idle_mb = sum(rss_mb(p) for p in tree(self.pid))
            self.idle_pss_mb = sum(pss_mb(p) for p in tree(self.pid))
            self.by_process = memory_by_process(self.pid)
            self.cpu = cpu_seconds(self.pid)
        except Exception as error:  # reported below
            self.error = error

    def close(self):
        if hasattr(self, "kc"):
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)


def lesson(k, code, kernel_name):
    """K kernels started at once, each running `code`; the students and the wall time."""
    gate = threading.Event()
    students = [Student(code, gate, kernel_name) for _ in range(k)]
    started = time.perf_counter()
    for s in students:
        s.start()
    gate.set()
    for s in students:
        s.join()
    return students, time.perf_counter() - started


def summary(students):
    """Median idle MB (RSS, PSS), peak MB, median CPU s, cell p50 and p90 (s), and the median kernel's MB by process."""
    latencies = [t for s in students for t in s.latencies]
    middle = sorted(students, key=lambda s: s.idle_mb)[len(students) // 2]
    return (statistics.median(s.idle_mb for s in students), statistics.median(s.idle_pss_mb for s in students),
            max(s.peak_mb for s in students),
            statistics.median(s.cpu for s in students), statistics.median(latencies), percentile(latencies, 90),
            middle.by_process)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", default="2,4,8")
    parser.add_argument("--notebook", default="01-forward-process.ipynb")
    args = parser.parse_args()
    code, reference = cells(args.notebook), reference_cells()
    cores = os.cpu_count()
    print(f"{args.notebook}: {len(code)} code cells; reference bench/notebook01_torch.py: {len(reference)} cells "
          f"in ipykernel; {cores} cores")
    print(f"{'K':>3} {'kernel':<10}{'wall':>8}{'idle MB/kernel':>16}{'idle PSS MB':>13}{'peak MB':>9}{'CPU s/notebook':>16}"
          f"{'cell p50':>10}{'cell p90':>10}   idle MB by process (median kernel)")
    for k in [int(v) for v in args.kernels.split(",")]:
        rows = {}
        for name, kernel_name, cells_ in [("Swift", "swift-ddpm", code), ("ipykernel", "python3", reference)]:
            students, wall = lesson(k, cells_, kernel_name)
            try:
                failed = [s.error for s in students if s.error]
                if failed:
                    print(f"{k:>3} {name:<10}: {len(failed)} kernel(s) failed: {failed[0]}")
                    continue
                idle, pss, peak, cpu, p50, p90, parts = rows[name] = summary(students)
                by_process = ", ".join(f"{n} {mb:.0f}" for n, mb in sorted(parts.items(), key=lambda x: -x[1]))
                print(f"{k:>3} {name:<10}{wall:>7.1f}s{idle:>16.0f}{pss:>13.0f}{peak:>9.0f}{cpu:>16.1f}"
                      f"{p50 * 1e3:>8.0f}ms{p90 * 1e3:>8.0f}ms   {by_process}")
            finally:
                for s in students:
                    s.close()
        if len(rows) == 2:
            (si, sp, _, sc, s50, s90, _), (ri, rp, _, rc, r50, r90, _) = rows["Swift"], rows["ipykernel"]
            print(f"{k:>3} ratio: idle memory {si / ri:.2f}x ipykernel's (PSS {sp / rp:.2f}x), CPU {sc / rc:.2f}x, "
                  f"cell p50 {s50 / r50:.2f}x, p90 {s90 / r90:.2f}x")


if __name__ == "__main__":
    main()

"""What the kernel benchmarks (bench/*_latency.py, bench/class_load.py)
share: percentiles, and the processes and memory of a kernel from /proc."""

import os

TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    """The p-th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def stat(pid):
    """(ppid, utime, stime, cutime, cstime) of a process, times in seconds; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), *(int(v) / TICKS for v in fields[11:15])
    except (OSError, IndexError, ValueError):
        return None


def _kb_field_mb(path, field):
    """A `Field:   N kB` line of a /proc file, in MB; 0 when the process is gone."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb(pid):
    """Resident memory in MB (VmRSS); 0 when the process is gone."""
    return _kb_field_mb(f"/proc/{pid}/status", "VmRSS")


def pss_mb(pid):
    """Proportional resident memory in MB (Pss: pages shared with other
    processes, such as the compiler's code in every kernel's fork server,
    counted as a share); 0 when the process is gone."""
    return _kb_field_mb(f"/proc/{pid}/smaps_rollup", "Pss")


def name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def tree(pid):
    """`pid` and every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            s = stat(int(entry))
            if s:
                children.setdefault(s[0], []).append(int(entry))
    found, queue = [pid], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def memory_by_process(pid):
    """Resident MB of `pid` and its descendants, summed by command name."""
    memory = {}
    for p in tree(pid):
        memory[name(p)] = memory.get(name(p), 0.0) + rss_mb(p)
    return memory

"""How fast a tutorial's panel follows a slider: from the slider's `update`
message (what JupyterLab sends while the user drags) to the `comm_msg` that
carries the new PNG of the plot, received by a real Jupyter client
(jupyter_client) on iopub, for notebook 02's exercise panel (q(x_T) of
5,000 points, the ᾱ_t curve and a reference N(0, I) panel).

Side by side in one run, the same panel in Python the way a teacher would
build it there: ipykernel with an ipywidgets FloatLogSlider whose observer
redraws the same three panels with numpy and matplotlib and sets an
ipywidgets Image's value to the PNG (the fast path; `interact` with an Output
widget re-sends the whole output). Also, for each kernel, a slider whose
observer does nothing: the cost of delivering an event at all (the Swift
kernel forks the notebook's process for each, so that a trap rolls back).

Target (issue 14): median ≤ 150 ms for notebook 02's panel.

    bash scripts/bench-kernel.sh --widgets [--samples N]
"""

import argparse
import json
import pathlib
import queue
import statistics
import time

from jupyter_client.manager import start_new_kernel
from kernel_bench import percentile

ROOT = pathlib.Path(__file__).resolve().parent.parent

SWIFT_SETUP = "manualSeed(0)\nlet data = swissRoll(count: 5_000)\n"
SWIFT_NOOP = 'let idle = FloatLogSlider("idle", 1e-4...0.5, value: 0.005)\nidle.observe { _ in }\nidle'

PYTHON_PANEL = r'''
import io
import numpy as np
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt
import ipywidgets as widgets
from IPython.display import display

rng = np.random.default_rng(0)
u = 1.5 * np.pi * (1 + 2 * rng.random(5_000))   # the swiss roll, as scikit-learn's make_swiss_roll
data = np.stack([u * np.cos(u), u * np.sin(u)], 1) / 10
gaussian = rng.standard_normal((5_000, 2))

def schedule(kind, steps, beta_start, beta_end):
    f = np.linspace(0, 1, steps)
    if kind == "sigmoid":
        betas = 1 / (1 + np.exp(-(-6 + 12 * f))) * (beta_end - beta_start) + beta_start
    else:
        betas = beta_start + (beta_end - beta_start) * f
    return np.cumprod(1 - betas)

def draw(kind, beta_start, beta_end, steps):
    alpha_bars = schedule(kind, steps, beta_start, max(beta_end, beta_start))
    a = alpha_bars[-1]
    xt = np.sqrt(a) * data + np.sqrt(1 - a) * rng.standard_normal(data.shape)
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    axes[0].plot(alpha_bars); axes[0].set_ylim(0, 1); axes[0].set_xlabel("t"); axes[0].set_title("ᾱ_t")
    axes[1].scatter(xt[:, 0], xt[:, 1], s=4, c="red", edgecolors="white", linewidths=0.3)
    axes[1].set_title(f"q(x_T): ᾱ_T = {a:.3f}")
    axes[2].scatter(gaussian[:, 0], gaussian[:, 1], s=4, c="gray", edgecolors="white", linewidths=0.3)
    axes[2].set_title("pure noise N(0, I)")
    for ax in axes[1:]:
        ax.set_xlim(-3, 3); ax.set_ylim(-3, 3); ax.axis("off")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()

kind = widgets.Dropdown(options=["linear", "sigmoid"], value="sigmoid", description="schedule")
beta_start = widgets.FloatLogSlider(value=1e-5, base=10, min=-6, max=-2, description="β_1")
beta_end = widgets.FloatLogSlider(value=0.5e-2, base=10, min=-4, max=np.log10(0.5), description="β_T")
steps = widgets.IntSlider(value=100, min=10, max=1000, step=10, description="T")
image = widgets.Image(value=draw("sigmoid", 1e-5, 0.5e-2, 100), format="png")
def redraw(_):
    image.value = draw(kind.value, beta_start.value, beta_end.value, steps.value)
for control in (kind, beta_start, beta_end, steps):
    control.observe(redraw, names="value")
display(widgets.VBox([kind, beta_start, beta_end, steps, image]))
'''
PYTHON_NOOP = ('idle = widgets.FloatLogSlider(value=0.005, base=10, min=-4, max=-0.3, description="idle")\n'
               'idle.observe(lambda _: None, names="value")\ndisplay(idle)')


def swift_panel():
    """Notebook 02's panel cell, as the tutorial has it."""
    notebook = json.loads((ROOT / "notebooks" / "02-noise-schedules.ipynb").read_text())
    [cell] = [c for c in notebook["cells"] if c["cell_type"] == "code" and "interact(" in "".join(c["source"])]
    return "".join(cell["source"])


def run(kc, code):
    """Runs a cell; returns its iopub messages."""
    msg_id = kc.execute(code)
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            reply = kc.get_shell_msg(timeout=60)
            assert reply["content"]["status"] == "ok", reply["content"]
            return messages
        messages.append(msg)


def comms_by_model(messages):
    return [(m["content"]["comm_id"], m["content"]["data"]["state"]) for m in messages
            if m["msg_type"] == "comm_open"]


def slider_update(kc, comm_id, value, wait_for):
    """Sends what the page sends when the slider moves; returns the seconds
    until `wait_for(message)` holds for an iopub message of this request
    (and drains it to its idle)."""
    message = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {
        "method": "update", "state": {"value": value}, "buffer_paths": []}})
    start = time.perf_counter()
    kc.shell_channel.send(message)
    elapsed = None
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=60)
        except queue.Empty:
            raise TimeoutError("no answer to a slider update")
        if msg["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            continue
        if elapsed is None and wait_for(msg):
            elapsed = time.perf_counter() - start
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            if elapsed is None:
                raise RuntimeError("the update ended without the awaited message")
            return elapsed


class Panel:
    def __init__(self, name, kernel_name, setup, panel, noop):
        self.name = name
        self.km, self.kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=120)
        run(self.kc, setup)
        opened = comms_by_model(run(self.kc, panel))
        self.beta_end = next(i for i, s in opened if s.get("description") == "β_T")
        self.image = next(i for i, s in opened if s.get("_model_name") == "ImageModel")
        self.idle = next(i for i, s in comms_by_model(run(self.kc, noop)) if s.get("description") == "idle")

    def redraw(self, value):
        def is_new_png(msg):
            return (msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == self.image
                    and msg["content"]["data"].get("buffer_paths") == [["value"]]
                    and bytes(msg["buffers"][0][:8]) == b"\x89PNG\r\n\x1a\n")
        return slider_update(self.kc, self.beta_end, value, is_new_png)

    def deliver(self, value):
        def is_idle(msg):
            return msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
        return slider_update(self.kc, self.idle, value, is_idle)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)




def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    panels = [
        Panel("Swift (DDPM)", "swift-ddpm", SWIFT_SETUP, swift_panel(), SWIFT_NOOP),
        Panel("ipykernel + matplotlib", "python3", "", PYTHON_PANEL, PYTHON_NOOP),
    ]
    values = [10 ** (-4 + 3.7 * i / (args.samples - 1)) for i in range(args.samples)]  # a drag across β_T's range
    redraw = {p.name: [] for p in panels}
    deliver = {p.name: [] for p in panels}
    try:
        for panel in panels:  # warm up: the first redraw loads fonts and caches
            panel.redraw(0.01)
            panel.deliver(0.01)
        for value in values:  # alternating, so that both see the same machine load
            for panel in panels:
                redraw[panel.name].append(panel.redraw(value))
                deliver[panel.name].append(panel.deliver(value))
    finally:
        for panel in panels:
            panel.close()

    print(f"slider update → new PNG comm_msg at the client, notebook 02's panel, {args.samples} values")
    print(f"{'':28}{'median':>10}{'p90':>10}{'min':>10}{'max':>10}   event alone (median)")
    for name in redraw:
        r, d = redraw[name], deliver[name]
        print(f"{name:28}{statistics.median(r) * 1e3:>8.1f}ms{percentile(r, 90) * 1e3:>8.1f}ms"
              f"{min(r) * 1e3:>8.1f}ms{max(r) * 1e3:>8.1f}ms   {statistics.median(d) * 1e3:.1f} ms")
    swift, python = (statistics.median(redraw[p.name]) for p in panels)
    print(f"Swift is {python / swift:.2f}x faster (median); target median ≤ 150 ms: "
          f"{'met' if swift <= 0.150 else 'NOT met'}")


if __name__ == "__main__":
    main()

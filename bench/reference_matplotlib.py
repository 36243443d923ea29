"""The matplotlib side of scripts/bench.sh, as seed 000 writes it:

- its figure, a 2x10 grid of scatter plots of 10,000 points each (red with
  white edges, axes off, titled q(x_t)), 28x3 inches at 100 dpi, saved as
  PNG; best of 5;
- its forward-process GIF: for each of the 100 steps, plt.clf(), a scatter of
  q(x_t) (s=5, red with white edges), axes off, savefig to PNG in memory,
  Image.open; then Pillow saves the frames as one GIF (duration 100 ms,
  loop 0). On matplotlib's default figure (6.4x4.8 inches at 100 dpi); best
  of 3.

`--only figure` or `--only gif` runs one of them (as ddpm-bench --only).
"""
import io
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image
import torch

only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
rng = np.random.default_rng(0)
t = 1.5 * np.pi * (1 + 2 * rng.random(10_000))
roll = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 10 + 0.01 * rng.standard_normal((10_000, 2))
num_steps = 100
betas = torch.sigmoid(torch.linspace(-6, 6, num_steps)) * (0.5e-2 - 1e-5) + 1e-5
alphas_bar = torch.cumprod(1 - betas, 0).numpy()
frames = [np.sqrt(alphas_bar[i * 5]) * roll + np.sqrt(1 - alphas_bar[i * 5]) * rng.standard_normal(roll.shape)
          for i in range(20)]


def draw():
    fig, axs = plt.subplots(2, 10, figsize=(28, 3))
    for i in range(20):
        ax = axs[i // 10, i % 10]
        ax.scatter(frames[i][:, 0], frames[i][:, 1], color="red", edgecolor="white")
        ax.set_axis_off()
        ax.set_title("$q(\\mathbf{x}_{" + str(i * 5) + "})$")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


if only in (None, "figure"):
    draw()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        png = draw()
        best = min(best, time.perf_counter() - start)
    print(f"matplotlib seed 000 figure (2x10 scatter grid, 10,000 points each) to PNG: {best:.3f} s, "
          f"{len(png) // 1024} KB")


# The forward-process GIF: every step t of the 100, as the seed's loop.
gif_frames = [np.sqrt(alphas_bar[t]) * roll + np.sqrt(1 - alphas_bar[t]) * rng.standard_normal(roll.shape)
              for t in range(num_steps)]


def forward_gif():
    plt.figure()
    images = []
    for q_i in gif_frames:
        plt.clf()
        plt.scatter(q_i[:, 0], q_i[:, 1], color="red", edgecolor="white", s=5)
        plt.axis("off")
        buffer = io.BytesIO()
        plt.savefig(buffer, format="png")
        images.append(Image.open(buffer))
    plt.close()
    out = io.BytesIO()
    images[0].save(out, format="GIF", append_images=images[1:], save_all=True, duration=100, loop=0)
    return out.getvalue()


if only in (None, "gif"):
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        gif = forward_gif()
        best = min(best, time.perf_counter() - start)
    with open("out/bench-seed000-forward-matplotlib.gif", "wb") as f:
        f.write(gif)
    print(f"matplotlib + Pillow seed 000 forward GIF (100 frames of 10,000 points, 640x480 px): {best:.3f} s, "
          f"{len(gif) // 1024} KB")

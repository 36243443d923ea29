# Notebook 01 (the forward process) as a teacher runs it in PyTorch: seed 000's
# code for the data, the sigmoid schedule, q(x_t | x_0), its 2×10 figure and
# its forward-process GIF, with an ipywidgets slider for the last cell. The
# reference side of `bash scripts/bench-kernel.sh --class`; each `# %%` starts a
# cell, as notebook 01's eight code cells.
# %%
import io
import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

torch.manual_seed(0)
u = torch.rand(10_000, dtype=torch.float64)
t_roll = 1.5 * math.pi * (1 + 2 * u)
noise = torch.randn(10_000, 3, dtype=torch.float64)
dataset = ((torch.stack([t_roll * torch.cos(t_roll), t_roll * torch.sin(t_roll)], 1) + 0.1 * noise[:, [0, 2]]) / 10).float()
fig, ax = plt.subplots()
ax.scatter(*dataset.T, color="red", edgecolors="white", alpha=0.5)
ax.axis("off")
plt.show()
# %%
s = torch.rand(10_000) * 3 * math.pi - 1.5 * math.pi
s_curve = torch.stack([torch.sin(s), torch.sign(s) * (torch.cos(s) - 1)], 1) + 0.1 * torch.randn(10_000, 2)
fig, ax = plt.subplots()
ax.scatter(*s_curve.T, color="red", edgecolors="white", alpha=0.5)
ax.axis("off")
plt.show()
# %%
num_steps = 100
betas = torch.sigmoid(torch.linspace(-6, 6, num_steps)) * (0.5e-2 - 1e-5) + 1e-5
alphas = 1 - betas
alphas_prod = torch.cumprod(alphas, 0)
alphas_bar_sqrt = torch.sqrt(alphas_prod)
one_minus_alphas_bar_sqrt = torch.sqrt(1 - alphas_prod)
fig, axs = plt.subplots(1, 2, figsize=(8, 3))
axs[0].plot(betas)
axs[0].set_title("beta_t")
axs[1].plot(alphas_prod)
axs[1].set_title("alpha_bar_t")
plt.show()
# %%
def q_x(x_0, t):
    noise = torch.randn_like(x_0)
    return alphas_bar_sqrt[t] * x_0 + one_minus_alphas_bar_sqrt[t] * noise


x50 = q_x(dataset, torch.tensor([50]))
print(f"sqrt(alpha_bar_50) = {alphas_bar_sqrt[50].item()}, sqrt(1 - alpha_bar_50) = {one_minus_alphas_bar_sqrt[50].item()}")
fig, ax = plt.subplots()
ax.scatter(*x50.T, color="red", edgecolors="white")
ax.axis("off")
plt.show()
# %%
fig, axs = plt.subplots(2, 10, figsize=(28, 3))
for i in range(20):
    j = i // 10
    k = i % 10
    q_i = q_x(dataset, torch.tensor([i * num_steps // 20]))
    axs[j, k].scatter(q_i[:, 0], q_i[:, 1], color="red", edgecolor="white")
    axs[j, k].set_axis_off()
    axs[j, k].set_title("$q(\\mathbf{x}_{" + str(i * num_steps // 20) + "})$")
plt.show()
# %%
alphas_prod[-1].item()
# %%
from IPython.display import Image as Shown

frames = []
x = dataset[:2_000]
for t in range(num_steps):
    x = torch.sqrt(alphas[t]) * x + torch.sqrt(betas[t]) * torch.randn_like(x)
    if t % 4 == 0:
        plt.figure(figsize=(4, 3.2), dpi=70)
        plt.scatter(x[:, 0], x[:, 1], color="red", edgecolor="white", s=5)
        plt.xlim(-2, 2)
        plt.ylim(-2, 2)
        plt.axis("off")
        plt.title(f"x_{t}")
        buffer = io.BytesIO()
        plt.savefig(buffer, format="png")
        plt.close()
        frames.append(Image.open(buffer))
gif = io.BytesIO()
frames[0].save(gif, format="GIF", append_images=frames[1:], save_all=True, duration=100, loop=0)
Shown(data=gif.getvalue(), format="gif")
# %%
import ipywidgets as widgets


def scrub(t):
    fig = plt.figure(figsize=(4.5, 3.6), dpi=80)
    x_t = q_x(dataset, torch.tensor([t]))
    plt.scatter(x_t[:, 0], x_t[:, 1], color="red", edgecolor="white", s=5)
    plt.xlim(-2, 2)
    plt.ylim(-2, 2)
    plt.axis("off")
    plt.title(f"q(x_{t} | x_0), sqrt(alpha_bar_t) = {alphas_bar_sqrt[t].item():.2f}")
    plt.show()


t_slider = widgets.IntSlider(value=0, min=0, max=num_steps - 1, description="t")
play = widgets.Play(value=0, min=0, max=num_steps - 1, interval=150, description="steps")
widgets.jslink((play, "value"), (t_slider, "value"))
panel = widgets.interactive(scrub, t=t_slider)
widgets.VBox([play, panel])

"""The PyTorch side of scripts/bench-unet.sh: the same work as ddpm-bench-unet
with the seeds' own classes (Tests/DDPMTests/Goldens/seed_unets.py), on 2
threads, batch 64.

- Training step: x_t = √ᾱ_t·x_0 + √(1 − ᾱ_t)·ε for uniform t (linear β over
  1000 steps), MSE between ε and model(x_t, t), backward, Adam(lr=1e-4); the
  model in training mode (seed 001's dropout 0.1 active).
- Sampling step: one DDPM step x_{t−1} = 1/√α_t·(x_t − β_t/√(1 − ᾱ_t)·ε_θ) + √β_t·z
  under torch.no_grad() in evaluation mode.
Median of N steps after one warm-up step, as ddpm-bench-unet.
"""
import pathlib
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "Tests" / "DDPMTests" / "Goldens"))
import seed_unets  # noqa: E402

torch.set_num_threads(2)
train_steps = int(sys.argv[sys.argv.index("--train") + 1]) if "--train" in sys.argv else 5
sample_steps = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else 10
batch = 64
betas = torch.linspace(1e-4, 0.02, 1000)
alphas = 1 - betas
alpha_bars = torch.cumprod(alphas, 0)


def median(count, body):
    body()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


only = sys.argv[sys.argv.index("--model") + 1] if "--model" in sys.argv else None


def run(name, make_model, channels, size):
    if only and not name.startswith(only):
        return
    model = make_model()
    torch.manual_seed(0)
    x0 = torch.rand(batch, channels, size, size) * 2 - 1
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()

    def train():
        t = torch.randint(0, 1000, (batch,))
        noise = torch.randn_like(x0)
        a = alpha_bars[t].sqrt().view(-1, 1, 1, 1)
        s = (1 - alpha_bars[t]).sqrt().view(-1, 1, 1, 1)
        loss = F.mse_loss(model(a * x0 + s * noise, t), noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    state = {"x": torch.randn(batch, channels, size, size), "t": 999}

    @torch.no_grad()
    def sample():
        t = state["t"]
        model.eval()
        eps = model(state["x"], torch.full((batch,), t))
        mean = (state["x"] - betas[t] / (1 - alpha_bars[t]).sqrt() * eps) / alphas[t].sqrt()
        state["x"] = mean + betas[t].sqrt() * torch.randn_like(mean)
        state["t"] = t - 1

    print(f"{name} train: {median(train_steps, train):.4f} s/step")
    print(f"{name} sample: {median(sample_steps, sample):.4f} s/step")


def small_unet(channels):
    return seed_unets.UNet(
        channels, base_channels=32, channel_mults=(1, 2, 2), num_res_blocks=1, time_emb_dim=128,
        attention_resolutions=(2,), num_groups=8,
    )


run("unet 16x16x1", lambda: small_unet(1), 1, 16)
run("unet 32x32x3", lambda: small_unet(3), 3, 32)
run("simple_unet 32x32x3", lambda: seed_unets.simple_unet(3, (32, 64, 128), 32), 3, 32)
print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB resident")

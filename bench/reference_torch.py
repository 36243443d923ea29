"""The PyTorch side of scripts/bench.sh: the same work as ddpm-bench.

- A 512x512x512 matmul (torch.mm), best of 20.
- The seeds' MLP training step as seed 004 writes it: MLPDiffusion with 128
  units and one step embedding per hidden layer, a swiss roll of 10,000 points
  (sklearn's definition, columns 0 and 2, divided by 10), DataLoader with
  batch 128 and shuffle, antithetic t, MSE on the noise, backward,
  clip_grad_norm_(1.0), Adam(lr=1e-3).
"""
import math
import sys
import time

import torch
import torch.nn as nn

torch.manual_seed(0)
steps_arg = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else None
STRETCH_SECONDS = 1.5  # a training stretch without --steps, as ddpm-bench
only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None  # one part, as ddpm-bench --only

# matmul
if only in (None, "matmul"):
    n = 512
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(
        (lambda t0: (torch.mm(a, b), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(20)
    )
    print(f"torch matmul 512x512x512: {2 * n**3 / best / 1e9:.1f} GFLOP/s")

# the seeds' MLP
num_steps = 100
betas = torch.sigmoid(torch.linspace(-6, 6, num_steps)) * (0.5e-2 - 1e-5) + 1e-5
alphas_prod = torch.cumprod(1 - betas, 0)
alphas_bar_sqrt = torch.sqrt(alphas_prod)
one_minus_alphas_bar_sqrt = torch.sqrt(1 - alphas_prod)

u = torch.rand(10_000, dtype=torch.float64)
t_roll = 1.5 * math.pi * (1 + 2 * u)
noise = torch.randn(10_000, 3, dtype=torch.float64)
dataset = (torch.stack([t_roll * torch.cos(t_roll), t_roll * torch.sin(t_roll)], 1) + 0.1 * noise[:, [0, 2]]) / 10
dataset = dataset.float()


class MLPDiffusion(nn.Module):
    def __init__(self, n_steps, num_units=128):
        super().__init__()
        self.linears = nn.ModuleList([
            nn.Linear(2, num_units), nn.ReLU(),
            nn.Linear(num_units, num_units), nn.ReLU(),
            nn.Linear(num_units, num_units), nn.ReLU(),
            nn.Linear(num_units, 2),
        ])
        self.step_embeddings = nn.ModuleList([nn.Embedding(n_steps, num_units) for _ in range(3)])

    def forward(self, x, t):
        for idx, embedding_layer in enumerate(self.step_embeddings):
            x = self.linears[2 * idx](x)
            x += embedding_layer(t)
            x = self.linears[2 * idx + 1](x)
        return self.linears[-1](x)


def diffusion_loss_fn(model, x_0, n_steps):
    batch_size = x_0.shape[0]
    t = torch.randint(0, n_steps, size=(batch_size // 2,))
    t = torch.cat([t, n_steps - 1 - t], dim=0).unsqueeze(-1)
    a = alphas_bar_sqrt[t]
    aml = one_minus_alphas_bar_sqrt[t]
    e = torch.randn_like(x_0)
    x = x_0 * a + e * aml
    output = model(x, t.squeeze(-1))
    return (e - output).square().mean()


model = MLPDiffusion(num_steps)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)


def batches():
    while True:
        yield from loader


def train(count, source):
    last = None
    for _ in range(count):
        loss = diffusion_loss_fn(model, next(source), num_steps)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        last = loss.item()
    return last


if only in (None, "training"):
    source = batches()
    train(50, source)
    # Five stretches of STRETCH_SECONDS each (of --steps / 5 steps if given), as
    # ddpm-bench, so that both are timed over the same span: the mean over all
    # steps and the fastest stretch.
    stretches = []
    for s in range(5):
        target = max(1, steps_arg * (s + 1) // 5 - steps_arg * s // 5) if steps_arg else None
        s0 = time.perf_counter()
        count = 0
        while True:
            last = train(1, source)
            count += 1
            spent = time.perf_counter() - s0
            if (count >= target) if target else spent >= STRETCH_SECONDS:
                break
        stretches.append((count, spent))
    total_steps = sum(c for c, _ in stretches)
    elapsed = sum(t for _, t in stretches)
    fastest = min(stretches, key=lambda s: s[1] / s[0])
    print(f"torch MLP training step (width 128, batch 128): {elapsed / total_steps * 1e6:.1f} µs/step "
          f"over {total_steps} steps, fastest stretch of {fastest[0]} {fastest[1] / fastest[0] * 1e6:.1f} µs/step "
          f"(loss {last:.3f}), {torch.get_num_threads()} threads")


def p_sample(model, x, t):
    t = torch.tensor([t])
    coeff = betas[t] / one_minus_alphas_bar_sqrt[t]
    eps_theta = model(x, t)
    mean = (1 / (1 - betas[t]).sqrt()) * (x - (coeff * eps_theta))
    z = torch.randn_like(x)
    return mean + betas[t].sqrt() * z


def p_sample_loop(model, shape):
    cur_x = torch.randn(shape)
    x_seq = [cur_x]
    for i in reversed(range(num_steps)):
        cur_x = p_sample(model, cur_x, i)
        x_seq.append(cur_x)
    return x_seq


# Seed 000's p_sample_loop on 10,000 points, under no_grad (the seed itself
# also records the autograd graph, which is slower).
if only in (None, "sampling"):
    with torch.no_grad():
        p_sample_loop(model, (1000, 2))
        best = min((lambda t0: (p_sample_loop(model, (10_000, 2)), time.perf_counter() - t0)[1])(time.perf_counter())
                   for _ in range(3))
    print(f"torch sampling 10,000 points through {num_steps} steps: {best:.3f} s")

if only is None:
    import resource

    print(f"torch peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB resident")

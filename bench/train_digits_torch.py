"""The PyTorch side of scripts/train-digits.sh: seed 001's UNet class
(Tests/DDPMTests/Goldens/seed_unets.py, copied verbatim from the seed) trained
with the recipe of Sources/ddpm-train-digits (the same 20,000 rendered digits,
exported there as PNG files, the same model sizes, cosine schedule with
T = 1000, uniform t, MSE on ε, Adam lr 5e-4, batch 64) for the same number
of steps, on the CPU wheel with 2 threads. Writes a safetensors state dict
that the Swift UNet loads (strict) to be sampled and scored like its own.

    python bench/train_digits_torch.py PNG_DIR OUT.safetensors STEPS
"""

import csv
import math
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "Tests/DDPMTests/Goldens"))
import seed_unets  # noqa: E402

folder, out, steps = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.set_num_threads(2)
torch.manual_seed(0)

with open(folder / "labels.csv") as f:
    rows = list(csv.DictReader(f))
images = np.stack([np.asarray(Image.open(folder / r["file"]).convert("L"), dtype=np.float32) for r in rows])
x_all = torch.from_numpy(images / 255.0 * 2 - 1).unsqueeze(1)  # [N, 1, 16, 16] in [-1, 1], as the seeds' transform
y_all = torch.tensor([int(r["label"]) for r in rows])

T = 1000


def f(t):  # Nichol & Dhariwal 2021, eq. 17; diffusers' squaredcos_cap_v2
    return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2


betas = torch.tensor([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)], dtype=torch.float64)
alpha_bars = torch.cumprod(1 - betas, 0)
sqrt_ab = alpha_bars.sqrt().float()
sqrt_1mab = (1 - alpha_bars).sqrt().float()

model = seed_unets.UNet(
    img_channels=1, base_channels=32, channel_mults=(1, 2, 2), num_res_blocks=1, time_emb_dim=128,
    num_classes=10, dropout=0.1, attention_resolutions=(1,), num_groups=8,
)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
model.train()
batch = 64
order, position = torch.randperm(len(y_all)), 0
start = time.time()
recent = []
for step in range(steps):
    if position + 1 > len(order):
        order, position = torch.randperm(len(y_all)), 0
    index = order[position:position + batch]
    position += batch
    x0, y = x_all[index], y_all[index]
    t = torch.randint(0, T, (len(index),))
    noise = torch.randn_like(x0)
    xt = sqrt_ab[t].view(-1, 1, 1, 1) * x0 + sqrt_1mab[t].view(-1, 1, 1, 1) * noise
    loss = F.mse_loss(model(xt, t, y), noise)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    recent.append(loss.item())
    if (step + 1) % 250 == 0:
        print(f"step {step + 1}  loss {sum(recent) / len(recent):.4f}  {time.time() - start:.0f} s", flush=True)
        recent = []
seconds = time.time() - start
save_file(
    {k: v.contiguous() for k, v in model.state_dict().items()}, out,
    metadata={"script": "bench/train_digits_torch.py", "steps": str(steps), "seconds": f"{seconds:.0f}"},
)
print(f"training time: {seconds:.1f} s for {steps} steps")

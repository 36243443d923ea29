"""Writes unet.safetensors and simple_unet.safetensors: the seeds' own PyTorch
networks (seed_unets.py, copied from the seeds) on fixed weights and inputs,
with their outputs and gradients, the reference that UNetTests pins the
Swift UNet and SimpleUnet to (torch 2.13.0+cpu, float32).

Each file holds the model's state dict under its own keys (PyTorch's
initialisation, torch.manual_seed(0)), the inputs (`input.x`, `input.t`,
`input.y`), the weights `input.w` of the loss L = Σ out ⊙ w, the output
(`output`), and ∂L/∂x and ∂L/∂θ for every parameter (`grad.x`, `grad.<key>`).
SimpleUnet's file has two cases, training mode (batch statistics, and the
running statistics after the call under `after.<key>`) and evaluation mode
(`eval.output`, `eval.grad.*`, run on the state after training mode's call).

    .venv-bench/bin/pip install safetensors==0.8.0   # beside torch (scripts/bench.sh)
    .venv-bench/bin/python Tests/DDPMTests/Goldens/make_unet_goldens.py
"""

import pathlib
import sys

import torch
from safetensors.torch import save_file

here = pathlib.Path(__file__).parent
sys.path.insert(0, str(here))
import seed_unets  # noqa: E402


def case(model, x, t, w, y=None, prefix=""):
    """Output and gradients of L = Σ model(x, t[, y]) ⊙ w."""
    model.zero_grad()
    x = x.clone().requires_grad_(True)
    out = model(x, t, y) if y is not None else model(x, t)
    (out * w).sum().backward()
    result = {prefix + "output": out.detach(), prefix + "grad.x": x.grad}
    for name, p in model.named_parameters():
        result[prefix + "grad." + name] = p.grad.clone()
    return result


def tensors(state):
    return {k: v.detach().clone().contiguous() for k, v in state.items()}


torch.manual_seed(0)
# Seed 001's UNet, small: base 8, two levels, one res block, attention at the
# lower level, 4 groups, time embedding 16, three classes; evaluation mode
# (dropout 0.1 is then inactive, as in sampling).
unet = seed_unets.UNet(
    1, base_channels=8, channel_mults=(1, 2), num_res_blocks=1, time_emb_dim=16, num_classes=3,
    dropout=0.1, attention_resolutions=(1,), num_groups=4,
)
unet.eval()
x = torch.randn(2, 1, 8, 8)
t = torch.tensor([3, 250])
y = torch.tensor([2, 0])
w = torch.randn(2, 1, 8, 8)
goldens = tensors(unet.state_dict())
goldens.update({"input.x": x, "input.t": t.float(), "input.y": y.float(), "input.w": w})
goldens.update(case(unet, x, t, w, y))
save_file(goldens, here / "unet.safetensors", metadata={"source": f"seed 001 UNet, torch {torch.__version__}"})

torch.manual_seed(1)
# Seed 003's SimpleUnet, small: down channels (8, 16, 32), time embedding 8.
simple = seed_unets.simple_unet(3, (8, 16, 32), 8)
# Non-trivial running statistics to start from, as after some training.
for name, buffer in simple.named_buffers():
    if name.endswith("running_mean"):
        buffer.copy_(torch.randn_like(buffer) * 0.1)
    elif name.endswith("running_var"):
        buffer.copy_(1 + torch.rand_like(buffer))
    else:
        buffer.fill_(5)
x = torch.randn(3, 3, 8, 8)
t = torch.tensor([0, 17, 299])
w = torch.randn(3, 3, 8, 8)
goldens = tensors(simple.state_dict())
goldens.update({"input.x": x, "input.t": t.float(), "input.w": w})
simple.train()
goldens.update(case(simple, x, t, w))
goldens.update({"after." + k: v for k, v in tensors(simple.state_dict()).items() if "running" in k or "tracked" in k})
simple.eval()
goldens.update(case(simple, x, t, w, prefix="eval."))
save_file(goldens, here / "simple_unet.safetensors", metadata={"source": f"seed 003 SimpleUnet, torch {torch.__version__}"})
print("wrote", here / "unet.safetensors", "and", here / "simple_unet.safetensors")

"""Writes layers.safetensors: PyTorch's layers and functions (torch 2.13.0+cpu,
float32) on fixed inputs, with outputs and gradients, the reference that
LayerGoldenTests pins NN's layers to.

For each case `<name>`: the inputs (`<name>.x`, and `<name>.q/k/v` for
attention), the layer's state (`<name>.state.<key>`), the weights `<name>.w`
of the loss L = Σ out ⊙ w, the output `<name>.out`, and ∂L/∂input and
∂L/∂parameter (`<name>.grad.<input or key>`); BatchNorm's state after the
call under `<name>.after.<key>`.

    .venv-bench/bin/python Tests/NNTests/Goldens/make_layer_goldens.py
"""

import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
goldens = {}


def record(name, module, inputs, forward):
    """Runs forward(*inputs), L = Σ out ⊙ w, and stores everything."""
    inputs = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    if module is not None:
        module.zero_grad(set_to_none=True)
        for key, value in module.state_dict().items():
            goldens[f"{name}.state.{key}"] = value.clone()
    out = forward(**inputs)
    w = torch.randn_like(out)
    (out * w).sum().backward()
    goldens[f"{name}.w"] = w
    goldens[f"{name}.out"] = out.detach()
    for key, value in inputs.items():
        goldens[f"{name}.{key}"] = value.detach()
        goldens[f"{name}.grad.{key}"] = value.grad
    if module is not None:
        for key, p in module.named_parameters():
            goldens[f"{name}.grad.{key}"] = p.grad.clone()
        for key, b in module.named_buffers():
            goldens[f"{name}.after.{key}"] = b.clone()


conv_t = nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1)  # seed 003's up-sampling
record("conv_transpose", conv_t, {"x": torch.randn(2, 3, 5, 6)}, lambda x: conv_t(x))
conv_t2 = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, bias=False)
record("conv_transpose_output_padding", conv_t2, {"x": torch.randn(1, 2, 4, 3)}, lambda x: conv_t2(x))

bn = nn.BatchNorm2d(4)
with torch.no_grad():
    bn.weight.copy_(torch.rand(4) + 0.5)
    bn.bias.copy_(torch.randn(4))
    bn.running_mean.copy_(torch.randn(4) * 0.2)
    bn.running_var.copy_(torch.rand(4) + 0.5)
    bn.num_batches_tracked.fill_(3)
bn.train()
record("batch_norm_train", bn, {"x": torch.randn(3, 4, 5, 5) * 2 + 1}, lambda x: bn(x))
bn.eval()
record("batch_norm_eval", bn, {"x": torch.randn(3, 4, 5, 5)}, lambda x: bn(x))

record(
    "attention", None, {"q": torch.randn(2, 6, 4), "k": torch.randn(2, 5, 4), "v": torch.randn(2, 5, 3)},
    lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
)
record("pad", None, {"x": torch.randn(2, 3, 4)}, lambda x: F.pad(x, (1, 2, 3, 0), value=-0.5))
record("upsample", None, {"x": torch.randn(2, 3, 3, 4)}, lambda x: nn.Upsample(scale_factor=2, mode="nearest")(x))

path = pathlib.Path(__file__).with_name("layers.safetensors")
save_file({k: v.contiguous() for k, v in goldens.items()}, path, metadata={"source": f"torch {torch.__version__}"})
print("wrote", path)

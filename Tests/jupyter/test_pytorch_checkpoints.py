"""Checkpoints go both ways between the Swift DSL and the seeds' own PyTorch
classes (issue 10, item 3), with PyTorch 2.13 (CPU wheel) in the test
environment: a model trained in a Swift cell loads into seed 000's
`MLPDiffusion` with `load_state_dict(..., strict=True)` and predicts the
same ε; a PyTorch-initialised one saved with `safetensors.torch.save_file`
loads into Swift and predicts the same."""

import json

import pytest
import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file


class MLPDiffusion(nn.Module):
    """Seed 000's class, as the seed writes it (000_6ee01935059bf503.txt)."""

    def __init__(self, n_steps, num_units=32):
        super(MLPDiffusion, self).__init__()
        self.linears = nn.ModuleList(
            [
                nn.Linear(2, num_units),
                nn.ReLU(),
                nn.Linear(num_units, num_units),
                nn.ReLU(),
                nn.Linear(num_units, num_units),
                nn.ReLU(),
                nn.Linear(num_units, 2),
            ]
        )
        self.step_embeddings = nn.ModuleList(
            [
                nn.Embedding(n_steps, num_units),
                nn.Embedding(n_steps, num_units),
                nn.Embedding(n_steps, num_units),
            ]
        )

    def forward(self, x, t):
        for idx, embedding_layer in enumerate(self.step_embeddings):
            t_embedding = embedding_layer(t)
            x = self.linears[2 * idx](x)
            x += t_embedding
            x = self.linears[2 * idx + 1](x)
        x = self.linears[-1](x)
        return x


X = [[0.5, -1.25], [-0.75, 0.3], [1.5, 0.0], [0.0, 2.0]]
T = [0, 17, 42, 99]
SWIFT_INPUTS = f"let xFixed = Tensor({X})\nlet tFixed = {T}\n"


def swift_prediction(kernel, code):
    result = kernel.run(code + "\nprint(predictedFixed.scalars)")
    assert result.status == "ok", result.errors
    return torch.tensor(json.loads(result.stream().strip().splitlines()[-1])).reshape(len(X), 2)


def torch_prediction(model):
    with torch.no_grad():
        return model(torch.tensor(X), torch.tensor(T))


def test_a_swift_trained_checkpoint_loads_strictly_into_the_seeds_class(kernel, tmp_path):
    path = tmp_path / "swift.safetensors"
    predicted = swift_prediction(kernel, SWIFT_INPUTS + f"""
manualSeed(3)
let schedule = NoiseSchedule(.sigmoid, steps: 100, betaStart: 1e-5, betaEnd: 0.5e-2)
let swiftModel = MLPDiffusion(steps: 100, width: 32)
let swiftOptimizer = Adam(swiftModel.parameters(), lr: 1e-2)
let rolls = swissRoll(count: 512)
train(steps: 30, progress: false) {{ _ in
    let loss = diffusionLoss(swiftModel, rolls, schedule: schedule)
    swiftOptimizer.zeroGrad(); loss.backward(); swiftOptimizer.step()
    return loss
}}
try swiftModel.save(to: "{path}")
let predictedFixed = swiftModel(xFixed, tFixed)""")
    model = MLPDiffusion(100, num_units=32)
    model.load_state_dict(load_file(str(path)), strict=True)
    assert torch.allclose(torch_prediction(model), predicted, atol=1e-5), (torch_prediction(model), predicted)
    # The Swift model trained: its prediction is not the initial one's.
    assert not torch.allclose(predicted, torch.zeros_like(predicted), atol=1e-3)


def test_a_pytorch_checkpoint_loads_into_swift(kernel, tmp_path):
    torch.manual_seed(11)
    model = MLPDiffusion(100, num_units=32)
    path = tmp_path / "torch.safetensors"
    save_file(model.state_dict(), str(path))
    predicted = swift_prediction(kernel, f"""
let fromTorch = MLPDiffusion(steps: 100, width: 32)
try fromTorch.load(from: "{path}")
let predictedFixed = fromTorch(Tensor({X}), {T})""")
    assert torch.allclose(torch_prediction(model), predicted, atol=1e-5), (torch_prediction(model), predicted)


def test_a_checkpoint_of_another_shape_says_what_differs(kernel, tmp_path):
    path = tmp_path / "wide.safetensors"
    save_file(MLPDiffusion(100, num_units=64).state_dict(), str(path))
    result = kernel.run(f'let narrow = MLPDiffusion(steps: 100, width: 32)\ntry narrow.load(from: "{path}")')
    assert result.status == "error"
    assert "linears.0.weight has shape [64, 2] in the checkpoint but [32, 2] in this model" in result.reply["evalue"]

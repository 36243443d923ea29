"""The image networks' checkpoints go both ways between Swift and the seeds'
own PyTorch classes (issue 12): a SimpleUnet trained in Swift cells (its
BatchNorm running statistics and int64 batch counters moved) loads into seed
003's class with `load_state_dict(..., strict=True)` and predicts the same ε in
evaluation mode; seed 001's class-conditional UNet saved by PyTorch loads into
Swift and predicts the same. The seeds' classes come from
Tests/DDPMTests/Goldens/seed_unets.py, copied verbatim from the seeds."""

import json
import math
import pathlib
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "DDPMTests" / "Goldens"))
import seed_unets  # noqa: E402

SHAPE = [2, 3, 8, 8]
X = [round(math.sin(0.37 * i) * 1.5, 4) for i in range(math.prod(SHAPE))]
T = [4, 250]


def swift_values(kernel, code, name):
    result = kernel.run(code + f"\nprint({name}.scalars)")
    assert result.status == "ok", result.errors
    return torch.tensor(json.loads(result.stream().strip().splitlines()[-1]))


def test_a_swift_trained_simple_unet_loads_strictly_into_seed_003s_class(kernel, tmp_path):
    path = tmp_path / "simple_unet.safetensors"
    predicted = swift_values(kernel, f"""
manualSeed(5)
let imageSchedule = NoiseSchedule(.linear, steps: 300)
let simple = SimpleUnet(imageChannels: 3, downChannels: [8, 16, 32], timeEmbeddingDim: 8)
let simpleOptimizer = Adam(simple.parameters(), lr: 1e-3)
let images = rand(shape: [4, 3, 8, 8], low: -1, high: 1)
simple.train()
train(steps: 3, progress: false) {{ _ in
    let loss = diffusionLoss(simple, images, schedule: imageSchedule, type: .l1)
    simpleOptimizer.zeroGrad(); loss.backward(); simpleOptimizer.step()
    return loss
}}
try simple.save(to: "{path}")
simple.eval()
let simplePredicted = withNoGrad {{ simple(Tensor({X}, shape: {SHAPE}), {T}) }}""", "simplePredicted")
    state = load_file(str(path))
    assert state["downs.0.bnorm1.num_batches_tracked"].dtype == torch.int64
    assert state["downs.0.bnorm1.num_batches_tracked"].item() == 3
    assert not torch.allclose(state["downs.0.bnorm1.running_var"], torch.ones(16))
    model = seed_unets.simple_unet(3, (8, 16, 32), 8)
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        expected = model(torch.tensor(X).reshape(SHAPE), torch.tensor(T))
    assert torch.allclose(expected.flatten(), predicted, atol=1e-4), (expected.flatten() - predicted).abs().max()


def test_a_pytorch_unet_with_classes_loads_into_swift(kernel, tmp_path):
    torch.manual_seed(12)
    model = seed_unets.UNet(
        3, base_channels=8, channel_mults=(1, 2), num_res_blocks=1, time_emb_dim=16, num_classes=10,
        dropout=0.1, attention_resolutions=(1,), num_groups=4,
    )
    model.eval()
    path = tmp_path / "unet.safetensors"
    save_file(model.state_dict(), str(path))
    predicted = swift_values(kernel, f"""
let fromTorch = UNet(
    imageChannels: 3, baseChannels: 8, channelMults: [1, 2], resBlocks: 1, timeEmbeddingDim: 16, dropout: 0.1,
    attentionResolutions: [1], groups: 4, classes: 10)
try fromTorch.load(from: "{path}")
fromTorch.eval()
let unetPredicted = withNoGrad {{ fromTorch(Tensor({X}, shape: {SHAPE}), {T}, labels: [7, 1]) }}""", "unetPredicted")
    with torch.no_grad():
        expected = model(torch.tensor(X).reshape(SHAPE), torch.tensor(T), torch.tensor([7, 1]))
    assert torch.allclose(expected.flatten(), predicted, atol=1e-4), (expected.flatten() - predicted).abs().max()


def test_a_unet_checkpoint_of_other_sizes_says_what_differs(kernel, tmp_path):
    path = tmp_path / "wide.safetensors"
    save_file(seed_unets.simple_unet(3, (16, 32), 8).state_dict(), str(path))
    result = kernel.run(f"""
let narrowUnet = SimpleUnet(imageChannels: 3, downChannels: [8, 16], timeEmbeddingDim: 8)
try narrowUnet.load(from: "{path}")""")
    assert result.status == "error"
    assert "has shape [16, 3, 3, 3] in the checkpoint but [8, 3, 3, 3] in this model" in result.reply["evalue"]


def test_convolutions_run_cell_after_cell_and_after_a_rollback(kernel):
    """oneDNN's OpenMP threads do not survive fork(); the executor forks before
    every cell, so a convolution in a cell after one that ran a convolution
    would wait forever unless the threads are released before each fork."""
    first = kernel.run("""
let convX = randn(8, 16, 32, 32)
let convLayer = Conv2d(16, 16, kernelSize: 3, padding: 1)
let convFirst = withNoGrad { convLayer(convX) }""", timeout=60)
    assert first.status == "ok", first.errors
    for _ in range(3):
        again = kernel.run("withNoGrad { (convLayer(convX) - convFirst).abs().max().item() }", timeout=30)
        assert again.status == "ok", again.errors
        assert again.result == "0.0"
    trapped = kernel.run("_ = convLayer(convX).sum().item()\nlet outOfRange = [1][3]", timeout=30)
    assert trapped.status == "error"
    after = kernel.run("convLayer(convX).backward(ones(8, 16, 32, 32))\nconvLayer.weight.grad!.shape", timeout=30)
    assert after.status == "ok", after.errors
    assert after.result == "[16, 16, 3, 3]"


def test_the_shipped_digits_model_loads_strictly_into_seed_001s_class(kernel):
    """Issue 13: notebook 08's checkpoint (scripts/train-digits.sh) is a state
    dict of seed 001's UNet: PyTorch loads it with strict=True and predicts
    the ε that Swift predicts, labels included."""
    path = pathlib.Path(__file__).parents[2] / "notebooks" / "digits-unet.safetensors"
    shape = [2, 1, 16, 16]
    x = [round(math.cos(0.21 * i), 4) for i in range(math.prod(shape))]
    predicted = swift_values(kernel, f"""
let digitsModel = UNet(imageChannels: 1, baseChannels: 32, channelMults: [1, 2, 2], resBlocks: 1,
                       timeEmbeddingDim: 128, dropout: 0.1, attentionResolutions: [1], groups: 8, classes: 10)
try digitsModel.load(from: "{path}")
let digitsPredicted = digitsModel.withEvaluationMode {{
    withNoGrad {{ digitsModel(Tensor({x}, shape: {shape}), [10, 700], labels: [3, 8]) }}
}}""", "digitsPredicted")
    model = seed_unets.UNet(
        img_channels=1, base_channels=32, channel_mults=(1, 2, 2), num_res_blocks=1, time_emb_dim=128,
        num_classes=10, dropout=0.1, attention_resolutions=(1,), num_groups=8)
    model.load_state_dict(load_file(str(path)), strict=True)
    model.eval()
    with torch.no_grad():
        expected = model(torch.tensor(x).reshape(shape), torch.tensor([10, 700]), torch.tensor([3, 8]))
    assert torch.allclose(expected.flatten(), predicted, atol=1e-4), (expected.flatten() - predicted).abs().max()
